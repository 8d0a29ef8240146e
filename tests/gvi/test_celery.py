"""Celery: tasks enqueued on commit run in-process without a broker and in a real worker with Redis."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import transaction

from gvi.accounts.models import Role
from gvi.audit.models import AuditAction, AuditEvent
from gvi.celery import app
from gvi.tasks import enqueue, health_check


def _task_events(program_id: int) -> int:
    return AuditEvent.objects.filter(action=AuditAction.TASK, program_id=program_id, purpose="health check").count()


def test_settings_are_safe_for_workers() -> None:
    assert settings.CELERY_TASK_ACKS_LATE
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"


def test_task_runs_in_process_after_commit_and_acts_as_system(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    program = world["sara"].program
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        enqueue(health_check, program.pk)
        assert _task_events(program.pk) == 0
    assert len(callbacks) == 1
    callbacks[0]()
    event = AuditEvent.objects.get(action=AuditAction.TASK, program_id=program.pk, purpose="health check")
    assert event.actor_username == f"system-{program.slug}"


def test_nothing_is_sent_when_the_transaction_rolls_back(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    program = world["sara"].program
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                enqueue(health_check, program.pk)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert _task_events(program.pk) == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL) for a real worker")
def test_task_runs_in_a_real_worker_against_redis() -> None:
    from gvi.demo import build_personas

    staff = build_personas()
    program = staff["sara"].program
    assert program is not None
    assert staff["sara"].role == Role.SOCIAL_WORKER
    app.conf.task_always_eager = False
    app.conf.broker_transport_options = {"visibility_timeout": 30}
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
            with transaction.atomic():
                enqueue(health_check, program.pk)
            # The task was sent on commit; wait for the worker to write its audit event.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and _task_events(program.pk) == 0:
                time.sleep(0.2)
            assert _task_events(program.pk) == 1
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
