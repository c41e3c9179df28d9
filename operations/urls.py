from django.urls import path

from operations import import_views, maintenance_views, views, window_views

app_name = "operations"

# Included at the site's root: bulk onboarding and a device's maintenance record keep their
# places under /devices/, next to the device pages they start from.
urlpatterns = [
    path("operations/", views.scheduled, name="scheduled"),
    path("operations/<int:record_id>/refresh/", views.refresh, name="refresh"),
    path("devices/import/", import_views.import_upload, name="import"),
    path("devices/import/template.csv", import_views.import_template, name="import-template"),
    path("devices/import/<int:job_id>/", import_views.import_job, name="import-job"),
    path("devices/import/<int:job_id>/start/", import_views.import_start, name="import-start"),
    path(
        "devices/import/<int:job_id>/to-fix.csv",
        import_views.import_fixes_csv,
        name="import-fixes",
    ),
    path("maintenance-windows/", window_views.window_list, name="windows"),
    path("maintenance-windows/new/", window_views.window_new, name="window-new"),
    path("maintenance-windows/<int:window_id>/", window_views.window_detail, name="window"),
    path("maintenance-windows/<int:window_id>/end/", window_views.window_end, name="window-end"),
    path(
        "devices/<int:device_id>/maintenance/",
        maintenance_views.device_maintenance,
        name="maintenance",
    ),
]
