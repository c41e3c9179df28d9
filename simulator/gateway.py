"""What every /api/ request goes through, in order: due work completes, faults,
bearer token, routing, `update_status` (latency + life), the handler, the request log.
"""

import asyncio
import json
import re
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from simulator import errors, operations
from simulator.errors import ApiError
from simulator.faults import Decision
from simulator.fleet import iso
from simulator.params import parse_bool

WRITE_METHODS = ("POST", "PUT", "PATCH")


@dataclass
class Call:
    """One API request as handlers see it."""

    sim: object  # simulator.app.Simulator
    method: str
    path: str
    query: dict[str, str]
    query_string: str
    params: dict[str, str]
    body: object
    scope: frozenset[int] | None  # the token's organizations; None means all
    update_status: bool = False

    @property
    def state(self):
        return self.sim.state

    def allow(self, org_id: int) -> None:
        """403 when the organization is outside the token's organizations."""
        if self.scope is not None and org_id not in self.scope:
            raise errors.forbidden(f"Your token does not give access to organization {org_id}.")


def json_response(status: int, payload, headers: dict | None = None) -> Response:
    if status == 204:
        return Response(status_code=204, headers=headers)
    content = json.dumps(payload, separators=(",", ":")).encode()
    return Response(content, status_code=status, media_type="application/json", headers=headers)


def _authenticate(sim, request: Request) -> frozenset[int] | None:
    header = request.headers.get("authorization")
    if not header:
        raise errors.not_authenticated()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.bad_token()
    token = token.strip()
    if token not in sim.tokens:
        raise errors.bad_token()
    return sim.tokens[token]


def _parse_body(method: str, raw: bytes):
    if method not in WRITE_METHODS:
        return None
    if not raw.strip():
        raise errors.field_error("non_field_errors", "No data provided: send a JSON object.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise errors.field_error("non_field_errors", f"JSON parse error - {error}") from None
    if not isinstance(body, dict):
        raise errors.field_error(
            "non_field_errors",
            f"Invalid data. Expected a dictionary, but got {type(body).__name__}.",
        )
    return body


def _route(routes, path: str):
    for pattern, handlers in routes:
        match = pattern.fullmatch(path)
        if match:
            return handlers, match.groupdict()
    return None, None


def _fault_response(decision: Decision) -> Response:
    if decision.action == "outage":
        return json_response(503, {"detail": "Service temporarily unavailable (outage)."})
    if decision.action == "rate_limit":
        return json_response(
            429,
            {"detail": f"Request was throttled. Expected in {decision.retry_after} seconds."},
            {"Retry-After": str(decision.retry_after)},
        )
    return json_response(decision.status, {"detail": "Internal server error (injected fault)."})


def _malformed(response: Response, kind: str) -> Response:
    if kind == "non_json":
        page = b"<html><head><title>Bad Gateway</title></head><body>upstream proxy</body></html>"
        return Response(page, status_code=200, media_type="text/html")
    body = response.body or b"{}"
    return Response(
        body[: max(len(body) // 2, 1)],
        status_code=response.status_code,
        media_type="application/json",
    )


async def handle(sim, routes, request: Request) -> Response:
    started = time.perf_counter()
    log_epoch = sim.log.epoch
    state = sim.state
    method = request.method
    path = request.url.path
    raw = await request.body()
    operations.complete_due(state)
    decision = sim.faults.decide(method, path, state.now())
    fault = decision.action if decision else None
    if decision and decision.latency_seconds:
        await asyncio.sleep(decision.latency_seconds)
    if fault in ("outage", "error", "rate_limit"):
        response = _fault_response(decision)
    elif fault == "hang":
        # Longer than any sane client timeout; answered (late) as a gateway timeout.
        await asyncio.sleep(decision.hang_seconds)
        response = json_response(504, {"detail": "Gateway timeout (injected hang)."})
    else:
        response = await _answer(sim, routes, request, method, path, raw)
        if fault == "malformed":
            response = _malformed(response, decision.malformed)
    sim.log.record(
        method=method,
        path=path,
        query=request.url.query,
        status=response.status_code,
        body=_body_for_log(method, raw),
        time=iso(time.time()),
        duration_ms=(time.perf_counter() - started) * 1000,
        fault=fault,
        epoch=log_epoch,
    )
    return response


def _body_for_log(method: str, raw: bytes):
    if method not in WRITE_METHODS or not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw[:200].decode("utf-8", "replace")


async def _answer(sim, routes, request, method, path, raw) -> Response:
    try:
        scope = _authenticate(sim, request)
        handlers, params = _route(routes, path)
        if handlers is None:
            raise errors.not_found()
        handler = handlers.get(method)
        if handler is None:
            raise ApiError(
                405, {"detail": f'Method "{method}" not allowed.'}, {"Allow": ", ".join(handlers)}
            )
        query = dict(request.query_params)
        update_status = bool(parse_bool("update_status", query.get("update_status")))
        call = Call(
            sim=sim,
            method=method,
            path=path,
            query=query,
            query_string=request.url.query,
            params=params,
            body=_parse_body(method, raw),
            scope=scope,
            update_status=update_status,
        )
        if update_status:
            # The upstream queries the devices' agents first: slow, and time moves on.
            await asyncio.sleep(sim.state.settings.update_status_latency_ms / 1000.0)
            operations.complete_due(sim.state)
            sim.state.life.advance()
        status, payload = handler(call)
        return json_response(status, payload)
    except ApiError as error:
        return json_response(error.status, error.body, error.headers or None)


def compile_routes(table) -> list:
    """[(path template with {name}, {method: handler})] -> compiled patterns."""
    compiled = []
    for template, handlers in table:
        pattern = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
        pattern = re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", pattern)
        compiled.append((re.compile(pattern), handlers))
    return compiled
