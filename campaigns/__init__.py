"""Firmware campaigns: canary first, then waves, stopped by their own rules when devices fail."""
