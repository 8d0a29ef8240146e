"""Celery application: broker from REDIS_URL; without it tasks run in-process (see settings)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gvi.settings")

app = Celery("gvi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def _require_configuration(**_kwargs: object) -> None:
    from gvi.checks import require_secret_key

    require_secret_key()
