"""Retention's nightly cull (settings.CELERY_BEAT_SCHEDULE "retention-cull"): one task per program, each as its
program's system actor. Idempotent: what was culled is gone, and a second run finds nothing more due."""

from __future__ import annotations

from celery import Task, shared_task

from gvi.accounts.models import Program
from gvi.retention import services
from gvi.tasks import enqueue_per_program


@shared_task(bind=True, acks_late=True, name="retention.cull")
def cull(self: Task, program_id: int) -> dict[str, int]:
    """Cull what is due in one program; returns the number culled per category."""
    # A task names its program by id to find the system actor; programs are not case data.
    return services.cull_program(Program.objects.get(pk=program_id))


@shared_task(bind=True, acks_late=True, name="retention.cull_all")
def cull_all(self: Task) -> int:
    """Enqueue one cull per program (each runs, and fails or retries, on its own)."""
    return enqueue_per_program(cull)
