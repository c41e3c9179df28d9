from django.urls import path

from timeline import note_views, views

app_name = "timeline"

urlpatterns = [
    path("devices/<int:device_id>/timeline/", views.device_timeline, name="device-timeline"),
    path("devices/<int:device_id>/notes/", note_views.note_add, name="note-add"),
    path("devices/<int:device_id>/notes/<int:note_id>/pin/", note_views.note_pin, name="note-pin"),
    path(
        "devices/<int:device_id>/notes/<int:note_id>/unpin/",
        note_views.note_unpin,
        name="note-unpin",
    ),
    path(
        "devices/<int:device_id>/notes/<int:note_id>/delete/",
        note_views.note_delete,
        name="note-delete",
    ),
]
