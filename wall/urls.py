from django.urls import path

from wall import views

app_name = "wall"

urlpatterns = [
    path("", views.wall, name="wall"),
    path("panels/<slug:key>/", views.panel, name="panel"),
    path("status/", views.status, name="status"),
    path("settings/", views.wall_settings, name="settings"),
]
