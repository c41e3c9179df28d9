# Placeholder so that pytest-django can start; replaced by the real settings.
SECRET_KEY = "placeholder"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
