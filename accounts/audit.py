"""The audit trail: every action a person asks for is written here, once.

Services call `record_action` after the upstream answered (or did not); the
entry says who, what, on which device of which organization, and how it ended.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from accounts.models import AuditEntry, Organization
from common import integers
from common.log_redaction import redact as redact_text
from common.masking import mask_url
from controlapi.secret_words import looks_secret

OK = AuditEntry.Result.OK
FAILED = AuditEntry.Result.FAILED
UNKNOWN = AuditEntry.Result.UNKNOWN
# Who the trail names for a change made by a management command (no person logged in).
COMMAND_LINE = "(command line)"

REDACTED = "[redacted]"


def redact(value: Any) -> Any:
    """A copy of `value` with every secret-looking key's value replaced, and the passwords
    and secret-looking query values of the URLs in its texts."""
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if looks_secret(key) else redact(item) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return redact_urls(value)
    return value


def redact_urls(text: str) -> str:
    """`text` with URLs' passwords and credential-like query values (a firmware image's
    download link, a signed URL) replaced: a parameter's name does not say it holds one."""
    return mask_url(text, REDACTED)


# What each action is called on the audit page; the stored name stays the filter's and the
# CSV's key. A name missing here is shown with its underscores as spaces.
ACTION_LABELS = {
    "reboot": "Reboot",
    "sync": "Sync configuration",
    "reconf": "Re-apply configuration",
    "debug-on": "Debug on",
    "debug-off": "Debug off",
    "firmware": "Firmware update",
    "factory-reset": "Factory reset",
    "device-factory-reset": "Device-only factory reset",
    "refresh": "Refresh from the control API",
    "device_create": "Create a device",
    "device_edit": "Edit a device",
    "device_delete": "Delete a device",
    "device_import": "Import devices from a CSV file",
    "maintenance": "Update the maintenance record",
    "maintenance_window_create": "Create a maintenance window",
    "maintenance_window_end": "End a maintenance window",
    "maintenance_window_cancel": "Cancel a maintenance window",
    "maintenance_window_record_open": "Maintenance record opened its window",
    "maintenance_window_record_close": "Maintenance record ended its window",
    "headless_create": "Schedule an operation by serial number",
    "export": "Export devices as CSV",
    "claim": "Claim a device (I'm on it)",
    "release_claim": "Release a claim",
    "claim_group": "Claim a group of devices (I'm on it)",
    "release_group_claim": "Release a group's claim",
    "bulk_cancel": "Cancel a bulk action",
    "campaign_create": "Create a firmware campaign",
    "campaign_start": "Start a firmware campaign",
    "campaign_pause": "Pause a firmware campaign",
    "campaign_resume": "Resume a firmware campaign",
    "campaign_cancel": "Cancel a firmware campaign",
    "alert_rule_create": "Create a notification rule",
    "report_prepare": "Prepare an uptime report",
    "alert_rule_edit": "Edit a notification rule",
    "alert_rule_disable": "Disable a notification rule",
    "alert_rule_enable": "Enable a notification rule",
    "alert_rule_delete": "Delete a notification rule",
    "alert_rule_test": "Send a test notification",
    "note_add": "Add a note to a device",
    "note_pin": "Pin a note as a warning",
    "note_unpin": "Unpin a note",
    "note_delete": "Delete a note",
    "saved_view_create": "Save a view of the device list",
    "saved_view_rename": "Rename a saved view",
    "saved_view_update": "Change what a saved view keeps",
    "saved_view_delete": "Delete a saved view",
    "saved_view_default": "Choose the default view of Devices",
    "saved_view_default_clear": "Open Devices with every device again",
    "saved_view_pin": "Pin a saved view to the overview",
    "saved_view_unpin": "Unpin a saved view from the overview",
    "wall_settings": "Choose the wall screen’s panels",
    "login_failed": "Failed login",
    "login_locked_out": "Login locked out",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action) or action.replace("_", " ").replace("-", " ").capitalize()


def actions_matching(text: str) -> list[str]:
    """The stored action names for what a person typed: every action whose label as shown
    (or name) holds the text, case aside ("schedule", "maintenance"), and the text as a name
    itself ("claim_group", or an action of an older version)."""
    wanted = " ".join(text.casefold().split())
    names = {
        name
        for name in ACTION_LABELS
        if wanted in action_label(name).casefold() or wanted in name.replace("_", " ")
    }
    return sorted(names | {"_".join(wanted.split())})


