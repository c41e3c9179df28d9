from django.contrib import admin

from wall.models import WallSettings


@admin.register(WallSettings)
class WallSettingsAdmin(admin.ModelAdmin):
    # NOC administrators may set up a wall account's panels here, without logging in as it.
    list_display = ("user", "panels", "seconds", "updated_at")
    search_fields = ("user__username",)
