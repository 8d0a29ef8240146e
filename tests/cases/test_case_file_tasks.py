"""The nightly tidy of expired shares (tasks run in-process in tests: CELERY_EAGER).

An expired share stops working at read time already (tests/cases/test_sharing.py); the task only marks it
ended and drops its grant rows. It runs per program as that program's system actor, audits itself, and
a second run ends nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from cases import services
from cases.models import Share, ShareGroupObjectPermission, SocialSectionGroupObjectPermission
from cases.tasks import tidy_expired_shares, tidy_expired_shares_all
from gvi import access
from gvi.accounts.models import Program
from gvi.audit.models import AuditAction, AuditEvent
from gvi.celery import app


@contextmanager
def days_later(days: int) -> Iterator[None]:
    with time_machine.travel(timezone.now() + timedelta(days=days), tick=False):
        yield


def _share_social_section(world: dict[str, Any], *, sender: str, section: str, to: str, days: int) -> Share:
    """A social worker shares her section's summary with the police of her program for `days` days."""
    actor = world[sender]
    return services.share_create(
        actor=actor,
        person=world[section].person,
        subject="social",
        scope="summary",
        receiving_agency=world[to].agency,
        legal_basis="osl_10_2",
        purpose="Samordning",
        note_to_recipient="Bara att kontakt finns.",
        valid_until=timezone.localdate() + timedelta(days=days),
    )


@pytest.fixture
def expiring(world: dict[str, Any]) -> dict[str, Share]:
    """One share in each program that runs out tomorrow, and a Malmö share that lasts."""
    return {
        "malmo": _share_social_section(world, sender="sara", section="malmo_social_section", to="petra", days=1),
        "malmo_lasting": _share_social_section(
            world, sender="sara", section="malmo_social_section", to="karin", days=30
        ),
        "orebro": _share_social_section(world, sender="nils", section="orebro_section", to="olle", days=1),
    }


def _task_events(program: Program) -> list[AuditEvent]:
    """The tidy task's runs (other tasks, e.g. the demo's report builds, are audited as tasks too)."""
    return list(
        AuditEvent.objects.filter(
            action=AuditAction.TASK, program_id=program.pk, purpose="tidy expired shares"
        ).order_by("id")
    )


def _ended_by_task(share: Share) -> int:
    return AuditEvent.objects.filter(
        action=AuditAction.REVOKE, object_type="cases.share", object_id=str(share.pk), detail__reason="expired"
    ).count()


def test_nothing_is_tidied_before_the_last_valid_day_has_passed(
    world: dict[str, Any], expiring: dict[str, Share]
) -> None:
    program = world["sara"].program
    assert tidy_expired_shares.delay(program.pk).get() == 0
    with days_later(1):
        # Tomorrow is the last valid day: the share still works all of it.
        assert tidy_expired_shares.delay(program.pk).get() == 0
    assert Share.objects.get(pk=expiring["malmo"].pk).ended_at is None


def test_the_tidy_ends_expired_shares_as_the_system_actor_and_audits_itself(
    world: dict[str, Any], expiring: dict[str, Share]
) -> None:
    program = world["sara"].program
    system = access.system_actor(program)
    share = expiring["malmo"]
    police_group = world["petra"].agency.group_id
    section = world["malmo_social_section"]

    with days_later(2):
        assert tidy_expired_shares.delay(program.pk).get() == 1

    share.refresh_from_db()
    assert (share.ended_reason, share.ended_by_id) == (Share.Ended.EXPIRED, system.pk)
    assert _ended_by_task(share) == 1
    revoked = AuditEvent.objects.get(
        action=AuditAction.REVOKE, object_type="cases.share", object_id=str(share.pk), detail__reason="expired"
    )
    assert revoked.actor_username == f"system-{program.slug}"
    assert not ShareGroupObjectPermission.objects.filter(content_object=share, group_id=police_group).exists()
    assert not SocialSectionGroupObjectPermission.objects.filter(content_object=section, group_id=police_group).exists()
    task = _task_events(program)[-1]
    assert task.actor_username == f"system-{program.slug}"
    assert task.detail["task"] == "cases.tidy_expired_shares"
    assert task.detail["shares_ended"] == 1
    # The lasting share to Kriminalvården is untouched.
    lasting = Share.objects.get(pk=expiring["malmo_lasting"].pk)
    assert lasting.ended_at is None
    assert SocialSectionGroupObjectPermission.objects.filter(
        content_object=section, group_id=world["karin"].agency.group_id
    ).exists()


def test_a_second_run_ends_nothing(world: dict[str, Any], expiring: dict[str, Share]) -> None:
    program = world["sara"].program
    share = expiring["malmo"]
    with days_later(2):
        assert tidy_expired_shares.delay(program.pk).get() == 1
        ended_at = Share.objects.get(pk=share.pk).ended_at
        revokes = AuditEvent.objects.filter(action=AuditAction.REVOKE).count()

        assert tidy_expired_shares.delay(program.pk).get() == 0

        assert Share.objects.get(pk=share.pk).ended_at == ended_at
        assert AuditEvent.objects.filter(action=AuditAction.REVOKE).count() == revokes
    assert [e.detail["shares_ended"] for e in _task_events(program)] == [1, 0]


def test_each_program_is_tidied_on_its_own(world: dict[str, Any], expiring: dict[str, Share]) -> None:
    malmo, orebro = world["sara"].program, world["nils"].program
    with days_later(2):
        tidy_expired_shares.delay(malmo.pk)
        assert Share.objects.get(pk=expiring["malmo"].pk).ended_reason == Share.Ended.EXPIRED
        orebro_share = Share.objects.get(pk=expiring["orebro"].pk)
        assert orebro_share.ended_at is None, "Malmö's run leaves Örebro's shares alone"
        assert _task_events(orebro) == []

        tidy_expired_shares.delay(orebro.pk)
        orebro_share.refresh_from_db()
        assert orebro_share.ended_reason == Share.Ended.EXPIRED
        assert orebro_share.ended_by == access.system_actor(orebro)
    assert _task_events(orebro)[0].actor_username == f"system-{orebro.slug}"


def test_the_nightly_fan_out_enqueues_one_tidy_per_program_after_commit(
    world: dict[str, Any], expiring: dict[str, Share], django_capture_on_commit_callbacks: Any
) -> None:
    programs = list(Program.objects.order_by("pk"))
    with days_later(2), django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert tidy_expired_shares_all.delay().get() == len(programs)
    assert len(callbacks) == len(programs)
    for key in ("malmo", "orebro"):
        assert Share.objects.get(pk=expiring[key].pk).ended_reason == Share.Ended.EXPIRED
    for program in programs:
        assert [e.detail["task"] for e in _task_events(program)] == ["cases.tidy_expired_shares"]


def test_beat_runs_the_fan_out_nightly_at_a_quarter_past_two_stockholm_time() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["cases-tidy-expired-shares"]
    assert entry["task"] == tidy_expired_shares_all.name == "cases.tidy_expired_shares_all"
    assert entry["schedule"] == crontab(hour=2, minute=15)
    assert settings.CELERY_TIMEZONE == "Europe/Stockholm"
    assert "cases.tidy_expired_shares" in app.tasks
    assert "cases.tidy_expired_shares_all" in app.tasks


def test_the_tasks_acknowledge_late_so_a_lost_worker_means_a_rerun() -> None:
    assert tidy_expired_shares.acks_late
    assert tidy_expired_shares_all.acks_late
