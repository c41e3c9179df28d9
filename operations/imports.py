"""Bulk onboarding jobs: store a checked CSV, create its devices one row at a time.

A job is stored from `operations.onboarding.check_file` (the dry run: nothing sent). Starting
it queues the job with what the caller passes (the view: `operations.tasks.queue_import`, the
Celery task `run_import_job`), which calls `run_import` — safe to run again, and to run twice
at once:

- a row is sent only after it was claimed with a conditional update
  (`UPDATE ... SET state='sending' WHERE id=... AND state='pending'`), so two workers
  never both send it;
- each row goes through the single-device service (`devices.device_writes.device_create`),
  which checks the user's organizations again, sends one POST and audits it
  (`device_create`, the password redacted);
- a row found in "sending" (a worker died mid-send) or ending "unknown" (a timeout after
  sending) is resolved before anything is sent again, by looking its serial number up
  in the control API (`iter_devices(organization=...)`), not in the read model: the read
  model learns of a new device only at the next full poll (up to FULL_POLL_INTERVAL, 10
  min) or from the answer the dead worker never got, so it cannot say "not created".
  Found: the row is created (with that device id). Not found: a row a dead worker left
  goes back to pending and is sent; a row whose own send just timed out stays unknown
  with a message (never re-sent automatically: its request may still arrive). The lookup
  failing: the row stays unknown and says so. A "sending" row younger
  than IN_FLIGHT_SECONDS may belong to a live worker and is left alone.
- the password of a row is kept only until the row is created, failed, or left unknown
  at the end of a run; it is never shown, exported or audited.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.http import Http404

from accounts import audit
from controlapi import errors
from devices import device_writes
from devices.field_words import in_words
from devices.upstream import control_api
from operations import onboarding
from operations.models import ImportJob, ImportRow

log = logging.getLogger(__name__)

State = ImportRow.State
# Longer than a send can take (the action read timeout, 15 s, plus connect and margin):
# a "sending" row older than this has no live worker behind it.
IN_FLIGHT_SECONDS = 60
# A checked file that was never started is dropped after this long, with its passwords.
UNSTARTED_TTL = timedelta(hours=24)
UNKNOWN_LEFT = (
    "The control API did not answer after the device was sent, and looking its serial "
    "number up failed too: it may have been created. Search for the serial number before "
    "uploading this row again."
)

NOT_FOUND_AFTER_TIMEOUT = (
    "The control API did not answer after the device was sent, and its serial number was "
    "not in the control API right after: the request may still arrive. Search for the serial "
    "number before uploading this row again (the control API refuses a serial it already has)."
)


def _now() -> datetime:
    return datetime.now(UTC)


# --- storing a checked file ----------------------------------------------------------


def create_job(*, user, filename: str, check: onboarding.FileCheck) -> ImportJob:
    """Store the dry run's result. Valid rows are pending (with their password), the
    others invalid with their errors (no password kept)."""
    drop_unstarted(user=user)
    with transaction.atomic():
        job = ImportJob.objects.create(
            user=user, filename=filename[:255], columns=check.columns,
            problems=check.problems, notes=check.notes,
        )  # fmt: skip
        ImportRow.objects.bulk_create(
            ImportRow(
                job=job, line=row.line, raw=row.raw, fields=row.fields,
                password=row.password if row.valid else "",
                organization_id=row.organization_id,
                serial_number=row.serial_number[:255],
                state=State.PENDING if row.valid else State.INVALID,
                errors=row.errors,
            )
            for row in check.rows
        )  # fmt: skip
    return job


def drop_unstarted(*, user) -> int:
    """Delete this user's checked files never started within UNSTARTED_TTL (and so the
    passwords they hold)."""
    deleted, _ = ImportJob.objects.filter(
        user=user, state=ImportJob.State.VALIDATED, created_at__lt=_now() - UNSTARTED_TTL
    ).delete()
    return deleted


def job_for_user(*, user, job_id: int) -> ImportJob:
    """The job, for the person who uploaded it only; 404 for anyone else."""
    job = ImportJob.objects.filter(pk=job_id, user=user).first()
    if job is None:
        raise Http404("No such import.")
    return job


def can_start(job: ImportJob) -> bool:
    return (
        job.state == ImportJob.State.VALIDATED
        and not job.problems
        and job.rows.filter(state=State.PENDING).exists()
    )


def start_job(*, job: ImportJob, user, enqueue: Callable[[int], None] | None) -> bool:
    """VALIDATED -> RUNNING once (a second click does nothing), audited, then queued with
    `enqueue(job id)` unless that is None."""
    if not can_start(job):
        return False
    started = ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.VALIDATED).update(
        state=ImportJob.State.RUNNING, started_at=_now()
    )
    if not started:
        return False
    rows = job.rows.filter(state=State.PENDING)
    orgs = sorted(set(rows.values_list("organization_id", flat=True)))
    audit.record_action(
        user=user, action="device_import", result=audit.OK,
        organization_id=orgs[0] if len(orgs) == 1 else None,
        parameters={"import_job": job.pk, "filename": job.filename, "rows": rows.count(),
                    "organizations": orgs},
    )  # fmt: skip
    if enqueue is not None:
        # After the commit, so that the worker finds the job running.
        transaction.on_commit(lambda: enqueue(job.pk))
    return True


# --- running ---------------------------------------------------------------------------


def run_import(job_id: int) -> ImportJob:
    """Create the job's pending devices, one row at a time. Safe to run again."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.state != ImportJob.State.RUNNING:
        return job
    lookups = SerialLookups()
    stale = _now() - timedelta(seconds=IN_FLIGHT_SECONDS)
    in_doubt = job.rows.filter(
        Q(state=State.UNKNOWN) | Q(state=State.SENDING, updated_at__lt=stale)
    )
    for row in in_doubt:
        _resolve(row, job, lookups)
    for row_id in job.rows.filter(state=State.PENDING).values_list("pk", flat=True):
        if not _claim(row_id):
            continue  # another worker has it
        row = ImportRow.objects.get(pk=row_id)
        state = _send(row, job)
        if state == State.UNKNOWN:
            _resolve(row, job, lookups, just_sent=True)
    _finish(job)
    job.refresh_from_db()
    return job


