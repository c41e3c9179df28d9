"""A file of serial numbers, read the same way from the form's upload and from
`firmware_campaign create --serials`: plain text or CSV, one a line (the first column),
blank lines, a UTF-8 byte order mark and a CSV's header line left out."""

from __future__ import annotations

import csv

from campaigns.errors import CampaignError

MAX_FILE_BYTES = 1024 * 1024
HEADERS = {"serial", "serial number", "serial numbers"}


def serials_in(data: bytes) -> tuple[str, ...]:
    """The serial numbers of a file's first MAX_FILE_BYTES + 1 bytes; CampaignError in words
    when it is larger, not text, or holds none (an empty file never means "every device")."""
    if len(data) > MAX_FILE_BYTES:
        raise CampaignError("The file is larger than 1 MB: split the campaign.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CampaignError("The file is not UTF-8 text.") from None
    serials = []
    for number, line in enumerate(text.splitlines(), start=1):
        # A CSV reader, not a split at commas: spreadsheets may quote every cell. One line at
        # a time: a stray quote does not swallow the lines after it.
        try:
            row = next(csv.reader([line]), [])
        except csv.Error as error:
            raise CampaignError(f"Line {number} could not be read: {error}.") from None
        if row and (first := row[0].strip()):
            serials.append(first)
    if serials and serials[0].lower().replace("_", " ") in HEADERS:
        serials = serials[1:]  # a CSV's header line
    if not serials:
        raise CampaignError("The file holds no serial number.")
    return tuple(serials)
