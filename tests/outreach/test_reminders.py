"""Reminders of due follow-ups and threat-assessment reviews (outreach.services.reminders_send and the beat
tasks): one notification per case, kind and due date however often it runs, in the app and by an e-mail
that carries a title and a link only. Run in-process (CELERY_EAGER) and in a real worker against Redis."""

from __future__ import annotations

import os
import time
from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from gvi.accounts.models import Program
from gvi.audit.models import AuditAction, AuditEvent
from gvi.celery import app
from gvi.notifications.models import Notification
from gvi.notifications.selectors import notifications_for, unread_count
from outreach import services
from outreach.models import Contact, ExitCase
from outreach.tasks import send_reminders, send_reminders_all
from tests.conftest import requires_postgres


def today() -> date:
    return timezone.localdate()


def due_keys(program: Program, on: date | None = None) -> set[tuple[int, str]]:
    """What should be reminded: (recipient, key) of every due follow-up and review of the program's open cases."""
    on = on or today()
    keys = set()
    for case in ExitCase.objects.filter(program=program, closed_on__isnull=True):
        if case.next_follow_up_on is not None and case.next_follow_up_on <= on:
            keys.add((case.responsible_id, f"outreach.follow-up:{case.pk}:{case.next_follow_up_on.isoformat()}"))
        if case.threat_review_on is not None and case.threat_review_on <= on:
            keys.add((case.responsible_id, f"outreach.threat-review:{case.pk}:{case.threat_review_on.isoformat()}"))
    return keys


def notified(program: Program) -> set[tuple[int, str]]:
    return set(Notification.objects.filter(program=program).values_list("recipient_id", "key"))


def test_the_demo_has_an_overdue_follow_up_and_a_due_review(world: dict[str, Any]) -> None:
    case = world["malmo_exit_case"]
    assert case.next_follow_up_on < today()
    assert case.threat_review_on <= today()
    for key in ("malmo_erik_case", "malmo_field_case", "orebro_exit_case"):
        assert world[key].next_follow_up_on > today(), key


def test_run_twice_one_notification_per_due_follow_up_and_review(world: dict[str, Any]) -> None:
    program, case, sara = world["sara"].program, world["malmo_exit_case"], world["sara"]
    expected = due_keys(program)
    assert (sara.pk, f"outreach.follow-up:{case.pk}:{case.next_follow_up_on.isoformat()}") in expected
    assert (sara.pk, f"outreach.threat-review:{case.pk}:{case.threat_review_on.isoformat()}") in expected

    assert services.reminders_send(program=program) == len(expected)
    assert services.reminders_send(program=program) == 0
    assert Notification.objects.filter(program=program).count() == len(expected)
    assert notified(program) == expected
    # The next day, the same due dates: still nothing new.
    assert services.reminders_send(program=program, today=today() + timedelta(days=1)) == 0
    assert Notification.objects.filter(program=program).count() == len(expected)


def test_the_notification_names_no_one_and_links_to_the_case(world: dict[str, Any]) -> None:
    program, case, sara = world["sara"].program, world["malmo_exit_case"], world["sara"]
    services.reminders_send(program=program)
    mine = list(notifications_for(sara))
    assert {n.url for n in mine} == {reverse("outreach:case-detail", args=[case.pk])}
    assert unread_count(sara) == len(mine) == 2
    person = case.person
    for notification in mine:
        assert person.given_name not in notification.title
        assert person.family_name not in notification.title
    # Nobody else got Sara's reminders, and the run was audited as the system actor.
    assert list(notifications_for(world["erik"])) == []
    event = AuditEvent.objects.filter(action=AuditAction.LIST, purpose="reminders", program_id=program.pk).latest("id")
    assert event.actor_username == f"system-{program.slug}"
    assert str(case.pk) in event.object_ids


def test_a_new_follow_up_date_is_a_new_notification(world: dict[str, Any]) -> None:
    program, case, sara = world["sara"].program, world["malmo_exit_case"], world["sara"]
    services.reminders_send(program=program)
    before = Notification.objects.filter(recipient=sara).count()
    services.contact_log(actor=sara, case=case, note="Ringde.", follow_up_on=today())
    assert services.reminders_send(program=program) == 1
    assert services.reminders_send(program=program) == 0
    assert Notification.objects.filter(recipient=sara).count() == before + 1
    assert Notification.objects.filter(recipient=sara, key=f"outreach.follow-up:{case.pk}:{today().isoformat()}")


def test_a_follow_up_in_the_future_is_not_due_yet(world: dict[str, Any]) -> None:
    program, case, sara = world["sara"].program, world["malmo_exit_case"], world["sara"]
    services.contact_log(actor=sara, case=case, note="Ringde.", follow_up_on=today() + timedelta(days=3))
    services.reminders_send(program=program)
    keys = {key for _recipient, key in notified(program)}
    assert not any(key.startswith(f"outreach.follow-up:{case.pk}:") for key in keys)
    # Three days later it is.
    assert services.reminders_send(program=program, today=today() + timedelta(days=3)) == 1


