"""cases.selectors.supervision_of: the probation section a viewer may see on each invitee (own or shared and
linked to the viewer's record), in a bounded number of queries; and how the call-in's invitation rows use it."""

from __future__ import annotations

from typing import Any

import pytest

from cases.models import Person
from cases.selectors import supervision_of
from cases.services import person_create, share_revoke
from gvi import access
from gvi.demo import identity_number
from interventions import selectors
from tests.conftest import max_queries


def police_ids(world: dict[str, Any], n: int) -> list[int]:
    """Adam's police record first, then other police records (created when the demo has too few)."""
    petra = world["petra"]
    adam = world["malmo_police_person"]
    others = list(Person.objects.filter(owner_agency_id=petra.agency_id).exclude(pk=adam.pk).order_by("id")[: n - 1])
    for i in range(len(others), n - 1):
        others.append(
            person_create(
                actor=petra,
                given_name=f"Tillsyn{i}",
                family_name="Lind",
                identity_number=identity_number(1997, 3, 3, 500 + i),
                purpose="test",
            )
        )
    return [adam.pk, *(p.pk for p in others)]


def test_petra_sees_adams_shared_probation_summary_and_nothing_else(world: dict[str, Any]) -> None:
    found = supervision_of(world["petra"], police_ids(world, 5))
    assert found == {world["malmo_police_person"].pk: world["malmo_probation_section"]}
    section = found[world["malmo_police_person"].pk]
    # Shared as a summary: Petra may see the summary, not the section in full.
    assert access.can(world["petra"], "view_summary", section)
    assert not access.can(world["petra"], "view", section)
    # Anders works in the same police team, which the share reaches.
    assert supervision_of(world["anders"], [world["malmo_police_person"].pk]) == found


def test_karin_sees_her_own_clients_section(world: dict[str, Any]) -> None:
    karin_record = world["malmo_probation_person"]
    assert supervision_of(world["karin"], [karin_record.pk]) == {karin_record.pk: world["malmo_probation_section"]}
    # The police's record of Adam is not hers: no link from her side.
    assert supervision_of(world["karin"], [world["malmo_police_person"].pk]) == {}


@pytest.mark.parametrize("name", ["sara", "erik", "lena", "olof", "ada", "nils", "maja"])
def test_others_see_no_supervision(world: dict[str, Any], name: str) -> None:
    ids = [world["malmo_police_person"].pk, world["malmo_social_person"].pk, world["malmo_probation_person"].pk]
    assert supervision_of(world[name], ids) == {}


def test_nothing_asked_nothing_found(world: dict[str, Any]) -> None:
    with max_queries(0):
        assert supervision_of(world["petra"], []) == {}


def test_after_the_share_is_revoked_petra_sees_none(world: dict[str, Any]) -> None:
    share_revoke(actor=world["karin"], share=world["malmo_share"])
    assert supervision_of(world["petra"], [world["malmo_police_person"].pk]) == {}


@pytest.mark.parametrize("count", [1, 20])
def test_supervision_of_runs_at_most_three_queries(world: dict[str, Any], count: int) -> None:
    ids = police_ids(world, count)
    petra = world["petra"]
    petra.refresh_from_db()
    _ = petra.team, petra.agency, petra.program  # loaded with the session user (StaffManager)
    with max_queries(3):
        found = supervision_of(petra, ids)
    assert set(found) == {world["malmo_police_person"].pk}


def test_the_invitation_rows_show_supervision_to_the_police_only(world: dict[str, Any]) -> None:
    call_in = world["malmo_callin"]
    rows = selectors.call_in_invitations(world["petra"], call_in)
    assert [(row.invitation, row.supervision) for row in rows] == [
        (world["malmo_invitation"], world["malmo_probation_section"])
    ]
    past = selectors.call_in_invitations(world["petra"], world["malmo_callin_past"])
    assert len(past) == 6
    adam = world["malmo_police_person"].pk
    assert all(row.supervision is None for row in past if row.invitation.person_id != adam)
    for name in ("sara", "karin", "lena", "nils"):
        assert selectors.call_in_invitations(world[name], call_in) == []
