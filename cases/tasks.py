"""Tasks of cases: tidying shares past their last valid day.

An expired share already stops working at read time (its grants carry the expiry), so nothing waits on
these tasks: they only mark such shares ended ("expired") and drop their grant rows, so that lists of
shares and the review of who holds which grants stay true. Beat runs the fan-out nightly
(settings.CELERY_BEAT_SCHEDULE); each program is tidied by its own task, as its own system actor.
"""

from __future__ import annotations

from celery import Task, shared_task

from cases import services
from gvi import access
from gvi.accounts.models import Program
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.tasks import enqueue_per_program


@shared_task(bind=True, acks_late=True, name="cases.tidy_expired_shares")
def tidy_expired_shares(self: Task, program_id: int) -> int:
    """End the program's shares whose last valid day has passed. Idempotent: a second run ends nothing.

    Returns how many shares it ended."""
    # A task names its program by id to find the system actor; programs are not case data.
    program = Program.objects.get(pk=program_id)
    ended = services.shares_tidy(program=program)
    audit_record(
        actor=access.system_actor(program),
        action=AuditAction.TASK,
        purpose="tidy expired shares",
        detail={"task": self.name, "task_id": self.request.id or "", "shares_ended": ended},
    )
    return ended


@shared_task(bind=True, acks_late=True, name="cases.tidy_expired_shares_all")
def tidy_expired_shares_all(self: Task) -> int:
    """Enqueue one tidy task per program (each runs, and fails or retries, on its own)."""
    return enqueue_per_program(tidy_expired_shares)
