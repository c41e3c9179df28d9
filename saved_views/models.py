"""A saved view of the device list, and each user's default and pinned views.

- `SavedView`: a name, who made it, and the list's state as the canonical URL query
  `devices.list_filters` produces (filters, sort, page size, columns; never the page).
  It is re-parsed whenever it is opened, so a value that became unknown is named on the
  page and left out, and the opener's organizations apply, not the maker's.
  `organization_id` None: personal (its owner's alone); otherwise shared with that
  organization (the upstream's id, as everywhere in the dashboard).
- `DefaultView`: the view /devices/ opens with, per user.
- `PinnedView`: a view shown as a tile on a user's overview.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

MAX_NAME_LENGTH = 100


class SavedView(models.Model):
    name = models.CharField(max_length=MAX_NAME_LENGTH)
    # SET_NULL: a shared view outlives the person who made it; a personal view without an
    # owner is nobody's to open (saved_views.permissions).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="saved_views",
    )
    organization_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    query = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = [Lower("name"), "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("saved_views:open", args=[self.pk])

    @property
    def is_shared(self) -> bool:
        return self.organization_id is not None


class DefaultView(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="default_view"
    )
    view = models.ForeignKey(SavedView, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.user} opens Devices with {self.view}"


class PinnedView(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pinned_views"
    )
    view = models.ForeignKey(SavedView, on_delete=models.CASCADE, related_name="pins")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "view"], name="one_pin_per_view_and_user"),
        ]

    def __str__(self) -> str:
        return f"{self.view} pinned by {self.user}"
