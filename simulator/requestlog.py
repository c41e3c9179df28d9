"""The request log: counts per "METHOD /path/" and the last entries, for tests and demos.

Write bodies are kept with secrets redacted, so the log itself never holds a password.
"""

from collections import Counter, deque

MAX_ENTRIES = 1000
SECRET_KEYS = {"password", "api_key", "client_secret", "token", "secret", "credentials"}
REDACTED = "***"


def redact(value):
    if isinstance(value, dict):
        return {
            k: (REDACTED if k.lower() in SECRET_KEYS and v is not None else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


class RequestLog:
    def __init__(self):
        self.epoch = 0
        self.clear()

    def clear(self) -> None:
        self.counts: Counter[str] = Counter()
        self.entries: deque[dict] = deque(maxlen=MAX_ENTRIES)
        self.total = 0
        # A request still in flight when the log is cleared (a hung one, say) belongs to
        # the time before: it must not turn up in the counts of whoever cleared the log.
        self.epoch += 1

    def record(self, *, method, path, query, status, body, time, duration_ms, fault, epoch) -> None:
        if epoch != self.epoch:
            return
        self.total += 1
        self.counts[f"{method} {path}"] += 1
        self.entries.append(
            {
                "method": method,
                "path": path,
                "query": query,
                "status": status,
                "body": redact(body),
                "time": time,
                "duration_ms": round(duration_ms, 3),
                "fault": fault,
            }
        )

    def snapshot(self, last: int) -> dict:
        entries = list(self.entries)[-last:] if last else []
        return {"total": self.total, "counts": dict(self.counts), "entries": entries}
