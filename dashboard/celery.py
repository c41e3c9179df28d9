"""The Celery app: `celery -A dashboard worker` and `celery -A dashboard beat`.

Configuration comes from Django settings (the CELERY_* names in settings.py);
tasks are found in each installed app's tasks.py.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