def _claim(row_id: int) -> bool:
    return bool(
        ImportRow.objects.filter(pk=row_id, state=State.PENDING).update(
            state=State.SENDING, updated_at=_now()
        )
    )


def _set(row: ImportRow, state: str, *, from_state: str = State.SENDING, **fields) -> bool:
    """Move a row on from the state we hold it in; the password goes once it is settled."""
    if state in (State.CREATED, State.FAILED):
        fields["password"] = ""
    updated = ImportRow.objects.filter(pk=row.pk, state=from_state).update(
        state=state, updated_at=_now(), **fields
    )
    row.refresh_from_db()
    return bool(updated)


def _send(row: ImportRow, job: ImportJob) -> str:
    body = dict(row.fields)
    if row.password:
        body["password"] = row.password
    ImportRow.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
    try:
        # The row's own states keep it from being sent twice (a job resumes by looking it up).
        device = device_writes.device_create(user=job.user, fields=body, key=None)
    except Http404:
        state, problems = (
            State.FAILED,
            [
                f"organization_id: you may no longer create devices in organization "
                f"{row.organization_id}; nothing was sent."
            ],
        )
    except errors.ValidationFailed as error:
        state, problems = State.FAILED, upstream_words(error)
    except device_writes.WriteOutcomeUnknown:
        state, problems = State.UNKNOWN, []
    except errors.Unavailable as error:  # no connection made: certainly not sent
        state, problems = State.FAILED, [f"Not sent: {error}"]
    except errors.ControlAPIError as error:
        state, problems = State.FAILED, [str(error)]
    except Exception:  # noqa: BLE001 -- one row's surprise must not stop the job
        log.exception("import job %s, line %s", job.pk, row.line)
        state, problems = State.UNKNOWN, []
    else:
        _set(row, State.CREATED, device_id=device.id, errors=[])
        return State.CREATED
    _set(row, state, errors=problems)
    return state


def upstream_words(error: errors.ValidationFailed) -> list[str]:
    """The upstream's 400 as sentences, one per field message."""
    words = [
        (text if name == "non_field_errors" else f"{name}: {in_words(name, text)}")
        for name, texts in error.field_errors.items()
        for text in texts
    ]
    return words or [str(error)]


