"""The operational history of a device's maintenance record, as the upstream answers it
(`{timestamp, action, from_status, to_status, performed_by}`), in words for its page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

# The upstream's `performed_by` for a change made through the API without an operator id
# (docs/CONTROL_API.md): this dashboard sends none, so it is ours or another client's.
API_ACTOR = "api"
THROUGH_THE_API = "through the control API (by this dashboard or another client)"


@dataclass(frozen=True, slots=True)
class HistoryLine:
    at: datetime | None  # None: no time, or one that cannot be read (then `at_text`)
    at_text: str
    text: str  # what happened, and who did it, as a sentence


def _moment(value) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value or "")
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


def _what(action: str, before: str, after: str) -> str:
    changed = bool(before and after and before != after)
    if action == "status_change":
        if changed:
            return f"Status changed from {before} to {after}"
        return f"Status changed to {after}" if after else "Status changed"
    # "update" (the status stayed), or an action this dashboard does not know, in words.
    said = "Record updated" if action in ("update", "") else action.replace("_", " ").capitalize()
    if changed:
        return f"{said}, status changed from {before} to {after}"
    return f"{said}, status stayed {after}" if after else said


def _who(performed_by: str) -> str:
    if not performed_by:
        return ""
    return THROUGH_THE_API if performed_by == API_ACTOR else f"by {performed_by}"


def history_in_words(entries: Iterable[Mapping]) -> list[HistoryLine]:
    """The entries newest first, each in words; an unreadable time is shown as it came."""
    lines = []
    for entry in reversed(list(entries)):
        if not isinstance(entry, Mapping):
            continue
        said = {k: str(entry.get(k) or "").strip() for k in
                ("timestamp", "action", "from_status", "to_status", "performed_by")}  # fmt: skip
        moment = _moment(said["timestamp"])
        who = _who(said["performed_by"])
        what = _what(said["action"], said["from_status"], said["to_status"])
        lines.append(HistoryLine(moment, "" if moment else said["timestamp"] or "—",
                                 f"{what}, {who}." if who else f"{what}."))  # fmt: skip
    return lines
