"""Celery application: broker from REDIS_URL; without it tasks run in-process (see settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gvi.settings")

app = Celery("gvi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