class SerialLookups:
    """serial -> device id per organization, read from the control API at most once per run."""

    def __init__(self):
        self._by_org: dict[int | None, dict[str, int]] = {}

    def find(self, organization_id: int | None, serial: str) -> int | None:
        """Raises ControlAPIError when the control API cannot be read."""
        if organization_id not in self._by_org:
            with control_api() as api:
                self._by_org[organization_id] = {
                    d.serial_number: d.id for d in api.iter_devices(organization=organization_id)
                }
        return self._by_org[organization_id].get(serial)

    def forget(self, organization_id: int | None) -> None:
        self._by_org.pop(organization_id, None)


def _resolve(row: ImportRow, job: ImportJob, lookups: SerialLookups, *, just_sent=False) -> None:
    """A row that may have been sent: created if its serial is upstream. If not: a row a
    dead worker left goes back to pending (its request is long over); a row whose own send
    just timed out stays unknown, in words (its request may still arrive, so it is never
    sent again by itself: the person decides, with the rows to fix)."""
    held = row.state
    if just_sent:
        lookups.forget(row.organization_id)  # a listing read before the send is out of date
    try:
        device_id = lookups.find(row.organization_id, row.serial_number)
    except errors.ControlAPIError as error:
        log.warning("import job %s, line %s: serial look-up failed: %s", job.pk, row.line, error)
        _set(row, State.UNKNOWN, from_state=held, errors=[UNKNOWN_LEFT])
        return
    if device_id is not None:
        if _set(row, State.CREATED, from_state=held, device_id=device_id, errors=[]):
            audit.record_action(
                user=job.user, action="device_create", result=audit.OK,
                organization_id=row.organization_id, device_id=device_id,
                device_name=row.fields.get("name", ""),
                parameters={"import_job": job.pk, "line": row.line,
                            "found_by_serial": row.serial_number},
            )  # fmt: skip
        return
    if just_sent:
        _set(row, State.UNKNOWN, from_state=held, errors=[NOT_FOUND_AFTER_TIMEOUT])
    else:
        _set(row, State.PENDING, from_state=held, errors=[])


def _finish(job: ImportJob) -> None:
    """Done when no row is waiting or being sent; unknown rows are left as they are, with
    their password dropped (a person decides about them)."""
    if job.rows.filter(state__in=[State.PENDING, State.SENDING]).exists():
        return  # another worker is still on it; it finishes the job
    job.rows.filter(state=State.UNKNOWN).update(password="")
    job.rows.filter(state=State.UNKNOWN, errors=[]).update(errors=[UNKNOWN_LEFT])
    ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.RUNNING).update(
        state=ImportJob.State.DONE, finished_at=_now()
    )


# --- reading ---------------------------------------------------------------------------


def progress(job: ImportJob) -> dict[str, int]:
    counts = Counter(job.rows.exclude(state=State.INVALID).values_list("state", flat=True))
    total = sum(counts.values())
    created, failed, unknown = counts[State.CREATED], counts[State.FAILED], counts[State.UNKNOWN]
    remaining = counts[State.PENDING] + counts[State.SENDING]
    return {
        "total": total,
        "created": created,
        "failed": failed,
        "unknown": unknown,
        "remaining": remaining,
        "finished": total - remaining,
        "percent": round(100 * (total - remaining) / total) if total else 100,
    }


def rows_to_fix(job: ImportJob):
    """Rows that did not become devices: invalid, refused, or of unknown outcome."""
    return job.rows.filter(state__in=[State.INVALID, State.FAILED, State.UNKNOWN])


def rows_to_fix_csv(job: ImportJob) -> str:
    """The rows to fix, in the uploaded columns plus "error"; passwords left blank.

    Cells are written back exactly as uploaded (no formula defusing): the file holds the
    uploader's own text and must upload again unchanged once fixed (the upload ignores
    the "error" column: `onboarding.ERROR_COLUMN`).
    """
    columns = [c for c in job.columns if c in onboarding.COLUMNS] or list(onboarding.COLUMNS)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*columns, onboarding.ERROR_COLUMN])
    for row in rows_to_fix(job):
        cells = ["" if c == "password" else row.raw.get(c, "") for c in columns]
        writer.writerow([*cells, " ".join(row.errors)])
    return out.getvalue()
