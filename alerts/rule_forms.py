"""The form of a notification rule: which devices, which events, how long to wait, where.

Destinations are secrets: an edit never shows a stored one back (only its masked form, with
a box to remove it); new ones are typed one apprise URL per line.
"""

from __future__ import annotations

import re

from django import forms

from alerts.destinations import mask, problem
from alerts.models import (
    DEFAULT_DELAY_SECONDS,
    DEFAULT_STORM_THRESHOLD,
    DEFAULT_STUCK_MINUTES,
    DELAY_SECONDS,
    FLAP_SETTLED_SECONDS,
    STORM_THRESHOLD,
    STUCK_MINUTES,
    Event,
    out_of_bounds,
)
from alerts.rule_selectors import FLAPPING_DEVICE, duration_in_words
from common import integers
from devices import device_ids

FLEET_WIDE = "fleet"
MAX_DESTINATIONS = 20
MAX_URL_LENGTH = 2000
MAX_DEVICE_IDS = 1000
_SEPARATORS = re.compile(r"[\s,]+")

PATTERN_HELP = (
    "Matches the device's name or serial number, ignoring case. With * (any characters) or "
    "? (one character) it must match the whole value: CPE-* is every name starting with "
    "CPE-. Without them it matches anywhere in the value: lab matches LAB-12 and "
    "old-lab. Empty: every device."
)
DESTINATIONS_HELP = (
    "One apprise URL per line, for example: "
    "mailto://noc@example.com (email through the dashboard's SMTP server), "
    "jsons://receiver.example:8443/path?secret=… (the dashboard's JSON webhook, signed "
    "when a secret is given), "
    "slack://TokenA/TokenB/TokenC/#channel, pagerduty://integrationkey@apikey, "
    "opsgenie://apikey, tgram://123456789:bottoken/chatid; Microsoft Teams (msteams://…) "
    "and the other services as apprise's documentation writes them. "
    "Once saved a destination is shown masked only."
)


def _bounded(bounds: tuple[str, int, int], *, initial: int, help_text: str = ""):
    label, minimum, maximum = bounds
    message = out_of_bounds(bounds, minimum - 1)
    return forms.IntegerField(
        label=label, min_value=minimum, max_value=maximum, initial=initial, help_text=help_text,
        error_messages={"min_value": message, "max_value": message, "invalid": message,
                        "required": f"Give the {label.lower()}."},
    )  # fmt: skip


