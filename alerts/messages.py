"""What a notification says: a one-line subject, a text for people (e-mail, chat) and the
versioned webhook body (docs/OPERATIONS.md, "Webhook body, version 1").

Body version 1, every notification:
    version  1
    id       the delivery's key: the same on every retry (receivers drop repeats by it)
    event    down | up | flapping | flapping_ended | pending_stuck | pending_cleared |
             storm | storm_up | poller_failing | poller_recovered | profile_failing |
             profile_recovered | test
    rule     {"id", "name"}
    at       when the dashboard decided to send it (ISO 8601, UTC)
one device (device events):
    device   {"id", "name", "serial_number"}
    organization {"id", "name"}   (name null when the dashboard has not seen it)
    status   "Up" | "Down"        (the device's status when the message was made)
    since    when that status began, as the control API reports it (ISO 8601)
    link     the device's page on the dashboard
a storm (many devices of one poll):
    group    {"count", "shared": [{"fact", "value", "name", "count", "total"}],
              "devices": [{"id", "name", "serial_number", "organization_id"}] (at most 50),
              "first_since"}
    status, link (the triage board narrowed to them; for a recovery, the device list)
    a shared type's fact adds "profile": {"id", "name", "state", "reasons"} when the
    profile snapshot has that connection profile (a device's type is its profile id) and
    the rule's organization may see it (Evaluation.profile_health)
the poller (poller_failing, poller_recovered):
    since    when the dashboard counted the fleet poll failing
    failures failed polls in a row (poller_failing only)
    detail, link (the overview)
a connection profile (profile events):
    profile  {"id", "name", "state", "reasons"}  (the health rules' words: URLs masked)
    link     the profile's page on the dashboard
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings

from fleet.shared_facts import ORGANIZATION, TYPE, SharedFact, shared_facts

VERSION = 1
GROUP_DEVICES_SHOWN = 50
SUBJECT_LENGTH = 200

HEADLINES = {
    "down": "went Down",
    "up": "is back Up",
    "flapping": "is flapping",
    "flapping_ended": "stopped flapping",
    "pending_stuck": "has pending settings stuck",
    "pending_cleared": "has no stuck pending settings any more",
}


@dataclass(frozen=True)
class Message:
    subject: str
    body: dict

    @property
    def text(self) -> str:
        return text_of(self.subject, self.body)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def device_link(device_id: int) -> str:
    return f"{settings.DASHBOARD_URL}/devices/{device_id}/"


def _base(*, key: str, event: str, rule, at: datetime) -> dict:
    return {
        "version": VERSION,
        "id": key,
        "event": event,
        "rule": {"id": rule.pk, "name": rule.name},
        "at": iso(at),
    }


def device_message(
    *, key: str, event: str, rule, device, organization_name: str | None, at: datetime,
    detail: str = "",
) -> Message:  # fmt: skip
    """One device's event; `device` a controlapi.records.Device."""
    name = device.name or device.serial_number or f"device {device.id}"
    subject = f"{name} {HEADLINES.get(event, event)}"
    if detail:
        subject += f": {detail}"
    body = _base(key=key, event=event, rule=rule, at=at) | {
        "device": {"id": device.id, "name": device.name, "serial_number": device.serial_number},
        "organization": {"id": device.organization_id, "name": organization_name},
        "status": device.status,
        "since": iso(device.status_change),
        "link": device_link(device.id),
    }
    if detail:
        body["detail"] = detail
    return Message(subject[:SUBJECT_LENGTH], body)


