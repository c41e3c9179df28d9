"""The form of a new campaign: target, image, waves, soak, stop rules, schedule window."""

from __future__ import annotations

from datetime import UTC

from django import forms
from django.utils import timezone

from campaigns.errors import CampaignError
from campaigns.planning import MAX_DEVICES
from campaigns.serials import MAX_FILE_BYTES, serials_in
from campaigns.services import SAME_HOUR, NewCampaign
from campaigns.waves import WaveError, parse_waves
from campaigns.window import zone
from common import moments
from common.integers import ID_MAX

WEEK_MINUTES = 7 * 24 * 60


class UTCDateTimeField(forms.DateTimeField):
    """Typed without an offset, a date and time in UTC (as the campaign's page and command
    say it), not in the zone the pages show times in."""

    def to_python(self, value):
        with timezone.override(UTC):
            return super().to_python(value)


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, label="Name (optional)")
    organization = forms.TypedChoiceField(coerce=int, label="Organization")
    type = forms.IntegerField(
        required=False, min_value=1, max_value=ID_MAX, label="Device type id (optional)",
        widget=forms.NumberInput(attrs={"list": "types-seen"}),
        help_text="Only devices of this type; empty: every type of the organization.",
    )  # fmt: skip
    saved_view = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Saved view (optional)",
        help_text="Only the devices this view of the device list shows, when it starts.",
    )  # fmt: skip
    serials = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        label="Serial numbers (optional)",
        help_text="One a line (or comma-separated): only these devices of the target.",
    )  # fmt: skip
    serials_file = forms.FileField(
        required=False, label="…or a file of serial numbers (optional)",
        help_text="Plain text or CSV, one serial number a line (the first column).",
    )  # fmt: skip
    image = forms.IntegerField(
        min_value=1, max_value=ID_MAX, label="Firmware image id",
        help_text="The control API has no image catalogue: type the id.",
        widget=forms.NumberInput(attrs={"list": "images-seen"}),
    )  # fmt: skip
    canary = forms.IntegerField(
        min_value=1, max_value=MAX_DEVICES, initial=1, label="Canary (devices)"
    )
    waves = forms.CharField(
        initial="10%,50%,100%", label="Waves",
        help_text="After the canary: cumulative percentages of the devices, ending at 100%.",
    )  # fmt: skip
    soak_minutes = forms.FloatField(
        min_value=0, max_value=WEEK_MINUTES, initial=10, label="Soak time (minutes)",
        help_text="Watched for Down after each update.",
    )  # fmt: skip
    confirm_timeout_minutes = forms.FloatField(
        min_value=0.1, max_value=WEEK_MINUTES, initial=30, label="Confirmation timeout (minutes)"
    )
    max_failed_percent = forms.FloatField(
        min_value=0, max_value=100, initial=10, label="Stop when more than this % of a wave failed"
    )
    max_down_percent = forms.FloatField(
        min_value=0, max_value=100, initial=10,
        label="Stop when more than this % of a wave is Down after its update",
        help_text="Beyond the same devices' Down rate before the campaign.",
    )  # fmt: skip
    not_before = UTCDateTimeField(
        required=False, label="Start no earlier than (optional, UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )  # fmt: skip
    hours_from = forms.IntegerField(required=False, min_value=0, max_value=23,
                                    label="Send only from this hour (optional)")  # fmt: skip
    hours_to = forms.IntegerField(required=False, min_value=0, max_value=23,
                                  label="… to this hour")  # fmt: skip
    time_zone = forms.CharField(max_length=64, initial="UTC", label="Time zone of the hours")

    def __init__(self, *args, organizations, views=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = organizations
        self.fields["saved_view"].choices = [("", "No saved view"), *views]

    def clean_serials_file(self):
        upload = self.cleaned_data.get("serials_file")
        if not upload:
            return ()
        try:
            return serials_in(upload.read(MAX_FILE_BYTES + 1))
        except CampaignError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_waves(self):
        try:
            parse_waves(self.cleaned_data["waves"])
        except WaveError as error:
            raise forms.ValidationError(str(error)) from None
        return self.cleaned_data["waves"]

    def clean_not_before(self):
        moment = self.cleaned_data.get("not_before")
        if moment is not None and not moments.within(moment):
            raise forms.ValidationError(f"Choose a date and time {moments.BOUNDS_WORDS}.")
        return moment

    def clean_time_zone(self):
        name = self.cleaned_data["time_zone"].strip() or "UTC"
        if zone(name) is None:
            raise forms.ValidationError("Unknown time zone: e.g. UTC or America/Bogota.")
        return name

    def clean(self):
        data = super().clean()
        # An hour refused by its own field was given: say only why it was refused.
        given = {n: self.data.get(n, "").strip() != "" for n in ("hours_from", "hours_to")}
        if given["hours_from"] != given["hours_to"]:
            missing = "hours_to" if given["hours_from"] else "hours_from"
            self.add_error(missing, "Give both hours of the window, or neither.")
        elif data.get("hours_from") is not None and data.get("hours_from") == data.get("hours_to"):
            self.add_error("hours_to", SAME_HOUR)
        return data

    def new_campaign(self) -> NewCampaign:
        data = self.cleaned_data
        raw = data.get("serials") or ""
        serials = tuple(s.strip() for s in raw.replace(",", "\n").splitlines() if s.strip())
        serials += tuple(data.get("serials_file") or ())
        return NewCampaign(
            organization_id=data["organization"], type_id=data.get("type"),
            image_id=data["image"], serials=serials, name=data.get("name") or "",
            saved_view_id=data.get("saved_view"),
            canary=data["canary"], waves=data["waves"], soak_minutes=data["soak_minutes"],
            confirm_timeout_minutes=data["confirm_timeout_minutes"],
            max_failed_percent=data["max_failed_percent"],
            max_down_percent=data["max_down_percent"], not_before=data.get("not_before"),
            hours_from=data.get("hours_from"), hours_to=data.get("hours_to"),
            time_zone=data["time_zone"],
        )  # fmt: skip
