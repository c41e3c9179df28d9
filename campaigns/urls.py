from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<int:campaign_id>/", views.campaign_detail, name="detail"),
    path("<int:campaign_id>/devices.csv", views.campaign_csv, name="csv"),
    path("<int:campaign_id>/rollback/", views.campaign_rollback, name="rollback"),
    *(
        path(
            f"<int:campaign_id>/{change}/", views.campaign_change, {"change": change}, name=change
        )  # fmt: skip
        for change in views.CHANGES
    ),
]
