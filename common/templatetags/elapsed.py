"""`{{ moment|since }}`: how long ago, in words (common.elapsed), for every page."""

from django import template

from common import elapsed

register = template.Library()
register.filter("since", elapsed.since)
