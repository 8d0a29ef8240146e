"""Tasks of the exit program: reminders of due follow-ups and threat-assessment reviews.

Beat runs the fan-out every morning and early afternoon (settings.CELERY_BEAT_SCHEDULE); each program is
handled by its own task, as its own system actor. Idempotent: a reminder is made once per case, kind and
due date whatever the number of runs (outreach.services.reminders).
"""

from __future__ import annotations

from celery import Task, shared_task

from gvi import access
from gvi.accounts.models import Program
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.tasks import enqueue_per_program
from outreach import services


@shared_task(bind=True, acks_late=True, name="outreach.send_reminders")
def send_reminders(self: Task, program_id: int) -> int:
    """Notify the program's responsible workers of due follow-ups. Returns how many notifications it made."""
    # A task names its program by id to find the system actor; programs are not case data.
    program = Program.objects.get(pk=program_id)
    made = services.reminders_send(program=program)
    audit_record(
        actor=access.system_actor(program),
        action=AuditAction.TASK,
        purpose="reminders",
        detail={"task": self.name, "task_id": self.request.id or "", "notifications": made},
    )
    return made


@shared_task(bind=True, acks_late=True, name="outreach.send_reminders_all")
def send_reminders_all(self: Task) -> int:
    """Enqueue one reminder task per program."""
    return enqueue_per_program(send_reminders)
