from django.urls import path

from operations import views

app_name = "operations"

urlpatterns = [
    path("", views.scheduled, name="scheduled"),
    path("<int:record_id>/refresh/", views.refresh, name="refresh"),
]
