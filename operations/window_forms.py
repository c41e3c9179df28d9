"""The form of a new maintenance window: which devices, when (once, or every day or week
at a local time in a time zone), and why. Its checks in words are
maintenance_windows.services.problems, shared with the command line."""

from __future__ import annotations

import re
from datetime import datetime

from django import forms

from common import integers
from maintenance_windows import services
from maintenance_windows.models import MaintenanceWindow
from operations.forms import WallTimeField, ZonedDateTimeMixin, zone_choices

COVERS = [
    ("organization", "The whole organization"),
    ("devices", "These devices"),
    ("type", "The devices of one type"),
    ("pattern", "Devices whose name or serial matches"),
]
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _moment(label: str, help_text: str = "") -> WallTimeField:
    return WallTimeField(
        required=False,
        label=label,
        help_text=help_text,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Write a date and time, e.g. 2026-12-24T22:00."},
    )


class WindowForm(ZonedDateTimeMixin, forms.Form):
    organization = forms.TypedChoiceField(
        coerce=int, label="Organization",
        error_messages={"invalid_choice": "Choose one of the organizations listed: you may "
                        "only make windows for those."},
    )  # fmt: skip
    covers = forms.ChoiceField(
        choices=COVERS, initial="organization", widget=forms.RadioSelect, label="Covers"
    )
    device_ids = forms.CharField(
        required=False,
        label="Device ids",
        help_text="With “These devices”: their ids, separated by commas or spaces "
        "(e.g. 1042, 1043).",
    )
    type_id = forms.CharField(required=False, label="Type")
    pattern = forms.CharField(
        required=False,
        max_length=100,
        label="Name or serial pattern",
        help_text="With “Devices whose name or serial matches”: part of the name or serial "
        "(any case), or a wildcard pattern such as CPE-* or AP-??.",
    )
    recurrence = forms.ChoiceField(
        choices=MaintenanceWindow.Recurrence.choices,
        initial="once",
        widget=forms.RadioSelect,
        label="Repeats",
    )
    starts_at = _moment(
        "Starts (once) / from (repeating)",
        "Empty: now. A start (or “from”) in the past counts only from when the window is "
        "kept: it never hides from the reports what was observed before.",
    )
    ends_at = _moment("Ends (once) / until (repeating, optional)")
    weekdays = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        label="Weekdays (every week)",
        choices=list(enumerate(services.WEEKDAY_NAMES)),
        widget=forms.CheckboxSelectMultiple,
    )
    local_start = forms.TimeField(
        required=False,
        label="Local start time (repeating)",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Write a time of day, e.g. 23:00."},
    )
    duration_minutes = forms.CharField(
        required=False,
        label="Duration in minutes (repeating)",
        widget=forms.NumberInput(attrs={"min": 1}),
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        error_messages={"invalid_choice": "“%(value)s” is not a time zone the dashboard knows."},
    )
    reason = forms.CharField(
        max_length=services.MAX_REASON,
        label="Reason",
        # The model keeps at most MAX_REASON (300) characters: said in words here, as
        # services.problems says it on the command line.
        error_messages={
            "required": "Say why: the reason is shown to everyone who sees the window.",
            "max_length": f"The reason must be at most {services.MAX_REASON} characters "
            "(it has %(show_value)d).",
        },
    )

    def __init__(
        self,
        *args,
        organizations,
        types: dict[int, str],
        default_zone: str,
        now: datetime,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.now = now
        self.fields["organization"].choices = [
            (o.upstream_id, f"{o.name} (#{o.upstream_id})") for o in organizations
        ]
        if types:
            # Types as the fleet cache knows them; without it, an id.
            self.fields["type_id"] = forms.ChoiceField(
                required=False,
                label="Type",
                choices=[("", "—")] + [(str(i), n) for i, n in types.items()],
                help_text="With “The devices of one type”.",
            )
        else:
            self.fields[
                "type_id"
            ].help_text = (
                "With “The devices of one type”: its id (the type names could not be read)."
            )
        self.fields["time_zone"].choices = zone_choices()
        self.fields["time_zone"].initial = default_zone
        # The start is left empty for "now" rather than filled with now's wall time in the
        # page's zone, which another zone chosen afterwards would read hours off.
        self.spec: services.WindowSpec | None = None

    def _ids(self, raw: str) -> tuple[int, ...]:
        words = [w for w in re.split(r"[\s,;]+", raw.strip()) if w]
        bad = [
            w
            for w in words
            if integers.int_or_none(w, minimum=1, maximum=integers.INT64_MAX) is None
        ]
        if bad:
            self.add_error(
                "device_ids", f"Not device ids: {', '.join(bad[:5])} (write whole numbers)."
            )
        return tuple(int(w) for w in words if w not in bad)

    def clean(self):
        data = super().clean()
        covers, zone = data.get("covers"), data.get("time_zone")
        ids, type_id, pattern = (), None, ""
        if covers == "devices":
            ids = self._ids(data.get("device_ids") or "")
            if not ids and "device_ids" not in self.errors:
                self.add_error("device_ids", "Give at least one device id.")
        elif covers == "type":
            raw = (data.get("type_id") or "").strip()
            type_id = integers.int_or_none(raw, minimum=1, maximum=integers.INT64_MAX)
            if type_id is None:
                self.add_error(
                    "type_id", "Choose a type." if not raw else f"“{raw}” is not a type id."
                )
        elif covers == "pattern":
            pattern = (data.get("pattern") or "").strip()
            if not pattern:
                self.add_error("pattern", "Give a part of the name or serial, or a pattern.")
        duration = None
        raw_minutes = (data.get("duration_minutes") or "").strip()
        if raw_minutes:
            duration = integers.int_or_none(raw_minutes, minimum=-(10**9), maximum=10**9)
            if duration is None:
                self.add_error("duration_minutes", f"“{raw_minutes}” is not a number of minutes.")
                return data
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if self.errors or not zone:
            return data
        try:
            starts = self.now if starts is None else self.aware(starts, zone)
            ends = None if ends is None else self.aware(ends, zone)
        except ValueError as error:
            self.add_error(None, str(error))
            return data
        self.spec = services.WindowSpec(
            organization_id=data["organization"],
            reason=data.get("reason") or "",
            starts_at=starts,
            ends_at=ends,
            recurrence=data["recurrence"],
            weekdays=tuple(data.get("weekdays") or ()),
            local_start=data.get("local_start"),
            duration_minutes=duration,
            time_zone=zone,
            type_id=type_id,
            pattern=pattern,
            device_ids=ids,
        )
        self.add_problems(services.problems(self.spec, self.now))
        return data

    def add_problems(self, problems: dict[str, list[str]]) -> None:
        for name, texts in problems.items():
            for text in texts:
                self.add_error(name if name in self.fields else None, text)
