"""How a device (or profile) is called on a page: its name, or "(no name)" when it has none
or only spaces, so that a heading, a crumb or a link is never blank."""

NO_NAME = "(no name)"


def shown_name(name: str | None, fallback: object = NO_NAME) -> str:
    """The name as stored when it has any visible character; else `fallback` as text."""
    if name and name.strip():
        return name
    return str(fallback)
