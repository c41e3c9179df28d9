"""Forms of the device writes: create/edit, and what they send upstream.

The password is write-only: never rendered back (`render_value=False`), optional on
create as the contract assumes it (and as an imported row has it), left out of an edit
unless typed.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import Organization
from common import integers
from common.text_fields import LinesField
from devices.field_words import in_words

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


COORDINATE_PLACES = 6  # as the upstream keeps coordinates


HALF_LOCATION = "Give the {missing} too: a location needs both coordinates (or neither)."


class CoordinateField(forms.DecimalField):
    """A latitude or longitude, on the create and the edit form alike: a decimal from -limit
    to limit of at most 6 places. One mistake gets one message in words, the range's first:
    100 is "Latitude is between -90 and 90.", not that and a count of digits before the
    point (which the range already implies, so no max_digits is set)."""

    def __init__(self, *, limit: int, label: str, **kwargs):
        out_of_range = f"{label} is between -{limit} and {limit}."
        kwargs.setdefault("required", False)
        super().__init__(
            label=label,
            min_value=Decimal(-limit),
            max_value=Decimal(limit),
            decimal_places=COORDINATE_PLACES,
            error_messages={
                "min_value": out_of_range,
                "max_value": out_of_range,
                "max_decimal_places": f"{label} has at most {COORDINATE_PLACES} decimal places.",
            },
            **kwargs,
        )

    def run_validators(self, value):
        try:  # the range validators come first, then the decimal places
            super().run_validators(value)
        except ValidationError as error:
            raise ValidationError(error.error_list[:1]) from None


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
    latitude = CoordinateField(limit=90, label="Latitude")
    longitude = CoordinateField(limit=180, label="Longitude")
    description = LinesField(required=False, max_length=255, widget=forms.Textarea(
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
            password.help_text = (
                "The device's management password, if it has one (it can be set later). "
                "Never shown again."
            )
        else:
            password.help_text = "Leave empty to keep the current password."

    def clean(self):
        data = super().clean()
        latitude, longitude = data.get("latitude"), data.get("longitude")
        touched = self.creating or {"latitude", "longitude"} & set(self.changed_data)
        if (
            touched
            and (latitude is None) != (longitude is None)
            and not ({"latitude", "longitude"} & set(self.errors))
        ):
            # Half a location is shown nowhere ("Coordinates: not set"): both, or neither.
            missing = "longitude" if longitude is None else "latitude"
            self.add_error(missing, HALF_LOCATION.format(missing=missing))
        return data

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

    def ask_password_again(self) -> None:
        """After a refused save: a typed password is never rendered back, so saving the form
        again as shown would drop it without a word."""
        if self.data.get("password") and "password" not in self.errors:
            self.add_error("password", "Type the password again: it is never shown on a page.")

    def add_upstream_errors(self, field_errors: dict) -> None:
        """A 400's field messages on their fields; the rest above the form."""
        for name, messages in field_errors.items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, in_words(name, message))


def device_initial(device) -> dict:
    return {
        name: getattr(device, "type" if name == "type" else name, None)
        for name in DEVICE_FIELDS
        if name != "password"
    }


class DeleteForm(forms.Form):
    confirm_name = forms.CharField(label="Device name, to confirm")
