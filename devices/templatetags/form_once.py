"""`{% form_key %}`: a new one-time key (devices.form_keys) for a form rendered in a list,
where each row's form acts at most once however often it is sent."""

from django import template

from devices import form_keys

register = template.Library()
register.simple_tag(form_keys.new_key, name="form_key")
