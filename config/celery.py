"""The Celery app: `celery -A config worker` and `celery -A config beat`.

Configuration comes from Django settings (the CELERY_* names in settings.py);
tasks are found in each installed app's tasks.py.
"""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.celeryd_init.connect
@signals.beat_init.connect
def refuse_old_redis(**kwargs):
    """A worker or beat on a Redis too old for the read model would fail every poll: refuse."""
    from config.checks import refuse_old_redis

    refuse_old_redis()


@signals.worker_ready.connect
def poll_at_start_up(sender=None, **kwargs):
    """A worker that starts polls the fleet and the profiles at once: beat's first beat
    comes one interval later (five minutes for profiles), and pages meanwhile read the
    upstream. The poll locks keep a second worker starting meanwhile from polling again."""
    # Imported here: the tasks need Django set up, which the worker has done by now.
    from devices.tasks import start_up_polls

    start_up_polls()


_heartbeat = None


@signals.worker_ready.connect
def start_heartbeat(sender=None, **kwargs):
    """The worker says it is alive every few seconds (/readyz reads it)."""
    global _heartbeat

    from devices import configured
    from fleet import worker_heartbeat

    hostname = getattr(sender, "hostname", None) or "worker"
    _heartbeat = worker_heartbeat.Heartbeat(
        configured.read_model().client, configured.key_prefix(), hostname
    ).start()


@signals.worker_shutdown.connect
def stop_heartbeat(**kwargs):
    if _heartbeat is not None:
        _heartbeat.stop()


@signals.task_postrun.connect
def flush_upstream_calls(**kwargs):
    """A task's upstream calls waiting for Redis go with its end, not with a later call."""
    from devices.upstream_calls import upstream_calls

    upstream_calls.flush()
