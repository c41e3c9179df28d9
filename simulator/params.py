"""Query-string and body value parsing with the upstream's error messages."""

from datetime import datetime

from simulator.errors import field_error

_TRUE = {"1", "true", "True"}
_FALSE = {"0", "false", "False"}


def _truth(raw: str, name: str, message: str) -> bool:
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise field_error(name, message)


def parse_bool(name: str, raw: str | None) -> bool | None:
    if raw is None:
        return None
    return _truth(raw, name, f"'{raw}' is not a valid boolean: use 1|true|True or 0|false|False.")


def parse_status(raw: str | None) -> bool | None:
    """status=1|true|True means Up, 0|false|False means Down; anything else is a 400."""
    if raw is None:
        return None
    message = f"'{raw}' is not a valid status: use 1|true|True (Up) or 0|false|False (Down)."
    return _truth(raw, "status", message)


def parse_int(name: str, raw: str | None, minimum: int | None = None) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        raise field_error(name, "A valid integer is required.") from None
    if minimum is not None and value < minimum:
        raise field_error(name, f"Ensure this value is greater than or equal to {minimum}.")
    return value


def parse_timestamp(name: str, raw: str) -> float:
    """Epoch seconds from ISO-8601 with a UTC offset (or Z). A '+' sent unencoded
    arrives as a space, so a space before the offset is read as '+'."""
    text = raw.strip()
    if len(text) > 19 and text[-6] == " ":
        text = text[:-6] + "+" + text[-5:]
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise field_error(
            name, "Datetime has wrong format. Use ISO-8601, e.g. 2000-01-01T00:01:00+00:00."
        ) from None
    if value.tzinfo is None:
        raise field_error(name, "Datetime needs a UTC offset, e.g. 2000-01-01T00:01:00+00:00.")
    try:
        return value.timestamp()
    except (OverflowError, ValueError, OSError):
        raise field_error(name, "Datetime is out of range.") from None
