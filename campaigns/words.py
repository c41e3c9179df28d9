"""Counts in a campaign's words ("1 device", "3 devices"): its decisions, notifications,
page and `firmware_campaign show` say them the same way."""


def counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def either(words: list[str]) -> str:
    """ "a", "a or b", "a, b or c": choices as a sentence says them."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