def test_a_closed_case_is_not_reminded(world: dict[str, Any]) -> None:
    program, case = world["sara"].program, world["malmo_exit_case"]
    services.exit_case_close(actor=world["sara"], case=case, version=case.version, outcome="completed")
    assert services.reminders_send(program=program) == len(due_keys(program))
    assert not Notification.objects.filter(key__contains=f":{case.pk}:").exists()


def test_each_program_reminds_its_own(world: dict[str, Any]) -> None:
    orebro, nils = world["nils"].program, world["nils"]
    case = world["orebro_exit_case"]
    services.contact_log(actor=nils, case=case, note="Samtal.", follow_up_on=today())
    assert services.reminders_send(program=orebro) == 1
    assert [n.recipient_id for n in Notification.objects.filter(program=orebro)] == [nils.pk]
    assert not Notification.objects.filter(program=world["sara"].program).exists()


def test_the_email_carries_the_title_and_a_link_only(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    program, case, sara = world["sara"].program, world["malmo_exit_case"], world["sara"]
    person = case.person
    notes = [c.note for c in Contact.objects.filter(exit_case=case)]
    threat = world["malmo_threat"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        made = services.reminders_send(program=program)
    assert made == 2
    assert len(mail.outbox) == made
    link = f"{settings.SITE_URL.rstrip('/')}{reverse('outreach:case-detail', args=[case.pk])}"
    titles = set(Notification.objects.filter(recipient=sara).values_list("title", flat=True))
    for message in mail.outbox:
        assert message.to == [sara.email]
        text = f"{message.subject}\n{message.body}"
        assert link in message.body
        assert any(title in message.subject and title in message.body for title in titles)
        forbidden = [person.given_name, person.family_name, person.full_name, threat.summary, *notes]
        if person.identity_number:
            forbidden += [person.identity_number, person.identity_number.replace("-", "")[-10:]]
        for secret in forbidden:
            assert secret not in text, secret
        assert not message.attachments
        # Only the title and the link: nothing else in the body.
        lines = [line for line in message.body.splitlines() if line.strip()]
        assert len(lines) == 2
    assert all(n.emailed_at is not None for n in Notification.objects.filter(recipient=sara))
    # A second run sends no more mail.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(program=program) == 0
    assert len(mail.outbox) == made


def test_no_email_when_the_transaction_rolls_back(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    program = world["sara"].program
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                services.reminders_send(program=program)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert mail.outbox == []
    assert not Notification.objects.filter(program=program).exists()


# --------------------------------------------------------------------------------------------------
# The tasks, in-process


def test_the_task_run_twice_in_process_makes_one_notification_per_due_date(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    assert app.conf.task_always_eager
    program = world["sara"].program
    expected = due_keys(program)
    programs = Program.objects.count()
    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert send_reminders_all.delay().get() == programs
    assert notified(program) == expected
    assert Notification.objects.filter(program=program).count() == len(expected)
    made = [
        e.detail["notifications"]
        for e in AuditEvent.objects.filter(action=AuditAction.TASK, program_id=program.pk).order_by("id")
        if e.detail.get("task") == "outreach.send_reminders"
    ]
    assert made == [len(expected), 0]
    for event in AuditEvent.objects.filter(action=AuditAction.TASK, program_id=program.pk):
        assert event.actor_username == f"system-{program.slug}"


def test_the_per_program_task_takes_an_id_and_is_idempotent(world: dict[str, Any]) -> None:
    program = world["sara"].program
    expected = len(due_keys(program))
    assert send_reminders.delay(program.pk).get() == expected
    assert send_reminders.delay(program.pk).get() == 0
    assert send_reminders.acks_late
    assert send_reminders_all.acks_late


def test_beat_schedules_the_fan_out() -> None:
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "outreach.send_reminders_all"]
    assert entries, "no beat entry runs outreach.send_reminders_all"
    assert "outreach.send_reminders" in app.tasks
    assert "outreach.send_reminders_all" in app.tasks


# --------------------------------------------------------------------------------------------------
# A real worker against Redis (CI: PostgreSQL + Redis)


def _task_runs(program_id: int) -> int:
    return sum(
        1
        for detail in AuditEvent.objects.filter(action=AuditAction.TASK, program_id=program_id).values_list(
            "detail", flat=True
        )
        if detail.get("task") == "outreach.send_reminders"
    )


def _wait_for(condition: Any, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@requires_postgres()
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL) for a real worker")
def test_the_task_run_twice_in_a_real_worker_makes_one_notification_per_due_date() -> None:
    from celery.contrib.testing.worker import start_worker

    from gvi.demo import build_demo

    world = build_demo()
    program = world["sara"].program  # type: ignore[attr-defined]
    expected = due_keys(program)
    assert expected
    programs = list(Program.objects.values_list("pk", flat=True))
    app.conf.task_always_eager = False
    app.conf.broker_transport_options = {"visibility_timeout": 30}
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
            for run in (1, 2):
                send_reminders_all.delay()
                assert _wait_for(lambda run=run: all(_task_runs(pk) >= run for pk in programs)), f"run {run}"
        assert all(_task_runs(pk) == 2 for pk in programs)
        assert notified(program) == expected
        assert Notification.objects.filter(program=program).count() == len(expected)
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
        app.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
