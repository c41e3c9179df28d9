from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Notifications"

    def ready(self):
        from alerts import apprise_logs

        apprise_logs.install()
