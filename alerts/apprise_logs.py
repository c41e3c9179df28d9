"""apprise logs a URL it cannot read as typed ("Unparseable URL slack://…"): a destination is
a secret, so every URL in its log lines is masked before any handler sees it."""

from __future__ import annotations

import logging
import re

from alerts.destinations import mask

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S*")


class MaskDestinationUrls(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _URL.sub(lambda found: mask(found.group(0)), message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install() -> None:
    """On apprise's logger, once (AlertsConfig.ready)."""
    logger = logging.getLogger("apprise")
    if not any(isinstance(f, MaskDestinationUrls) for f in logger.filters):
        logger.addFilter(MaskDestinationUrls())