# Parameters that hold the id of a thing the entry is about: "window #12", not "window: 12".
ID_KEYS = {
    "window": "window", "view": "view", "note": "note", "campaign": "campaign",
    "job": "bulk job", "import_job": "import job", "firmware_image": "firmware image",
    "rule_id": "rule",
}  # fmt: skip
ORGANIZATION_KEYS = ("organization", "organization_id", "organizations")
# Internal keys that mean nothing to a reader: left out, or said in words. ASSUMPTION: a
# group claim's key only ties its entries together (its "devices" says how many), and a
# resend's key is a form key nobody can look up.
INTERNAL_KEYS = {"group": None, "resend_of": "resend of an earlier request"}
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def describe_parameters(
    parameters: Mapping[str, Any], *, organization_names: Mapping[int, str] | None = None
) -> str:
    """An entry's parameters for people: "no assigned user; operational status: maintenance",
    by name (PostgreSQL's JSON keeps no order of its own), the id of what it is about first;
    moments in the display zone, weekdays and organizations by name. `organization_names`:
    upstream id -> name, when the caller has them (looked up otherwise)."""
    values = redact(dict(parameters or {}))
    if organization_names is None:
        organization_names = organization_names_of(organization_ids(values))
    # A repeating window's local start is a time of its own zone: said with it.
    if values.get("local_start") and values.get("time_zone"):
        values["local_start"] = f"{values['local_start']} {values.pop('time_zone')}"
    words = _Words(organization_names)
    return words.pairs(values, "; ")


def _is_id(key: str, value: Any) -> bool:
    return key in ID_KEYS and isinstance(value, int) and not isinstance(value, bool)


class _Words:
    """Parameters (keys and their values, nested ones alike) in words."""

    def __init__(self, organization_names: Mapping[int, str]):
        self.organization_names = organization_names

    def pairs(self, values: Mapping[str, Any], between: str) -> str:
        """Every pair that says something, the id of what the entry is about first."""
        keys = sorted(values, key=lambda key: (not _is_id(key, values[key]), key))
        return between.join(p for p in (self.pair(str(k), values[k]) for k in keys) if p)

    def pair(self, key: str, value: Any) -> str:
        name = key.replace("_", " ")
        if key in INTERNAL_KEYS:
            return INTERNAL_KEYS[key] or ""
        if _is_id(key, value):
            return f"{ID_KEYS[key]} #{value}"
        if value is None or value == "":
            return "no end" if key == "ends_at" else f"no {name}"
        if key == "weekdays" and isinstance(value, list):
            # Only a weekly window has weekdays: an empty list says nothing.
            return f"{name}: {', '.join(map(_weekday, value))}" if value else ""
        if key in ORGANIZATION_KEYS:
            listed = value if isinstance(value, list) else [value]
            return f"{name}: {', '.join(map(self.organization, listed)) or 'none'}"
        if key == "length" and isinstance(value, int):
            return f"{name}: {value} characters"
        if key == "action" and isinstance(value, str):
            return f"{name}: {action_label(value)}"
        return f"{name}: {self.value(value)}"

    def value(self, value: Any) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, Mapping):
            return f"({self.pairs(value, ', ')})" if value else "none"
        if isinstance(value, list):
            return ", ".join(self.value(item) for item in value) or "none"
        if isinstance(value, str):
            return _moment_words(value) or value
        return "none" if value is None else str(value)

    def organization(self, value: Any) -> str:
        org_id = _organization_id(value)
        if org_id is None:
            return self.value(value)
        name = self.organization_names.get(org_id)
        return f"{name} (#{org_id})" if name else f"#{org_id}"


def _weekday(day: Any) -> str:
    return WEEKDAY_NAMES[day] if isinstance(day, int) and 0 <= day <= 6 else str(day)


