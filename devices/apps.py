from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = "Devices"

    def ready(self):
        # Register the bulk tasks with Celery (autodiscovery looks at tasks.py only).
        from devices import bulk_tasks  # noqa: F401
