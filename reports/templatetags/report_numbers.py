"""The report's number formats (reports.formatting) as template filters."""

from django import template

from reports import formatting

register = template.Library()
register.filter("duration", formatting.duration)
register.filter("percent", formatting.percent)
register.filter("not_observed", formatting.not_observed)