def _moment_words(text: str) -> str | None:
    """An ISO date and time as "YYYY-MM-DD HH:MM" in the current (display) zone; None for
    any other text. ASSUMPTION: one without an offset is UTC, as the trail stores them."""
    if not _MOMENT.match(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    except (ValueError, OverflowError):  # not a moment after all, or past year 9999 here
        return None


def _organization_id(value: Any) -> int | None:
    """An organization id as a number or its digits; None for anything else (no id past the
    database's integers reaches a query)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= integers.ID_MAX else None
    return integers.int_or_none(value, minimum=1, maximum=integers.ID_MAX)


def organization_ids(parameters: Any) -> set[int]:
    """The organization ids that `parameters` name (at any depth), for one look-up."""
    found: set[int] = set()
    if isinstance(parameters, Mapping):
        for key, value in parameters.items():
            if key in ORGANIZATION_KEYS:
                listed = value if isinstance(value, list) else [value]
                found |= {i for i in map(_organization_id, listed) if i is not None}
            else:
                found |= organization_ids(value)
    elif isinstance(parameters, list):
        for item in parameters:
            found |= organization_ids(item)
    return found


def organization_names_of(org_ids) -> dict[int, str]:
    """Upstream id -> name of the organizations known among `org_ids`."""
    wanted = {i for i in org_ids if i is not None}
    if not wanted:
        return {}
    rows = Organization.objects.filter(upstream_id__in=wanted)
    return dict(rows.values_list("upstream_id", "name"))


def parameters_json(parameters: Mapping[str, Any]) -> str:
    """An entry's parameters as JSON (the CSV's column), secrets masked."""
    return json.dumps(redact(dict(parameters or {})), ensure_ascii=False, sort_keys=True)


def record_action(
    *,
    user,
    action: str,
    result: str,
    organization_id: int | None = None,
    device_id: int | None = None,
    device_name: str = "",
    parameters: Mapping[str, Any] | None = None,
    upstream_status: int | None = None,
    error_message: str = "",
    duration_ms: int | None = None,
    request_id: str = "",
    username: str = "",
) -> AuditEntry:
    """Append one entry. `result` is OK, FAILED or UNKNOWN (timed out after sending).

    `username` names who it was when there is no user to name (a failed login)."""
    if result not in AuditEntry.Result.values:
        raise ValueError(f"Unknown audit result {result!r}.")
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEntry.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else (username or "(system)"),
        action=action,
        result=result,
        organization_id=organization_id,
        device_id=device_id,
        device_name=device_name or "",
        parameters=redact(dict(parameters or {})),
        upstream_status=upstream_status,
        # Upstream error text can echo a request; keep the token out of the trail too.
        error_message=redact_urls(redact_text(error_message or "")),
        duration_ms=duration_ms,
        request_id=request_id or "",
    )


def entries_for(scope):
    """Audit entries inside an OrgScope, newest first."""
    entries = AuditEntry.objects.all()
    if not scope.all:
        entries = entries.filter(organization_id__in=scope.ids)
    return entries


def last_deletion(scope, device_id: int) -> AuditEntry | None:
    """The newest delete of the device made through the dashboard and answered OK, among
    the entries `scope` may read; None when there is none (deleted elsewhere, or never)."""
    entries = entries_for(scope).filter(
        device_id=device_id, action="device_delete", result=AuditEntry.Result.OK
    )
    return entries.order_by("-created_at", "-id").first()


def device_names(scope, device_ids) -> dict[int, str]:
    """Device id -> the name the newest entry that `scope` may read kept for it, for entries
    that kept none (a note pinned, a maintenance window): every other entry of the device
    was named from the read model when it was written.

    ASSUMPTION: the newest name the trail kept is the device's name (a rename since is
    named by the first entry after it)."""
    named = entries_for(scope).exclude(device_name="").order_by("-created_at", "-id")
    names = {}
    # One look-up per device (at most a page's), each the newest by the device index.
    for device_id in {i for i in device_ids if i is not None}:
        name = named.filter(device_id=device_id).values_list("device_name", flat=True).first()
        if name:
            names[device_id] = name
    return names


def filter_entries(
    entries,
    *,
    username: str = "",
    organization_id: int | None = None,
    actions: list[str] | None = None,
    result: str = "",
    since=None,
    until=None,
    device_id: int | None = None,
):
    """Narrow entries (already scoped with `entries_for`) by the audit page's filters."""
    if username:
        entries = entries.filter(username=username)
    if organization_id is not None:
        entries = entries.filter(organization_id=organization_id)
    if actions:
        entries = entries.filter(action__in=actions)
    if result:
        entries = entries.filter(result=result)
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    if until is not None:
        entries = entries.filter(created_at__lt=until)
    if device_id is not None:
        entries = entries.filter(device_id=device_id)
    return entries
