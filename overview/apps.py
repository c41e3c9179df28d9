from django.apps import AppConfig


class OverviewConfig(AppConfig):
    name = "overview"
    verbose_name = "Overview: the site's own pages and the demo set-up"

    def ready(self):
        from config import checks  # noqa: F401 (registers the Redis version check)
        from monitoring.metrics import register

        register()  # the fleet's metrics, read at each scrape of /metrics
