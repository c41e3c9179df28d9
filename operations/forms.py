"""Forms of the dashboard's own operations: a scheduled (headless) operation, and a device's
maintenance record; both take a local date-time with its time zone."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from django import forms
from django.utils import timezone

from common import integers, moments
from common.masking import MASKED, mask_secrets
from common.text_fields import LinesField


def parse_key_values(text: str) -> dict:
    """'key=value' lines into a dict; values 'true'/'false' and whole numbers (ASCII digits,
    within 64 bits) are typed, any other value is text."""
    result = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise forms.ValidationError(f"Line {number}: write key=value.")
        value = value.strip()
        lowered = value.lower()
        if lowered in ("true", "false"):
            typed = lowered == "true"
        elif integers.is_whole(value):
            try:
                typed = integers.parse_int(value, minimum=integers.INT64_MIN,
                                           maximum=integers.INT64_MAX)  # fmt: skip
            except ValueError as error:
                raise forms.ValidationError(f"Line {number}: {key.strip()} {error}.") from None
        else:
            typed = value
        result[key.strip()] = typed
    return result


def _line(key, value) -> str:
    return f"{key}={str(value).lower() if isinstance(value, bool) else value}"


def key_values_text(mapping) -> str:
    return "\n".join(_line(k, v) for k, v in (mapping or {}).items())


def with_values(mapping) -> dict:
    """A kept configuration without its keys that hold null.

    A null is no value (the upstream answers `firmware_version: null` for a device that
    reports none, which nobody typed): shown, it read "None" and went back as that text, or
    shown empty it would go back as ""; so it is left out of the form."""
    return {k: v for k, v in (mapping or {}).items() if v is not None}


def shown_configuration(mapping) -> dict:
    """A kept configuration as its form shows it: keys with a value, secrets masked."""
    return mask_secrets(with_values(mapping))


def keep_unchanged(parsed: dict, text: str, stored) -> dict:
    """`parsed` (read from `text`), with the stored value of every key whose line is as the
    form showed it: a nested or decimal value, or text such as 007, cannot be typed back,
    and a masked secret left as shown keeps the secret, not the mask."""
    lines = {line.strip() for line in text.splitlines()}
    shown = shown_configuration(stored)
    return {
        k: stored[k] if k in shown and _line(k, shown[k]).strip() in lines else v
        for k, v in parsed.items()
    }


class KeyValuesField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3})

    def clean(self, value):
        return parse_key_values(super().clean(value) or "")


def zone_choices():
    return [(z, z) for z in sorted(zoneinfo.available_timezones()) if "/" in z or z == "UTC"]


class WallTimeField(forms.DateTimeField):
    """A date and time as typed, without a zone (naive): the form reads it in the zone it
    names (`ZonedDateTimeMixin.aware`). Django would first read it in the page's zone and
    refuse, in its own vague words, a time that zone's clocks skip or show twice."""

    def to_python(self, value):
        with timezone.override(UTC):
            moment = super().to_python(value)
        return None if moment is None else moment.replace(tzinfo=None)


class ZonedDateTimeMixin:
    """A local date-time plus an explicit time zone, cleaned into an aware datetime."""

    def aware(self, local, zone_name):
        """ValueError in words when outside the bounds of `common.moments`, or a time the
        zone's clocks skip or show twice."""
        moment = local.replace(tzinfo=zoneinfo.ZoneInfo(zone_name))
        moments.check(moment, as_typed=f"{local.isoformat(' ', 'minutes')} ({zone_name})")
        # A wall time the clocks skip would silently become another one (an hour later).
        shown = self.local(moment.astimezone(UTC), zone_name)
        if shown != local:
            raise ValueError(
                f"{local:%Y-%m-%d %H:%M} does not exist in {zone_name}: the clocks skip it "
                f"(daylight saving time starts). Choose another time, e.g. {shown:%H:%M}."
            )
        # One the clocks show twice would silently be the first of the two.
        again = moment.replace(fold=1)
        if again.utcoffset() != moment.utcoffset():
            first, second = moment.astimezone(UTC), again.astimezone(UTC)
            raise ValueError(
                f"{local:%Y-%m-%d %H:%M} happens twice in {zone_name}: the clocks go back "
                f"(daylight saving time ends). Choose another time, or give it in UTC: "
                f"{first:%H:%M} UTC is the first, {second:%H:%M} UTC the second."
            )
        return moment

    def local(self, moment, zone_name):
        """An aware datetime as the naive wall time of `zone_name`, as a widget shows it."""
        return moment.astimezone(zoneinfo.ZoneInfo(zone_name)).replace(tzinfo=None)

    def clean_future(self, data, field: str, zone_name: str, *, otherwise: str = ""):
        """`data[field]`, a local time in `zone_name`, made aware; an error on the field in
        words when it is not a time that exists or lies in the past (this minute is still
        accepted, the widget having no seconds). `otherwise`: words after the advice."""
        when = data[field]
        try:
            data[field] = self.aware(when, zone_name)
        except ValueError as error:
            self.add_error(field, str(error))
            return
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        if data[field] < now:
            self.add_error(
                field,
                f"{when:%Y-%m-%d %H:%M} ({zone_name}) is in the past: it is now "
                f"{self.local(now, zone_name):%Y-%m-%d %H:%M} in {zone_name}. Choose a later "
                f"time{otherwise}.",
            )


