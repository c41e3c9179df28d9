"""`{{ device.name|shown_name }}` or `{{ device.name|shown_name:device.id }}` on every page
(common.device_names)."""

from django import template

from common import device_names

register = template.Library()
register.filter("shown_name", device_names.shown_name)
