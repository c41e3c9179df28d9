from django.apps import AppConfig


class MaintenanceWindowsConfig(AppConfig):
    name = "maintenance_windows"
    verbose_name = "Maintenance windows"