class RuleForm(forms.Form):
    name = forms.CharField(max_length=120, error_messages={"required": "Give the rule a name."})
    organization = forms.ChoiceField(
        error_messages={
            "invalid_choice": "Choose one of the organizations listed: you may only make "
            "rules for those.",
            "required": "Choose the organization of the rule.",
        },
    )
    type_id = forms.IntegerField(
        required=False, min_value=1, max_value=integers.ID_MAX, label="Device type id",
        help_text="Only devices of this type (the id of their connection profile). Empty: "
        "any type.",
        error_messages={"min_value": "A device type id is a whole number from 1.",
                        "max_value": "That device type id is too large.",
                        "invalid": "A device type id is a whole number from 1."},
    )  # fmt: skip
    pattern = forms.CharField(
        required=False, max_length=100, label="Name or serial pattern", help_text=PATTERN_HELP
    )
    device_ids = forms.CharField(
        required=False, max_length=20_000, label="Device ids",
        help_text="Only these devices: ids separated by commas or spaces. Empty: every device "
        "the other choices select.",
    )  # fmt: skip
    events = forms.MultipleChoiceField(
        choices=Event.choices, widget=forms.CheckboxSelectMultiple, label="Events",
        help_text="“Flapping”: one message when a device starts flapping and one when it "
        "stops; without it a flapping device's Down is still sent (see Delay). "
        "“Connection profile failing” concerns the profiles of the rule's devices: "
        "the one its device type names, else the types its organization's devices have (every "
        "profile for a fleet-wide rule); a pattern or device ids do not narrow it. An "
        "organization's rule hears only of its own profiles (those that name it).",
        error_messages={"required": "Choose at least one event to notify.",
                        "invalid_choice": "Choose events from the list."},
    )  # fmt: skip
    delay_seconds = _bounded(
        DELAY_SECONDS, initial=DEFAULT_DELAY_SECONDS,
        help_text="How long a condition must last before it notifies: a device back within "
        f"it sends nothing. A flapping device ({FLAPPING_DEVICE}) is notified Down once it "
        f"has stayed Down this long or {duration_in_words(FLAP_SETTLED_SECONDS)}, whichever is "
        "longer, at most once a flap; its other changes wait for the flap to end.",
    )  # fmt: skip
    send_recovery = forms.BooleanField(
        required=False, initial=True, label="Send the recovery",
        help_text="Also notify when a notified condition ends (the device back Up).",
    )  # fmt: skip
    stuck_minutes = _bounded(
        STUCK_MINUTES, initial=DEFAULT_STUCK_MINUTES,
        help_text="For “Pending settings stuck”: how long pending settings may wait.",
    )  # fmt: skip
    storm_threshold = _bounded(
        STORM_THRESHOLD, initial=DEFAULT_STORM_THRESHOLD,
        help_text="More devices than this going Down in one poll send one grouped message.",
    )  # fmt: skip
    remove_destinations = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Remove destinations",
    )  # fmt: skip
    destinations = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        label="Destinations", help_text=DESTINATIONS_HELP,
        max_length=MAX_DESTINATIONS * (MAX_URL_LENGTH + 1),
    )  # fmt: skip

    def __init__(self, *args, organizations, fleet_wide: bool, stored=(), **kwargs):
        """`organizations`: (upstream id, label) the user may make rules for; `fleet_wide`:
        whether they may make fleet-wide ones; `stored`: the rule's Destination rows."""
        super().__init__(*args, **kwargs)
        choices = [(str(org_id), label) for org_id, label in organizations]
        if fleet_wide:
            choices.insert(0, (FLEET_WIDE, "Every organization (fleet-wide)"))
        if len(choices) > 1:
            choices.insert(0, ("", "Choose…"))
        self.fields["organization"].choices = choices
        self.stored = list(stored)
        if self.stored:
            self.fields["remove_destinations"].choices = [(str(d.pk), d.masked)
                                                          for d in self.stored]  # fmt: skip
            self.fields["destinations"].label = "Add destinations"
            self.fields["destinations"].help_text = DESTINATIONS_HELP.replace(
                "Once saved", "Leave empty to keep the ones above only. Once saved"
            )
        else:
            del self.fields["remove_destinations"]

    def clean_organization(self):
        value = self.cleaned_data["organization"]
        return None if value == FLEET_WIDE else int(value)

    def clean_pattern(self):
        return self.cleaned_data["pattern"].strip()

    def clean_device_ids(self):
        ids = []
        for part in filter(None, _SEPARATORS.split(self.cleaned_data["device_ids"])):
            device_id = integers.int_or_none(part, minimum=1, maximum=integers.ID_MAX)
            if device_id is None:
                raise forms.ValidationError(f"“{part[:40]}” is not a device id (a whole number).")
            ids.append(device_id)
        ids = sorted(set(ids))
        if len(ids) > MAX_DEVICE_IDS:
            raise forms.ValidationError(f"At most {MAX_DEVICE_IDS} device ids; use a pattern.")
        return ids

    def clean_destinations(self):
        urls = []
        for number, line in enumerate(self.cleaned_data["destinations"].splitlines(), start=1):
            url = line.strip()
            if not url:
                continue
            if len(url) > MAX_URL_LENGTH:
                raise forms.ValidationError(f"Line {number} is longer than {MAX_URL_LENGTH} "
                                            "characters.")  # fmt: skip
            # A URL without a scheme is refused before apprise, which would log it whole.
            why = "A destination is an apprise URL." if "://" not in url else problem(url)
            if why:
                raise forms.ValidationError(f"Line {number} ({mask(url)}): {why}")
            if url not in urls:
                urls.append(url)
        return urls

    def clean(self):
        data = super().clean()
        removed = {int(pk) for pk in data.get("remove_destinations") or ()}
        kept = [d for d in self.stored if d.pk not in removed]
        new = data.get("destinations")
        if new is not None:
            # One the rule already has would send each notification there twice.
            stored = {d.url for d in kept}
            new = data["destinations"] = [url for url in new if url not in stored]
            if not kept and not new:
                self.add_error("destinations", "Give at least one destination: where the "
                                               "notifications go.")  # fmt: skip
            elif len(kept) + len(new) > MAX_DESTINATIONS:
                self.add_error("destinations", f"A rule has at most {MAX_DESTINATIONS} "
                                               "destinations.")  # fmt: skip
        data["kept"] = kept
        data["removed"] = [d for d in self.stored if d.pk in removed]
        # A fleet-wide rule (NOC staff) may name any device; an organization's, only its own.
        organization = data.get("organization")
        if organization is not None and (
            said := device_ids.problem(organization, data.get("device_ids") or ())
        ):
            self.add_error("device_ids", said)
        return data