def storm_message(
    *, key: str, event: str, rule, devices: Sequence[Any], names: dict[str, dict], at: datetime,
    profiles: dict[int, dict] | None = None,
) -> Message:  # fmt: skip
    """Many devices of one poll in one message. `names`: {"organization": {id: name},
    "type": {id: name}} where the dashboard knows them; `profiles`: profile id ->
    `profile_summary`, for the profile of a shared type."""
    facts = shared_facts(devices)
    shared = [_fact(f, names, profiles or {}) for f in facts]
    status = "Down" if event == "storm" else "Up"
    words = (
        ", ".join(_fact_words(f) for f in shared) or "nothing in common that the dashboard knows"
    )
    verb = "went Down" if status == "Down" else "are back Up"
    subject = f"{len(devices)} devices {verb} together ({rule.name})"
    ordered = sorted(devices, key=lambda d: d.id)
    first = min((d.status_change for d in devices if d.status_change), default=None)
    body = _base(key=key, event=event, rule=rule, at=at) | {
        "status": status,
        "group": {
            "count": len(devices),
            "shared": shared,
            "devices": [
                {
                    "id": d.id,
                    "name": d.name,
                    "serial_number": d.serial_number,
                    "organization_id": d.organization_id,
                }
                for d in ordered[:GROUP_DEVICES_SHOWN]
            ],  # fmt: skip
            "first_since": iso(first),
            "summary": words,
        },
        "link": group_link(facts, status=status, since=first, ids=[d.id for d in devices]),
    }
    return Message(subject[:SUBJECT_LENGTH], body)


def _fact(fact: SharedFact, names: dict[str, dict], profiles: dict[int, dict]) -> dict:
    shown = {
        "fact": fact.kind,
        "value": fact.value,
        "name": names.get(fact.kind, {}).get(fact.value),
        "count": fact.count,
        "total": fact.total,
    }
    if fact.kind == TYPE and fact.value in profiles:
        shown["profile"] = profiles[fact.value]
    return shown


def _fact_words(fact: dict) -> str:
    if fact["fact"] in (ORGANIZATION, TYPE):
        shown = f"{fact['name']} (#{fact['value']})" if fact["name"] else f"#{fact['value']}"
    else:
        shown = fact["value"]
    share = "all" if fact["count"] == fact["total"] else f"{fact['count']} of {fact['total']}"
    words = f"{share} {fact['fact']} {shown}"
    if profile := fact.get("profile"):
        words += f" (connection profile {profile['name']}: {profile['state']})"
    return words


def profile_summary(profile, judgement) -> dict:
    """A connection profile as messages name it: its name and the health rules' verdict
    and reasons, never its other data (it may carry credentials)."""
    return {
        "id": profile.id,
        "name": profile.name or f"profile {profile.id}",
        "state": judgement.state,
        "reasons": judgement.reasons,
    }


def profile_link(profile_id: int) -> str:
    return f"{settings.DASHBOARD_URL}/profiles/{profile_id}/"


def profile_message(*, key: str, event: str, rule, profile, judgement, at: datetime) -> Message:
    """A connection profile turned failing (`profile_failing`) or is no longer failing
    (`profile_recovered`)."""
    summary = profile_summary(profile, judgement)
    if event == "profile_failing":
        subject = f"Connection profile {summary['name']} is failing"
        if summary["reasons"]:
            subject += f": {'; '.join(summary['reasons'])}"
    else:
        subject = f"Connection profile {summary['name']} is no longer failing ({summary['state']})"
    body = _base(key=key, event=event, rule=rule, at=at) | {
        "profile": summary,
        "link": profile_link(profile.id),
    }
    return Message(subject[:SUBJECT_LENGTH], body)


# At most this many ids go into a link (`/triage/?devices=...`): about 2,500 characters,
# inside the request line a web server takes (gunicorn's default is 4,094).
LINKED_DEVICES = 300


