"""What one person's wall screen shows: its panels in order and how long each stays."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

# ASSUMPTION: under 5 s a panel cannot be read; over an hour a wall no longer rotates.
MIN_SECONDS = 5
MAX_SECONDS = 3600
DEFAULT_SECONDS = 30


class WallSettings(models.Model):
    """One row per user; a user without one sees every panel kind (wall.panels.DEFAULT)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wall_settings"
    )
    # Panel keys in the order shown (wall.panels): "overview", "triage", "profiles".
    panels = models.JSONField(default=list)
    seconds = models.PositiveIntegerField(
        default=DEFAULT_SECONDS,
        validators=[MinValueValidator(MIN_SECONDS), MaxValueValidator(MAX_SECONDS)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "wall screen settings"
        verbose_name_plural = "wall screen settings"

    def __str__(self) -> str:
        return f"{self.user} — {', '.join(self.panels)} every {self.seconds} s"
