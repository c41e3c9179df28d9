from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Dashboard: organizations, access and audit"

    def ready(self):
        from dashboard import (
            checks,  # noqa: F401 (registers the Redis version check)
            login_audit,  # noqa: F401 (audits failed logins and lockouts)
        )
        from dashboard.metrics import register

        register()  # the fleet's metrics, read at each scrape of /metrics
