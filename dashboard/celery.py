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
