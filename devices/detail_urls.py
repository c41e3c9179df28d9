"""URLs of one device's pages: detail, actions, create/edit/delete."""

from django.urls import path

from devices import action_views, detail_views, edit_views

urlpatterns = [
    path("devices/new/", edit_views.device_create, name="create"),
    path("devices/<int:device_id>/edit/", edit_views.device_edit, name="edit"),
    path("devices/<int:device_id>/edit/form/", edit_views.device_edit_form, name="edit-form"),
    path("devices/<int:device_id>/delete/", edit_views.device_delete, name="delete"),
    path("devices/<int:device_id>/", detail_views.device_detail, name="detail"),
    path("devices/<int:device_id>/freshness/", detail_views.device_freshness, name="freshness"),
    path("devices/<int:device_id>/refresh/", detail_views.device_refresh, name="refresh"),
    path(
        "devices/<int:device_id>/actions/<slug:action>/",
        action_views.device_action,
        name="action",
    ),
    path(
        "devices/<int:device_id>/actions/<int:record_id>/status/",
        action_views.device_action_status,
        name="action-status",
    ),
    path(
        "devices/<int:device_id>/actions/<int:record_id>/resend/",
        action_views.device_action_resend,
        name="action-resend",
    ),
]
