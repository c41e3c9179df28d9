from django.urls import path

from devices import detail_urls, views

app_name = "devices"

# The device pages are split by concern: the fleet list, its export and bulk actions, and
# triage here; one device's pages (detail, actions, edit) in detail_urls. Bulk onboarding and
# the maintenance record are the operations app's (operations.urls), under /devices/ too.
urlpatterns = [
    path("devices/", views.device_list, name="list"),
    path("devices/export.csv", views.device_export, name="export"),
    # Benchmark only (BENCHMARK_VIEWS=1, else 404): the list without the cache.
    path("devices/naive/", views.device_list_naive, name="list-naive"),
    path("devices/bulk/", views.bulk_confirm, name="bulk-confirm"),
    path("devices/bulk/start/", views.bulk_start, name="bulk-start"),
    path("devices/bulk/<int:job_id>/", views.bulk_job, name="bulk-job"),
    path("devices/bulk/<int:job_id>/cancel/", views.bulk_cancel, name="bulk-cancel"),
    path("triage/", views.triage, name="triage"),
    # A group is named by one of its devices: the one that went Down first (to claim it) or
    # one its claim covers (to release it).
    path(
        "triage/groups/<int:device_id>/claim/", views.triage_group_claim, name="triage-group-claim"
    ),
    path(
        "triage/groups/<int:device_id>/release/",
        views.triage_group_release,
        name="triage-group-release",
    ),
    path("triage/<int:device_id>/claim/", views.triage_claim, name="triage-claim"),
    path("triage/<int:device_id>/release/", views.triage_release, name="triage-release"),
    path("triage/<int:device_id>/<slug:action>/", views.triage_action, name="triage-action"),
    *detail_urls.urlpatterns,
]
