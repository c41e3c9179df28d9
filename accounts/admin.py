"""Admin for organizations, memberships, NOC roles and users; the audit trail read-only."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts.models import AuditEntry, Membership, NocRole, Organization

User = get_user_model()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organization"]


class NocRoleInline(admin.StackedInline):
    model = NocRole
    extra = 0
    max_num = 1


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "upstream_id", "created_at"]
    search_fields = ["name", "upstream_id"]
    ordering = ["upstream_id"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "organization__name", "organization__upstream_id"]
    autocomplete_fields = ["user", "organization"]


@admin.register(NocRole)
class NocRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "role"]
    list_filter = ["role"]
    autocomplete_fields = ["user"]


# The stock user admin, with each user's organizations and NOC role on the same page.
admin.site.unregister(User)


@admin.register(User)
class DashboardUserAdmin(UserAdmin):
    inlines = [NocRoleInline, MembershipInline]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only, even for superusers."""

    list_display = [
        "created_at",
        "username",
        "action",
        "result",
        "organization_id",
        "device_id",
        "device_name",
        "upstream_status",
        "duration_ms",
    ]
    list_filter = ["result", "action"]
    search_fields = ["username", "device_name", "=device_id", "=organization_id", "request_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
