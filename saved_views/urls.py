from django.urls import path  # noqa: F401

app_name = "saved_views"

urlpatterns: list = []
