"""The audit trail: every action a person asks for is written here, once.

Services call `record_action` after the upstream answered (or did not); the
entry says who, what, on which device of which organization, and how it ended.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from accounts.models import AuditEntry
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


def describe_parameters(parameters: Mapping[str, Any]) -> str:
    """An entry's parameters for people: "no assigned user; operational status: maintenance",
    by name (PostgreSQL's JSON keeps no order of its own)."""
    parts = []
    for key, value in sorted(redact(dict(parameters or {})).items()):
        name = key.replace("_", " ")
        if value is None or value == "":
            parts.append(f"no {name}")
        elif isinstance(value, bool):
            parts.append(f"{name}: {'yes' if value else 'no'}")
        elif isinstance(value, dict | list):
            parts.append(f"{name}: {json.dumps(value, ensure_ascii=False)}")
        else:
            parts.append(f"{name}: {value}")
    return "; ".join(parts)


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
