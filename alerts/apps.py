from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Notifications"

    def ready(self):
        # Register the tasks with Celery in every process (autodiscovery runs only in
        # workers), so that a poll or a page can send them by name, and the webhook's
        # apprise plugin with apprise.
        from alerts import apprise_logs, tasks, webhook  # noqa: F401

        apprise_logs.install()
