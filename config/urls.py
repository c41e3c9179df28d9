from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import audit_views
from accounts import views as account_views
from monitoring import metrics, readiness
from overview import views
from saved_views import views as saved_view_pages

# A database that cannot be reached gets a page of its own (503), other errors the 500 page.
handler500 = "config.error_views.server_error"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("audit/", audit_views.audit_list, name="audit"),
    path("audit/export.csv", audit_views.audit_export, name="audit-export"),
    path("organization/", views.switch_organization, name="switch-organization"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/auth", views.healthz_auth, name="healthz-auth"),
    path("readyz", readiness.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path(
        "accounts/login/",
        account_views.LoginView.as_view(),
        name="login",
    ),
    # Django's LogoutView accepts POST only, so logging out needs the CSRF token.
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # The device list with the user's default view and the "Save view" form (saved_views),
    # ahead of the devices app's own route for the same path.
    path("devices/", saved_view_pages.device_list, name="devices-home"),
    path("", include("devices.urls")),
    path("profiles/", include("profiles.urls")),
    path("alerts/", include("alerts.urls")),
    path("views/", include("saved_views.urls")),
    path("reports/", include("reports.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("wall/", include("wall.urls")),
    # A device's timeline and notes, under /devices/<id>/ beside its page.
    path("", include("timeline.urls")),
    path("", include("operations.urls")),
]
