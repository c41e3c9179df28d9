"""Who belongs to which organization, in what role, and the audit trail.

Organization ids are the upstream's own (`organization_id` on devices); the
dashboard only adds a name and the people who may see it.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    # The account a wall screen logs in with: sees, never acts (accounts/tenancy.py).
    DISPLAY = "display", "Display"
    VIEWER = "viewer", "Viewer"
    OPERATOR = "operator", "Operator"
    ADMIN = "admin", "Admin"


class Organization(models.Model):
    upstream_id = models.PositiveIntegerField(
        unique=True,
        validators=[MinValueValidator(1)],
        help_text="The organization's id in the control API.",
    )
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "upstream_id"]

    def __str__(self) -> str:
        return f"{self.name} (#{self.upstream_id})"

    @staticmethod
    def placeholder_name(upstream_id: int) -> str:
        return f"Organization {upstream_id}"


def ensure_organizations(upstream_ids) -> int:
    """Create the organizations not known yet, with placeholder names; return how many.

    The poller calls this with every organization id it sees, so a new tenant
    shows up without anyone typing it in; an admin renames it later.
    """
    wanted = {int(i) for i in upstream_ids if i is not None and int(i) > 0}
    known = set(
        Organization.objects.filter(upstream_id__in=wanted).values_list("upstream_id", flat=True)
    )
    missing = [
        Organization(upstream_id=i, name=Organization.placeholder_name(i))
        for i in sorted(wanted - known)
    ]
    # ignore_conflicts: two pollers may race to create the same organization.
    Organization.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_role_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.organization}"


class NocRole(models.Model):
    """NOC staff: a role over every organization, present and future."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="noc_role"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        verbose_name = "NOC role"

    def __str__(self) -> str:
        return f"{self.user} — NOC {self.get_role_display()}"


class AuditEntryQuerySet(models.QuerySet):
    # Bulk paths skip Model.save/delete; close them too so the trail stays append-only.
    def update(self, **kwargs):
        raise PermissionDenied("Audit entries cannot be changed.")

    def delete(self):
        raise PermissionDenied("Audit entries cannot be deleted.")


class AuditEntry(models.Model):
    """One action a person asked for, and how it ended. Written once, never changed."""

    class Result(models.TextChoices):
        OK = "ok", "OK"
        FAILED = "failed", "Failed"
        # The request reached the upstream (or may have) but no answer came back.
        UNKNOWN = "unknown", "Outcome unknown"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # No database constraint and no cascade: deleting a user must not touch the trail.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(max_length=150)
    organization_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    device_id = models.PositiveBigIntegerField(null=True, blank=True)
    device_name = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=64)
    parameters = models.JSONField(default=dict, blank=True)
    result = models.CharField(max_length=16, choices=Result.choices)
    upstream_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["organization_id", "-created_at"]),
            # A device's entries: the audit page's device filter, a deleted device's page.
            models.Index(fields=["device_id", "-created_at"], name="audit_device_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.result}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Audit entries cannot be deleted.")
