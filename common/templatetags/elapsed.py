"""`{{ moment|since }}`: how long ago, in words (common.elapsed); `{{ moment|clock_or_day:"H:i" }}`:
the time alone on today's date in the display zone, else with its day; `{{ delta|duration }}`:
a timedelta in words ("1 hour, 30 minutes"); for every page."""

from django import template
from django.template.defaultfilters import date
from django.utils import timezone
from django.utils.timesince import timesince

from common import elapsed

register = template.Library()
register.filter("since", elapsed.since)


@register.filter
def clock_or_day(moment, clock: str = "H:i:s") -> str:
    """A time shown alone reads as today's: one of another day names its day ("Dec 3 03:04")."""
    if not moment:
        return ""
    if timezone.localtime(moment).date() == timezone.localdate():
        return date(moment, clock)
    return date(moment, f"M j {clock}")


@register.filter
def duration(delta) -> str:
    """A length of time as the "since" words say one, not as a clock ("1:30:00")."""
    if not delta:
        return ""
    now = timezone.now()
    return timesince(now - delta, now)
