from django.urls import path

from alerts import rule_views

app_name = "alerts"

urlpatterns = [
    path("", rule_views.rule_list, name="list"),
    path("new/", rule_views.rule_create, name="create"),
    path("<int:rule_id>/", rule_views.rule_detail, name="detail"),
    path("<int:rule_id>/edit/", rule_views.rule_edit, name="edit"),
    path(
        "<int:rule_id>/disable/", rule_views.rule_set_enabled, {"enabled": False}, name="disable"
    ),  # fmt: skip
    path("<int:rule_id>/enable/", rule_views.rule_set_enabled, {"enabled": True}, name="enable"),
    path("<int:rule_id>/delete/", rule_views.rule_delete, name="delete"),
    path("<int:rule_id>/test/", rule_views.rule_test, name="test"),
]
