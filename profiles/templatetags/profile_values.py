"""`{{ value|shown }}`: any profile value as readable HTML, credentials already masked.

Nested mappings become definition lists, lists of plain values a comma-separated
line, other lists bullet lists; a masked credential shows as dots and "hidden".
The markup is templates/profiles/includes/value.html's, which escapes every text.
"""

from collections.abc import Mapping
from datetime import datetime

from django import template
from django.template.loader import render_to_string
from django.utils import timezone

from common.masking import Masked
from common.profile_health import describe_age

register = template.Library()


@register.filter
def shown(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    return render_to_string("profiles/includes/value.html#value", _value_context(value))


def _value_context(value) -> dict:
    """Which markup the value takes (`kind`) and its texts."""
    if isinstance(value, Masked):
        return {"kind": "masked", "text": value.text}
    if value is None or value == "":
        return {"kind": "muted", "text": "—"}
    if isinstance(value, datetime):
        moment = timezone.localtime(value)
        return {"kind": "time", "iso": value.isoformat(),
                "text": moment.strftime("%Y-%m-%d %H:%M:%S")}  # fmt: skip
    if isinstance(value, Mapping | list | tuple) and not value:
        return {"kind": "muted", "text": "none"}
    if isinstance(value, Mapping):
        return {"kind": "mapping", "pairs": [(str(k), v) for k, v in value.items()]}
    if isinstance(value, list | tuple):
        if all(
            isinstance(item, str | int | float) and not isinstance(item, bool) for item in value
        ):
            return {"kind": "line", "items": [str(item) for item in value]}
        return {"kind": "list", "items": list(value)}
    return {"kind": "text", "text": str(value)}


@register.filter
def ago(moment):
    """ "3 h 5 min ago" for a past datetime, "—" for None."""
    if moment is None:
        return "—"
    return f"{describe_age(timezone.now() - moment)} ago"
