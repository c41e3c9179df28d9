"""Counts in a campaign's words ("1 device", "3 devices"): its decisions, notifications,
page and `firmware_campaign show` say them the same way."""


def counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def either(words: list[str]) -> str:
    """ "a", "a or b", "a, b or c": choices as a sentence says them."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def tally(figures, *, zeros: bool = True) -> str:
    """A wave's (or a whole campaign's) outcomes: "2 updated, 1 already on the image,
    0 failed, 0 Down after their update, 0 skipped"; `zeros` False leaves out the 0s."""
    parts = [
        (figures.confirmed, "updated"),
        (figures.already, "already on the image"),
        (figures.failed, "failed"),
        (figures.down, "Down after their update"),
        (figures.skipped, "skipped"),
    ]
    return ", ".join(f"{n} {label}" for n, label in parts if zeros or n)
