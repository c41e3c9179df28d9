"""Bulk onboarding pages: upload a CSV, read the dry run's per-row report, start the job,
follow its progress, download the rows to fix.

Who: people who may create devices (tenancy DEVICE_CREATE) in at least one organization;
a job is seen by the person who uploaded it only (404 for anyone else). Nothing is sent
upstream before "Create N devices" (a POST).
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from accounts import tenancy
from operations import imports, onboarding, tasks
from operations.models import ImportJob, ImportRow

SHOWN_ROWS = 1000  # the report page lists this many rows; the CSV of rows to fix has all
REFRESH_SECONDS = 1


def _require_create_scope(request) -> None:
    if tenancy.scope_for(request.user, tenancy.DEVICE_CREATE).is_empty:
        raise Http404("No organization where you may create devices.")


@tenancy.scoped_view()
def import_upload(request):
    _require_create_scope(request)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = "Choose a CSV file to upload."
        elif upload.size > onboarding.MAX_BYTES:
            error = f"The file is larger than {onboarding.MAX_BYTES // (1024 * 1024)} MB."
        else:
            check = onboarding.check_file(upload.read(), user=request.user)
            job = imports.create_job(user=request.user, filename=upload.name, check=check)
            return redirect("operations:import-job", job_id=job.pk)
    context = {
        "error": error,
        "recent": ImportJob.objects.filter(user=request.user)[:10],
        "columns": onboarding.COLUMNS,
        "required": onboarding.REQUIRED,
        "max_rows": onboarding.MAX_ROWS,
        "nav": "devices",
        "title": "Import devices",
    }
    return render(request, "operations/import.html", context, status=400 if error else 200)


@require_GET
@tenancy.scoped_view()
def import_template(request):
    _require_create_scope(request)
    response = HttpResponse(onboarding.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="devices-template.csv"'
    return response


def _job_context(job: ImportJob) -> dict:
    rows = job.rows.all()
    valid = rows.exclude(state=ImportRow.State.INVALID).count()
    return {
        "job": job,
        "rows": rows[:SHOWN_ROWS],
        "row_count": rows.count(),
        "shown_rows": SHOWN_ROWS,
        "valid_count": valid,
        "invalid_count": rows.count() - valid,
        "can_start": imports.can_start(job),
        "progress": imports.progress(job),
        "to_fix": imports.rows_to_fix(job)[:200],
        "to_fix_count": imports.rows_to_fix(job).count(),
        "refresh_seconds": REFRESH_SECONDS,
        "nav": "devices",
        "title": f"Import {job.filename or job.pk}",
    }


@require_GET
@vary_on_headers("HX-Request")
@tenancy.scoped_view()
def import_job(request, job_id: int):
    job = imports.job_for_user(user=request.user, job_id=job_id)
    context = _job_context(job)
    if request.htmx:
        response = render(request, "operations/import_job.html#import-progress", context)
        if job.state == ImportJob.State.DONE:
            return HttpResponseStopPolling(response.content)  # the last frame, then no more
        return response
    return render(request, "operations/import_job.html", context)


@require_POST
@tenancy.scoped_view()
def import_start(request, job_id: int):
    job = imports.job_for_user(user=request.user, job_id=job_id)
    imports.start_job(job=job, user=request.user, enqueue=tasks.queue_import)
    return redirect("operations:import-job", job_id=job.pk)


@require_GET
@tenancy.scoped_view()
def import_fixes_csv(request, job_id: int):
    job = imports.job_for_user(user=request.user, job_id=job_id)
    response = HttpResponse(imports.rows_to_fix_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-to-fix.csv"'
    return response
