"""Errors answered in the Django-REST-Framework style the upstream is assumed to use:
{"detail": "..."} for 401/403/404/409, and a field -> list of messages map for 400."""


class ApiError(Exception):
    def __init__(self, status: int, body: dict, headers: dict | None = None):
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


def bad_request(errors: dict[str, list[str]]) -> ApiError:
    return ApiError(400, errors)


def field_error(field: str, message: str) -> ApiError:
    return ApiError(400, {field: [message]})


def not_authenticated() -> ApiError:
    return ApiError(
        401,
        {"detail": "Authentication credentials were not provided."},
        {"WWW-Authenticate": 'Bearer realm="api"'},
    )


def bad_token() -> ApiError:
    return ApiError(401, {"detail": "Invalid token."}, {"WWW-Authenticate": 'Bearer realm="api"'})


def forbidden(message: str = "You do not have permission to perform this action.") -> ApiError:
    return ApiError(403, {"detail": message})


def not_found(message: str = "Not found.") -> ApiError:
    return ApiError(404, {"detail": message})


def conflict(message: str) -> ApiError:
    return ApiError(409, {"detail": message})
