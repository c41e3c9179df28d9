"""`{{ value|shown }}`: any profile value as readable HTML, credentials already masked.

Nested mappings become definition lists, lists of plain values a comma-separated
line, other lists bullet lists; a masked credential shows as dots and "hidden".
Everything is escaped (format_html).
"""

from collections.abc import Mapping
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from profiles.health import describe_age
from profiles.masking import Masked

register = template.Library()


@register.filter
def shown(value):
    if isinstance(value, Masked):
        return format_html(
            '<span class="masked" title="Credential, not sent to the browser">{} '
            '<span class="masked-note">hidden</span></span>',
            value.text,
        )
    if value is None or value == "":
        return format_html('<span class="muted">{}</span>', "—")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        moment = timezone.localtime(value)
        return format_html(
            '<time datetime="{}">{}</time>', value.isoformat(), moment.strftime("%Y-%m-%d %H:%M:%S")
        )
    if isinstance(value, Mapping):
        if not value:
            return format_html('<span class="muted">{}</span>', "none")
        rows = format_html_join(
            "", "<dt>{}</dt><dd>{}</dd>", ((k, shown(v)) for k, v in value.items())
        )
        return format_html('<dl class="nested">{}</dl>', rows)
    if isinstance(value, list | tuple):
        if not value:
            return format_html('<span class="muted">{}</span>', "none")
        if all(
            isinstance(item, str | int | float) and not isinstance(item, bool) for item in value
        ):
            return format_html_join(", ", "{}", ((item,) for item in value))
        return format_html(
            '<ul class="nested">{}</ul>',
            format_html_join("", "<li>{}</li>", ((shown(i),) for i in value)),
        )
    return format_html("{}", value)


@register.filter
def ago(moment):
    """ "3 h 5 min ago" for a past datetime, "—" for None."""
    if moment is None:
        return "—"
    return f"{describe_age(timezone.now() - moment)} ago"
