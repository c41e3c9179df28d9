"""Start-up checks of the web process, the Celery worker and beat: the Redis at REDIS_URL (or the
master the sentinels name) must be new enough for the read model (fleet.redis_server), or they
refuse to start with one line that names the version found and the version needed. A Redis that
does not answer is not refused: pages then run in degraded mode and polls wait for it."""

from django.core import checks

from devices.redis_clients import address
from fleet.redis_server import RedisTooOld, require_supported


def refuse_old_redis() -> None:
    try:
        require_supported(address())
    except RedisTooOld as too_old:
        raise SystemExit(str(too_old)) from None


@checks.register("redis")
def redis_version(app_configs=None, **kwargs):
    """Run by `manage.py runserver` (and every command that checks) before it serves."""
    try:
        require_supported(address())
    except RedisTooOld as too_old:
        return [checks.Error(str(too_old), id="dashboard.E010")]
    return []
