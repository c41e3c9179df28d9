"""The field-by-field change of one write, worked out at write time (the upstream keeps no
history) and kept with its audit entry (devices.change_models.RecordedChange).

Only fields whose value changed are kept. A credential-like field (common.masking's rule)
is kept as changed with no value at all, so neither the row nor a page can show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from common.masking import is_credential_name, mask_secrets
from devices.change_models import RecordedChange


def plain(value: Any) -> Any:
    """A value as JSON keeps it and a page shows it: numbers as text, times in ISO-8601,
    credentials inside mappings masked."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, Mapping | list | tuple):
        masked = mask_secrets(value)
        return _json(masked)
    return value


def _json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)  # the mask, or a value JSON has no type for


def _same(before: Any, after: Any) -> bool:
    # A form sends "" where the record holds None, and numbers as numbers or text.
    def norm(v):
        v = plain(v)
        return "" if v is None else str(v) if not isinstance(v, dict | list) else v

    return norm(before) == norm(after)


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], *, labels: Mapping[str, str] | None = None
) -> list[dict]:
    """[{"field", "label", "before", "after", "secret"}] for each field of `after` whose
    value differs from `before`'s, in `after`'s order; credential fields without values."""
    labels = labels or {}
    rows = []
    for name, new in after.items():
        label = labels.get(name) or name.replace("_", " ").capitalize()
        if is_credential_name(name):
            rows.append({"field": name, "label": label, "before": None, "after": None,
                         "secret": True})  # fmt: skip
            continue
        old = before.get(name)
        if _same(old, new):
            continue
        rows.append({"field": name, "label": label, "before": plain(old), "after": plain(new),
                     "secret": False})  # fmt: skip
    return rows


def keep(*, entry, device_id: int, organization_id: int | None, record: str, changes: list[dict]):
    """Keep a write's changes with its audit entry (nothing when no field changed)."""
    if not changes:
        return None
    return RecordedChange.objects.create(
        audit_entry=entry, device_id=device_id, organization_id=organization_id,
        record=record, at=entry.created_at, changes=changes,
    )  # fmt: skip
