"""A logging filter that keeps the upstream API token out of every log line.

The token should never be logged in the first place; this is the safety net for
the day an exception message or a debug print carries a header or a URL.
"""

import logging
import re

from django.conf import settings

REDACTED = "[redacted]"
# "Bearer abc123" as it appears in Authorization headers.
_BEARER = re.compile(r"\b(Bearer)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


def redact(text: str) -> str:
    token = settings.CONTROL_API_TOKEN
    if token:
        text = text.replace(token, REDACTED)
    return _BEARER.sub(rf"\1 {REDACTED}", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Render the message once, redact it, and drop the arguments so handlers
        # cannot re-render the original.
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
