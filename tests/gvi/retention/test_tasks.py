"""The nightly cull: beat's entry, the fan-out to every program, and each program culled as its own system actor."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab
from django.conf import settings

from cases.models import SocialSection
from gvi.audit.models import AuditAction, AuditEvent
from gvi.retention.tasks import cull_all


def test_beat_culls_every_night_after_the_shares_are_tidied() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["retention-cull"]
    assert entry["task"] == "retention.cull_all"
    assert entry["schedule"] == crontab(hour=2, minute=30)
    tidy = settings.CELERY_BEAT_SCHEDULE["cases-tidy-expired-shares"]["schedule"]
    assert tidy == crontab(hour=2, minute=15)


def test_the_fan_out_culls_each_program_as_its_system_actor(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    due = world["orebro_due_section"]
    # Each program's task is sent when the fan-out commits (and runs in-process in tests).
    with django_capture_on_commit_callbacks(execute=True):
        assert cull_all.delay().get() >= 2
    assert not SocialSection.objects.filter(pk=due.pk).exists()
    event = AuditEvent.objects.get(action=AuditAction.PURGE, object_type="cases.socialsection", object_id=str(due.pk))
    assert event.actor_username == "system-orebro"
    runs = AuditEvent.objects.filter(action=AuditAction.TASK, purpose="retention cull")
    assert {run.actor_username for run in runs} >= {"system-malmo", "system-orebro"}
    # Held records stay (the demo holds one section in each agency).
    for name in ("malmo_social_section", "malmo_police_section", "orebro_section"):
        assert type(world[name])._default_manager.filter(pk=world[name].pk).exists()