def group_link(
    facts: Sequence[SharedFact], *, status: str, since: datetime | None, ids: Sequence[int]
) -> str:
    """Down: the triage board narrowed to the group's devices (devices/triage_filter.py),
    or, for a group too large for one link, to what all of them share. Up: the device
    list filtered by status, what they all share and the time of the status change (the
    board shows Down devices only)."""
    shared = {
        fact.kind: str(fact.value)
        for fact in facts
        if fact.shared_by_all and fact.kind in (ORGANIZATION, TYPE)
    }
    if status == "Down":
        params = (
            {"devices": ",".join(map(str, sorted(ids)))} if len(ids) <= LINKED_DEVICES else shared
        )
        query = urlencode(params, safe=",")  # ids stay readable: ?devices=1003,1008
        return f"{settings.DASHBOARD_URL}/triage/" + (f"?{query}" if query else "")
    params = {"status": status.lower(), **shared}
    if since is not None:
        params["last_status_change_from"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{settings.DASHBOARD_URL}/devices/?{urlencode(params)}"


def _utc_clock(moment: datetime, at: datetime) -> str:
    """`moment` in UTC, short: its day too only when it is not `at`'s."""
    moment, at = moment.astimezone(UTC), at.astimezone(UTC)
    return f"{moment:%H:%M} UTC" if moment.date() == at.date() else f"{moment:%Y-%m-%d %H:%M} UTC"


def poller_message(
    *, key: str, event: str, rule, at: datetime, since: datetime, failures: int = 0,
    last_success: datetime | None = None, reason: str = "",
) -> Message:  # fmt: skip
    """The fleet poll failing (`poller_failing`; `since`: when the dashboard counted it
    failing) or working again (`poller_recovered`; `last_success`: the poll that worked).
    The subject says what and since when; the poll's `reason`, often long, is said once, in
    the detail only, since text_of prints the subject and then the detail."""
    began = _utc_clock(since, at)
    body = _base(key=key, event=event, rule=rule, at=at) | {
        "since": iso(since),
        "link": f"{settings.DASHBOARD_URL}/",
    }
    if event == "poller_failing":
        polls = f"{failures} poll{'s' if failures != 1 else ''}"
        subject = f"Poller failing since {began}: {polls} failed"
        said = [f"The dashboard's poll of the control API failed: {polls} in a row."]
        if last_success is not None:
            said.append(f"The last successful poll started at {_utc_clock(last_success, at)}.")
        said.append(f"The last failure: {reason or 'not recorded.'}")
        body |= {"failures": failures, "detail": " ".join(said)}
    else:
        subject = f"Poller working again since {_utc_clock(last_success or at, at)}"
        body["detail"] = (
            f"The dashboard's poll of the control API works again; it was failing from {began}."
        )
    return Message(subject[:SUBJECT_LENGTH], body)


def test_message(*, key: str, rule, at: datetime, user_name: str) -> Message:
    subject = f"Test notification of rule “{rule.name}”"
    body = _base(key=key, event="test", rule=rule, at=at) | {
        "detail": f"Sent on request by {user_name}." if user_name else "Sent on request.",
        "link": f"{settings.DASHBOARD_URL}/",
    }
    return Message(subject[:SUBJECT_LENGTH], body)


def text_of(subject: str, body: dict) -> str:
    """The text of e-mail and chat messages, from the stored subject and body."""
    lines = [subject, ""]
    if device := body.get("device"):
        organization = body.get("organization") or {}
        serial, device_id = device.get("serial_number"), device.get("id")
        lines.append(f"Device: {device.get('name')} (serial {serial}, id {device_id})")
        lines.append(
            f"Organization: {organization.get('name') or ''} (id {organization.get('id')})".strip()
        )
        lines.append(f"Status: {body.get('status')} since {body.get('since') or 'unknown'}")
    if body.get("campaign") and (organization := body.get("organization")):
        org_id, named = organization.get("id"), organization.get("name")
        lines.append(
            f"Organization: {named} (id {org_id})" if named else f"Organization: id {org_id}"
        )
    if profile := body.get("profile"):
        lines.append(f"Connection profile: {profile.get('name')} (id {profile.get('id')})")
        lines.append(f"Health: {profile.get('state')}")
        lines.extend(f"- {reason}" for reason in profile.get("reasons") or [])
    if group := body.get("group"):
        lines.append(f"Devices: {group['count']}, first at {group.get('first_since') or 'unknown'}")
        lines.append(f"They share: {group.get('summary')}")
        shown = ", ".join(d.get("name") or str(d["id"]) for d in group.get("devices", [])[:20])
        lines.append(f"Among them: {shown}")
    if detail := body.get("detail"):
        lines.append(detail)
    if rule := body.get("rule"):
        lines.append(f"Rule: {rule.get('name')} (#{rule.get('id')})")
    if link := body.get("link"):
        lines.append(f"Open: {link}")
    return "\n".join(lines) + "\n"
