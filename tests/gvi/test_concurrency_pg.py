"""Optimistic concurrency under real contention: 20 writers on PostgreSQL, each on its own connection, edit
one group through the service; none of their changes is lost, and a stale edit is refused and changes nothing.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction, AuditEvent
from gvi.concurrency import StaleVersion
from gvi.mapping.models import Group
from gvi.mapping.services import group_update

WRITERS = 20
# A writer that loses the race re-reads and tries again; with 20 writers it can lose at most 19 times.
MAX_ATTEMPTS = 100

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.timeout(60),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL (set DATABASE_URL): concurrent writers on their own connections",
    ),
]


def _marker(writer: int) -> str:
    return f"[writer {writer:02d}]"


def _update_events(group: Group) -> int:
    return AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_type="mapping.group", object_id=str(group.pk)
    ).count()


def test_a_writer_with_a_stale_version_is_refused_and_changes_nothing(world: dict[str, Any]) -> None:
    petra = Staff.objects.get(pk=world["petra"].pk)
    read_by_both = Group.objects.get(pk=world["malmo_group"].pk)
    group_update(actor=petra, group=read_by_both, version=read_by_both.version, notes="first writer's notes")
    after_first = Group.objects.get(pk=read_by_both.pk)
    events = _update_events(after_first)

    with pytest.raises(StaleVersion) as refused:
        group_update(
            actor=petra, group=read_by_both, version=read_by_both.version, notes="second writer's notes", district="X"
        )

    now = Group.objects.get(pk=read_by_both.pk)
    current = refused.value.current
    assert isinstance(current, Group)
    assert current.version == after_first.version == read_by_both.version + 1
    assert (now.version, now.notes, now.district, now.updated_at) == (
        after_first.version,
        "first writer's notes",
        after_first.district,
        after_first.updated_at,
    )
    assert _update_events(now) == events


# Transactional: each writer's thread has its own connection and must see the others' commits.
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_writers_lose_no_update(world: dict[str, Any]) -> None:
    group = Group.objects.get(pk=world["malmo_group"].pk)
    start_version, start_events = group.version, _update_events(group)
    petra_pk = world["petra"].pk
    # Every writer has read the same version before anyone writes, so exactly one first attempt can win.
    all_have_read = threading.Barrier(WRITERS, timeout=30)

    def write(writer: int) -> dict[str, int]:
        """Append this writer's marker to the notes through the service; on a conflict re-read and retry."""
        try:
            actor = Staff.objects.get(pk=petra_pk)
            result = {"attempts": 0, "stale": 0}
            while result["attempts"] < MAX_ATTEMPTS:
                result["attempts"] += 1
                current = Group.objects.get(pk=group.pk)
                if result["attempts"] == 1:
                    all_have_read.wait()
                notes = f"{current.notes}\n{_marker(writer)}".strip()
                try:
                    group_update(actor=actor, group=current, version=current.version, notes=notes)
                except StaleVersion:
                    result["stale"] += 1
                    continue
                return result
            raise AssertionError(f"writer {writer} gave up after {MAX_ATTEMPTS} attempts")
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        results = list(pool.map(write, range(WRITERS)))

    group.refresh_from_db()
    assert group.version == start_version + WRITERS
    for writer in range(WRITERS):
        assert group.notes.count(_marker(writer)) == 1, f"the change of writer {writer} was lost"
    # One audited update per successful write; the refused attempts left no trace.
    assert _update_events(group) == start_events + WRITERS
    # The conflict was real: of the 20 first attempts, all made on the same version, exactly one won.
    first_try_winners = sum(1 for r in results if r["attempts"] == 1)
    assert first_try_winners == 1
    assert sum(r["stale"] for r in results) >= WRITERS - 1
    assert all(r["attempts"] == r["stale"] + 1 for r in results)
