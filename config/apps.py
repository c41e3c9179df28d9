from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project configuration as an app of its own, so that its start-up checks are
    registered by the package that owns them rather than by an app below it."""

    name = "config"
    verbose_name = "Project configuration"

    def ready(self):
        from config import checks  # noqa: F401 (registers the Redis version check)
