"""Uptime reports: availability, outages and recovery per organization and device,
from the durable status history."""
