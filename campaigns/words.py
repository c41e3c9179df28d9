"""Counts in a campaign's words ("1 device", "3 devices"): its decisions, notifications,
page and `firmware_campaign show` say them the same way."""


def counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
