"""Forms of the device writes: create/edit, and what they send upstream.

The password is write-only: never rendered back (`render_value=False`), required
on create, left out of an edit unless typed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django import forms

from accounts.models import Organization
from common import integers, moments

# Every POST field of the contract (POST /inventory_device/), in the order of the form.
DEVICE_FIELDS = (
    "name",
    "serial_number",
    "serial_number_alt",
    "customer_id",
    "type",
    "organization_id",
    "location_name",
    "latitude",
    "longitude",
    "description",
    "username",
    "password",
    "update_frequency",
)


# The largest device type id or update frequency a form sends: the range of the
# dashboard's own id columns (PositiveIntegerField). The contract gives no bound, and
# a number past it is a slip of the keyboard that the fleet cache might not hold.
MAX_NUMBER = integers.ID_MAX


def _bounded(message: str, *, required: bool = True, label: str) -> forms.IntegerField:
    """A whole number from 1 to MAX_NUMBER; `message` says so when it is not."""
    message = message.format(max=MAX_NUMBER)
    return forms.IntegerField(
        required=required,
        min_value=1,
        max_value=MAX_NUMBER,
        label=label,
        error_messages={"min_value": message, "max_value": message},
    )


def organization_choices(scope) -> list[tuple[int, str]]:
    """The organizations a scope allows, as (upstream id, label), by name."""
    orgs = Organization.objects.all()
    if not scope.all:
        orgs = orgs.filter(upstream_id__in=scope.ids)
    return [(o.upstream_id, f"{o.name} (#{o.upstream_id})") for o in orgs]


class DeviceForm(forms.Form):
    name = forms.CharField(max_length=255)
    serial_number = forms.CharField(max_length=255)
    serial_number_alt = forms.CharField(max_length=255, required=False, label="Alternative serial")
    customer_id = forms.CharField(max_length=255, required=False, label="Customer id")
    type = _bounded("A device type id is a whole number from 1 to {max}.", label="Device type id")
    organization_id = forms.TypedChoiceField(coerce=int, label="Organization")
    location_name = forms.CharField(max_length=255, required=False, label="Location name")
    latitude = forms.DecimalField(
        required=False, max_digits=8, decimal_places=6, min_value=Decimal(-90), max_value=90
    )
    longitude = forms.DecimalField(
        required=False, max_digits=9, decimal_places=6, min_value=Decimal(-180), max_value=180
    )
    description = forms.CharField(required=False, max_length=255, widget=forms.Textarea(
        attrs={"rows": 2}))  # fmt: skip
    username = forms.CharField(max_length=255, required=False, label="Management username")
    password = forms.CharField(
        max_length=255,
        required=False,
        label="Management password",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    update_frequency = _bounded(
        "The update frequency is a whole number of seconds from 1 to {max}.",
        required=False,
        label="Update frequency (seconds)",
    )

    def __init__(self, *args, organizations, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.creating = creating
        self.fields["organization_id"].choices = [("", "Choose…"), *organizations]
        password = self.fields["password"]
        if creating:
            password.required = True
            password.help_text = "Required on create. Never shown again."
        else:
            password.help_text = "Leave empty to keep the current password."

    def payload(self, *, only_changed: bool) -> dict:
        """The JSON body: every field on create, the changed ones on edit (the password only
        when typed). Coordinates go as decimal strings, as the upstream writes them."""
        names = DEVICE_FIELDS if not only_changed else [
            n for n in DEVICE_FIELDS if n in self.changed_data
        ]  # fmt: skip
        body = {}
        for name in names:
            value = self.cleaned_data.get(name)
            if name == "password":
                if value:
                    body[name] = value
                continue
            if isinstance(value, Decimal):
                value = f"{value:f}"
            if value == "" and not self.creating:
                value = None  # an emptied optional field is cleared upstream
            if value in ("", None) and self.creating:
                continue
            body[name] = value
        return body

    def add_upstream_errors(self, field_errors: dict) -> None:
        """A 400's field messages on their fields; the rest above the form."""
        for name, messages in field_errors.items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)


def device_initial(device) -> dict:
    return {
        name: getattr(device, "type" if name == "type" else name, None)
        for name in DEVICE_FIELDS
        if name != "password"
    }


class DeleteForm(forms.Form):
    confirm_name = forms.CharField(label="Device name, to confirm")


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


def key_values_text(mapping) -> str:
    return "\n".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in
                     (mapping or {}).items())  # fmt: skip


class KeyValuesField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3})

    def clean(self, value):
        return parse_key_values(super().clean(value) or "")


