from django.urls import path

from devices import detail_urls, views

app_name = "devices"

# The device pages are split by concern: the fleet list and triage here, one device's pages
# (detail, actions, edit, maintenance, scheduled operations) in detail_urls.
urlpatterns = [
    path("devices/", views.device_list, name="list"),
    path("triage/", views.triage, name="triage"),
    *detail_urls.urlpatterns,
]
