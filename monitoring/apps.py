from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring: readiness and metrics"

    def ready(self):
        from monitoring.metrics import register

        register()  # the fleet's metrics, read at each scrape of /metrics