def zone_choices():
    import zoneinfo

    return [(z, z) for z in sorted(zoneinfo.available_timezones()) if "/" in z or z == "UTC"]


class ZonedDateTimeMixin:
    """A local date-time plus an explicit time zone, cleaned into an aware datetime."""

    def aware(self, local, zone_name):
        """ValueError in words when outside the bounds of `common.moments`."""
        import zoneinfo

        moment = local.replace(tzinfo=zoneinfo.ZoneInfo(zone_name))
        return moments.check(moment, as_typed=f"{local.isoformat(' ', 'minutes')} ({zone_name})")

    def local(self, moment, zone_name):
        """An aware datetime as the naive wall time of `zone_name`, as a widget shows it."""
        import zoneinfo

        return moment.astimezone(zoneinfo.ZoneInfo(zone_name)).replace(tzinfo=None)


class HeadlessForm(ZonedDateTimeMixin, forms.Form):
    device_serial = forms.CharField(max_length=255, label="Device serial number")
    operation_type = forms.ChoiceField(choices=[
        ("firmware_update", "Firmware update"), ("configuration_update", "Configuration update"),
    ])  # fmt: skip
    scheduled_time = forms.DateTimeField(
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
            # The field is read naive in the active zone; the zone chosen here wins.
            local = when.replace(tzinfo=None)
            try:
                data["scheduled_time"] = self.aware(local, zone)
            except ValueError as error:
                self.add_error("scheduled_time", str(error))
                return data
            now = datetime.now(UTC).replace(second=0, microsecond=0)
            # The upstream runs a past time at once, unasked: refused here (this minute is
            # still accepted, the widget having no seconds).
            if data["scheduled_time"] < now:
                self.add_error(
                    "scheduled_time",
                    f"{local:%Y-%m-%d %H:%M} ({zone}) is in the past: it is now "
                    f"{self.local(now, zone):%Y-%m-%d %H:%M} in {zone}. Choose a later time.",
                )
        return data


# Assumption (the simulator's rule, see simulator/device_operations.py): active <->
# maintenance, either -> decommissioned, nothing out of decommissioned.
TRANSITIONS = {
    "active": ["active", "maintenance", "decommissioned"],
    "maintenance": ["maintenance", "active", "decommissioned"],
    "decommissioned": ["decommissioned"],
}


class MaintenanceForm(ZonedDateTimeMixin, forms.Form):
    operational_status = forms.ChoiceField(label="Operational status")
    assigned_user = forms.CharField(required=False, max_length=255, label="Assigned user")
    maintenance_notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                        label="Maintenance notes")  # fmt: skip
    next_maintenance = forms.DateTimeField(
        required=False, label="Next maintenance",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )  # fmt: skip
    time_zone = forms.ChoiceField(label="Time zone of the next maintenance")
    configuration = KeyValuesField(required=False, help_text="One key=value per line.")

    def __init__(self, *args, current_status: str, default_zone: str, stored_next=None, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = TRANSITIONS.get(current_status, list(TRANSITIONS))
        self.fields["operational_status"].choices = [(s, s.capitalize()) for s in allowed]
        self.fields["time_zone"].choices = zone_choices()
        self.fields["time_zone"].initial = default_zone
        self.stored_next = stored_next
        if stored_next is not None:
            # The widget takes a naive local time: the stored instant in the zone shown below.
            self.fields["next_maintenance"].initial = self.local(stored_next, default_zone)

    def clean(self):
        data = super().clean()
        when, zone = data.get("next_maintenance"), data.get("time_zone")
        if when is not None and zone:
            try:
                when = self.aware(when.replace(tzinfo=None), zone)
            except ValueError as error:
                self.add_error("next_maintenance", str(error))
                return data
            stored = self.stored_next
            # The widget has no seconds: an untouched date keeps the stored one exactly.
            if stored is not None and when == stored.replace(second=0, microsecond=0):
                when = stored
            data["next_maintenance"] = when
        return data

    def payload(self, stored: dict) -> dict:
        """The PUT body: the status, every field with a value, and an empty value for a
        stored one the user emptied. A field empty here and in the kept answer `stored` is
        left out: the record cannot be read back, so a save never clears what we do not know."""
        data = self.cleaned_data
        body = {"operational_status": data["operational_status"]}
        for name in ("assigned_user", "maintenance_notes", "configuration", "next_maintenance"):
            if data.get(name):
                body[name] = data[name]
            elif stored.get(name):
                body[name] = {} if name == "configuration" else None
        return body
