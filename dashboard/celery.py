"""The Celery app: `celery -A dashboard worker` and `celery -A dashboard beat`.

Configuration comes from Django settings (the CELERY_* names in settings.py);
tasks are found in each installed app's tasks.py.
"""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def poll_at_start_up(sender=None, **kwargs):
    """A worker that starts polls the fleet and the profiles at once: beat's first beat
    comes one interval later (five minutes for profiles), and pages meanwhile read the
    upstream. The poll locks keep a second worker starting meanwhile from polling again."""
    # Imported here: the tasks need Django set up, which the worker has done by now.
    from devices.tasks import start_up_polls

    start_up_polls()
