"""WSGI entry point: `gunicorn dashboard.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

application = get_wsgi_application()

from dashboard.checks import refuse_old_redis  # noqa: E402 (needs the settings loaded above)

refuse_old_redis()
