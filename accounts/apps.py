from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    # The label predates the package's name: it keeps the tables, migrations and permission
    # names of existing databases (dashboard_organization, dashboard_auditentry, ...).
    label = "dashboard"
    verbose_name = "Accounts: organizations, access and audit"

    def ready(self):
        from accounts import login_audit  # noqa: F401 (audits failed logins and lockouts)
