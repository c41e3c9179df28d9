"""The schedule window: nothing is sent before `not_before`, nor outside the hours
[hours_from, hours_to) of the campaign's time zone (a window may run past midnight)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def is_open(campaign, now: datetime) -> bool:
    if campaign.not_before and now < campaign.not_before:
        return False
    if campaign.hours_from is None or campaign.hours_to is None:
        return True
    hour = now.astimezone(zone(campaign.time_zone) or ZoneInfo("UTC")).hour
    start, end = campaign.hours_from, campaign.hours_to
    if start == end:
        return True
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def describe(campaign) -> str:
    parts = []
    if campaign.not_before:
        parts.append(f"not before {campaign.not_before:%Y-%m-%d %H:%M} UTC")
    if campaign.hours_from is not None and campaign.hours_to is not None:
        parts.append(
            f"{campaign.hours_from:02d}:00–{campaign.hours_to:02d}:00 {campaign.time_zone}"
        )
    return ", ".join(parts) or "any time"
