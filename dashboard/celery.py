"""The Celery app: `celery -A dashboard worker` and `celery -A dashboard beat`.

Configuration comes from Django settings (the CELERY_* names in settings.py);
tasks are found in each installed app's tasks.py.
"""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.celeryd_init.connect
@signals.beat_init.connect
def refuse_old_redis(**kwargs):
    """A worker or beat on a Redis too old for the read model would fail every poll: refuse."""
    from dashboard.checks import refuse_old_redis

    refuse_old_redis()


@signals.worker_ready.connect
def poll_at_start_up(sender=None, **kwargs):
    """A worker that starts polls the fleet and the profiles at once: beat's first beat
    comes one interval later (five minutes for profiles), and pages meanwhile read the
    upstream. The poll locks keep a second worker starting meanwhile from polling again."""
    # Imported here: the tasks need Django set up, which the worker has done by now.
    from devices.tasks import start_up_polls

    start_up_polls()