class HeadlessForm(ZonedDateTimeMixin, forms.Form):
    device_serial = forms.CharField(max_length=255, label="Device serial number")
    operation_type = forms.ChoiceField(choices=[
        ("firmware_update", "Firmware update"), ("configuration_update", "Configuration update"),
    ])  # fmt: skip
    scheduled_time = WallTimeField(
        label="Scheduled time",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    time_zone = forms.ChoiceField(label="Time zone of the scheduled time")
    parameters = KeyValuesField(
        required=False,
        help_text="One key=value per line, e.g. firmware_image=47 or config_profile=production_v2",
    )

    def __init__(self, *args, default_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = zone_choices()
        self.fields["time_zone"].initial = default_zone
        self.fields["scheduled_time"].help_text = (
            f"Read in the time zone chosen below (by default {default_zone}, the dashboard's "
            "display time zone); it cannot be in the past."
        )

    def clean(self):
        data = super().clean()
        when, zone = data.get("scheduled_time"), data.get("time_zone")
        if when is not None and zone:
            # The upstream runs a past time at once, unasked: refused here.
            self.clean_future(data, "scheduled_time", zone)
        return data


# Assumption (the simulator's rule, see simulator/device_operations.py): active <->
# maintenance, either -> decommissioned, nothing out of decommissioned.
TRANSITIONS = {
    "active": ["active", "maintenance", "decommissioned"],
    "maintenance": ["maintenance", "active", "decommissioned"],
    "decommissioned": ["decommissioned"],
}


# ASSUMPTION (the upstream's limit as we read it): the longest assigned user typed here.
ASSIGNED_USER_LENGTH = 255


class MaintenanceForm(ZonedDateTimeMixin, forms.Form):
    operational_status = forms.ChoiceField(label="Operational status")
    # Its length is checked in `clean_assigned_user`: a longer one stored elsewhere is kept.
    assigned_user = forms.CharField(
        required=False,
        label="Assigned user",
        widget=forms.TextInput(attrs={"maxlength": ASSIGNED_USER_LENGTH}),
    )
    maintenance_notes = LinesField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                   label="Maintenance notes")  # fmt: skip
    next_maintenance = WallTimeField(
        required=False, label="Next maintenance",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )  # fmt: skip
    time_zone = forms.ChoiceField(label="Time zone of the next maintenance")
    configuration = KeyValuesField(required=False, help_text="One key=value per line.")

    def __init__(self, *args, current_status: str, default_zone: str, stored_next=None,
                 zone_chosen: bool = False, stored_configuration=None, **kwargs):  # fmt: skip
        """`default_zone`: the zone the next maintenance was last saved in here
        (`zone_chosen`), else the display zone. `stored_configuration`: the kept answer's."""
        super().__init__(*args, **kwargs)
        self.stored_configuration = stored_configuration or {}
        shown = key_values_text(shown_configuration(self.stored_configuration))
        self.fields["configuration"].initial = shown
        hints = ["One key=value per line."]
        if MASKED.text in shown:
            hints.append(f"Secrets show as {MASKED.text}: a line left as it is keeps the secret.")
        unset = [str(k) for k, v in self.stored_configuration.items() if v is None]
        if unset:
            hints.append(f"Not shown, without a value in the last answer: {', '.join(unset)}.")
        self.fields["configuration"].help_text = " ".join(hints)
        allowed = TRANSITIONS.get(current_status, list(TRANSITIONS))
        self.fields["operational_status"].choices = [(s, s.capitalize()) for s in allowed]
        self.fields["time_zone"].choices = zone_choices()
        self.fields["time_zone"].initial = default_zone
        self.fields["time_zone"].help_text = (
            "The zone the next maintenance was last saved in here (the control API keeps "
            "only the moment, not its zone)."
            if zone_chosen
            else f"By default {default_zone}, the dashboard's display time zone."
        )
        self.stored_next = stored_next
        if stored_next is not None:
            # The widget takes a naive local time: the stored instant in the zone shown below.
            shown = self.local(stored_next, default_zone)
            self.fields["next_maintenance"].initial = shown
            if stored_next < datetime.now(UTC):
                self.fields["next_maintenance"].help_text = (
                    f"This next maintenance ({shown:%Y-%m-%d %H:%M} {default_zone}) has "
                    "passed: set a later one, or empty the field (saved untouched, it is kept)."
                )

    def clean_assigned_user(self):
        value = self.cleaned_data["assigned_user"]
        stored = (self.initial.get("assigned_user") or "").strip()
        if len(value) > ASSIGNED_USER_LENGTH and value != stored:
            raise forms.ValidationError(
                f"At most {ASSIGNED_USER_LENGTH} characters (this has {len(value)})."
            )
        return value

    def clean(self):
        data = super().clean()
        when, zone = data.get("next_maintenance"), data.get("time_zone")
        if when is not None and zone:
            stored = self.stored_next
            # An untouched date keeps the stored one exactly: the widget has no seconds,
            # and its wall time may be one the clocks show twice.
            if stored is not None and when == self.local(
                stored.replace(second=0, microsecond=0), zone
            ):
                data["next_maintenance"] = stored
                return data
            # Refused, not warned: a past "next" maintenance is a mistyped date, and once
            # saved it reads as an overdue one.
            self.clean_future(data, "next_maintenance", zone, otherwise=", or leave it empty")
        return data

    def payload(self, stored: dict) -> dict:
        """The PUT body: the status, every field with a value, and an empty value for a
        stored one the user emptied. A field empty here and in the kept answer `stored` is
        left out: the record cannot be read back, so a save never clears what we do not know."""
        data = self.cleaned_data
        body = {"operational_status": data["operational_status"]}
        for name in ("assigned_user", "maintenance_notes", "configuration", "next_maintenance"):
            kept = stored.get(name)
            if name == "configuration":
                kept = with_values(kept)  # as the form showed it: a null is nothing to clear
            if name == "configuration" and data.get(name):
                typed = self.data.get(self.add_prefix(name), "")
                body[name] = keep_unchanged(data[name], typed, kept)
            elif data.get(name):
                # Untouched, as stored: the form drops the spaces at the ends of a text.
                untouched = isinstance(kept, str) and kept.strip() == data[name]
                body[name] = kept if untouched else data[name]
            elif kept:
                body[name] = {} if name == "configuration" else None
        return body

    def hide_new_secrets(self):
        """After a refused save, a secret typed in the configuration is not shown back (as a
        device password is not): its line keeps only the key, and the field says so."""
        name = self.add_prefix("configuration")
        shown = key_values_text(shown_configuration(self.stored_configuration))
        shown_lines = {line.strip() for line in shown.splitlines()}
        lines, retype = [], []
        for line in self.data.get(name, "").splitlines():
            key, sep, value = (part.strip() for part in line.partition("="))
            # The masking rule says what is secret: a credential's name, a URL's password.
            secret = mask_secrets({key: value}) != {key: value}
            if sep and key and secret and line.strip() not in shown_lines:
                line = f"{key}="
                retype.append(key)
            lines.append(line)
        if retype:
            self.data = self.data.copy()
            self.data[name] = "\n".join(lines)
            self.add_error("configuration", f"Type the value of {', '.join(retype)} again: "
                           "a secret is not shown back.")  # fmt: skip
