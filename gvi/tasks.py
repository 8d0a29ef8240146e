"""Platform tasks, and the one way to enqueue: after the transaction commits, by id."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.db import transaction

from gvi import access
from gvi.accounts.models import Program
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record


def enqueue(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send the task only once the surrounding transaction has committed (ids only, never objects)."""
    transaction.on_commit(lambda: task.delay(*args, **kwargs))


def enqueue_per_program(task: Task) -> int:
    """Fan out: enqueue `task(program_id)` once for every program (each runs, and fails or retries, on its
    own, as its program's system actor). Returns how many were enqueued."""
    # Programs are the system's structure, not case data.
    program_ids = list(Program.objects.order_by("pk").values_list("pk", flat=True))
    for program_id in program_ids:
        enqueue(task, program_id)
    return len(program_ids)


@shared_task(bind=True, acks_late=True, name="gvi.health_check")
def health_check(self: Task, program_id: int) -> str:
    """Proves the wiring end to end: broker, worker, database, system actor and audit."""
    # A task names its program by id to find the system actor; programs are not case data.
    program = Program.objects.get(pk=program_id)
    actor = access.system_actor(program)
    audit_record(
        actor=actor,
        action=AuditAction.TASK,
        purpose="health check",
        detail={"task": self.name, "task_id": self.request.id or ""},
    )
    return "ok"
