from django.urls import path

from saved_views import views

app_name = "saved_views"

# /devices/ itself is routed to views.device_list in config/urls.py (the default view and
# the save form), ahead of the devices app's own route.
urlpatterns = [
    path("", views.view_list, name="list"),
    path("new/", views.create_view, name="create"),
    path("default/clear/", views.clear_default, name="clear-default"),
    path("<int:view_id>/", views.open_view, name="open"),
    path("<int:view_id>/rename/", views.rename_view, name="rename"),
    path("<int:view_id>/update/", views.update_view, name="update"),
    path("<int:view_id>/delete/", views.delete_view, name="delete"),
    path("<int:view_id>/pin/", views.pin_view, name="pin"),
    path("<int:view_id>/unpin/", views.unpin_view, name="unpin"),
    path("<int:view_id>/default/", views.make_default, name="default"),
]
