"""The group map's rules, at the service and selector level.

A membership not reconfirmed by its review date is inactive wherever membership counts; being the
victim of an incident never makes anyone a member; incident statistics per year are counted in Swedish
local time; the services refuse bad input with a clear message, and refuse everyone outside the police.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone, translation

from cases.models import Person
from cases.services import person_create
from gvi import access
from gvi.accounts.models import Agency, AgencyKind, Program, Role, Staff
from gvi.mapping import selectors, services
from gvi.mapping.models import (
    Group,
    GroupMembership,
    GroupRelation,
    Incident,
    IncidentInvolvement,
    review_date_after,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOT_POLICE = ("sara", "erik", "karin", "lena", "olof", "ada", "nils", "maja")


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=STOCKHOLM)


def errors_of(call: Callable[[], Any]) -> dict[str, list[str]]:
    """The field messages a service refuses with, in English."""
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict


def fresh_group(actor: Staff, name: str = "Grupp Testet") -> Group:
    return services.group_create(actor=actor, name=name, district="Testdistrikt")


def fresh_person(actor: Staff, given: str = "Test") -> Person:
    return person_create(actor=actor, given_name=given, family_name="Testsson", birth_year=2001)


# --------------------------------------------------------------------------------------------------
# Review dates: a lapsed membership counts nowhere; reconfirming brings it back


def membership_state(user: Staff, group: Group, membership: GroupMembership) -> dict[str, Any]:
    """Where membership matters, as of today (whatever today is under the frozen clock)."""
    today = timezone.localdate()
    nodes = selectors.network(user=user, as_of=today)["nodes"]
    return {
        "active_on": GroupMembership.objects.filter(pk=membership.pk).active_on(today).exists(),
        "group_list": selectors.group_list(user=user).get(pk=group.pk).active_members,  # type: ignore[attr-defined]
        "network": next(node["members"] for node in nodes if node["id"] == group.pk),
        "review_due": membership.pk in {m.pk for m in selectors.reviews_due(user=user)},
    }


def test_a_membership_past_its_review_date_is_inactive_everywhere(world: dict[str, Any]) -> None:
    anders = world["anders"]
    group = fresh_group(anders)
    today = timezone.localdate()
    membership = services.membership_add(
        actor=anders,
        group=group,
        person=fresh_person(anders),
        confidence="confirmed",
        source="spaning",
        valid_from=today - timedelta(days=200),
        last_confirmed=today - timedelta(days=10),
    )
    due = membership.review_due
    assert due == review_date_after(today - timedelta(days=10))

    with time_machine.travel(at_noon(due - timedelta(days=31)), tick=False):
        assert membership_state(anders, group, membership) == {
            "active_on": True,
            "group_list": 1,
            "network": 1,
            "review_due": False,
        }
    with time_machine.travel(at_noon(due), tick=False):
        # The last day it holds: still in force, and on the analysts' list of reviews due.
        assert membership_state(anders, group, membership) == {
            "active_on": True,
            "group_list": 1,
            "network": 1,
            "review_due": True,
        }
    with time_machine.travel(at_noon(due + timedelta(days=1)), tick=False):
        assert membership_state(anders, group, membership) == {
            "active_on": False,
            "group_list": 0,
            "network": 0,
            "review_due": True,
        }
        assert not membership.is_active_on(timezone.localdate())

        reconfirmed = services.membership_reconfirm(actor=anders, membership=membership)

        assert reconfirmed.last_confirmed == due + timedelta(days=1)
        assert reconfirmed.review_due == review_date_after(due + timedelta(days=1))
        assert reconfirmed.review_due.year == due.year + 1
        assert membership_state(anders, group, reconfirmed) == {
            "active_on": True,
            "group_list": 1,
            "network": 1,
            "review_due": False,
        }


def test_the_demo_has_a_lapsed_membership_that_counts_nowhere(world: dict[str, Any]) -> None:
    anders = world["anders"]
    today = timezone.localdate()
    lapsed = access.visible(anders, GroupMembership).filter(review_due__lt=today)
    assert lapsed.exists()
    assert not lapsed.active_on(today).exists()  # type: ignore[attr-defined]


def test_review_date_is_twelve_months_after_confirmation() -> None:
    assert review_date_after(date(2024, 3, 15)) == date(2025, 3, 15)
    assert review_date_after(date(2024, 2, 29)) == date(2025, 2, 28)
    assert review_date_after(date(2023, 12, 31)) == date(2024, 12, 31)


# --------------------------------------------------------------------------------------------------
# Victims are not members


def test_being_the_victim_of_an_incident_never_makes_a_person_a_member(world: dict[str, Any]) -> None:
    petra = world["petra"]
    group = fresh_group(petra)
    victim, other_victim = fresh_person(petra, "Offer"), fresh_person(petra, "Annat")
    memberships_before = GroupMembership.objects.count()

    incident = services.incident_create(
        actor=petra,
        kind="shooting",
        occurred_at=timezone.now() - timedelta(hours=5),
        place="Ystadvägen 1",
        groups=[group],
        involvements=[(victim, "victim")],
    )
    services.involvement_add(actor=petra, incident=incident, person=other_victim, role="victim")

    assert GroupMembership.objects.count() == memberships_before
    assert not GroupMembership.objects.filter(person__in=[victim, other_victim]).exists()
    assert set(IncidentInvolvement.objects.filter(incident=incident).values_list("role", flat=True)) == {"victim"}
    assert (
        next(n for n in selectors.network(user=petra, as_of=timezone.localdate())["nodes"] if n["id"] == group.pk)[
            "members"
        ]
        == 0
    )


def test_the_demo_incidents_victims_are_not_made_members(world: dict[str, Any]) -> None:
    victims = IncidentInvolvement.objects.filter(incident=world["malmo_incident"], role="victim")
    assert victims.exists()
    assert not GroupMembership.objects.filter(person_id__in=victims.values("person_id")).exists()


# --------------------------------------------------------------------------------------------------
# Incident statistics per year


@pytest.fixture
def teststad(db: None) -> dict[str, Staff]:
    """A program of its own, so that no demo incident mixes into the statistics."""
    program = Program.objects.create(name="Sluta skjut Teststad", slug="teststad")
    police = Agency(name="Polisen Teststad", slug="polisen-teststad", kind=AgencyKind.POLICE)
    police.save()
    police.programs.set([program])
    municipality = Agency(name="Teststads kommun", slug="teststad-kommun", kind=AgencyKind.MUNICIPALITY)
    municipality.save()
    municipality.programs.set([program])
    analyst = Staff.objects.create(username="tess", role=Role.POLICE_ANALYST, program=program, agency=police)
    lead = Staff.objects.create(username="ludvig", role=Role.PROGRAM_LEAD, program=program, agency=municipality)
    return {"analyst": analyst, "lead": lead}


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


# (when, kind, killed, injured, gmi)
STATS_FIXTURE = [
    (local(2021, 3, 10, 20, 0), "shooting", 1, 0, "confirmed"),
    (local(2021, 7, 1, 2, 15), "shooting", 0, 2, "suspected"),
    # New Year's Eve 23:30 local time: 2021 (22:30 UTC).
    (local(2021, 12, 31, 23, 30), "explosion", 0, 0, "none"),
    # Half past midnight on New Year's Day local time is still 2021 in UTC; it counts in 2022.
    (local(2022, 1, 1, 0, 30), "explosion", 0, 1, "suspected"),
    (local(2022, 5, 5, 12, 0), "other", 2, 3, "confirmed"),
    (local(2022, 11, 11, 18, 0), "shooting", 0, 1, "none"),
    (local(2023, 2, 14, 21, 45), "shooting", 1, 1, "confirmed"),
    (local(2023, 6, 30, 23, 59), "shooting", 0, 0, "none"),
]
# Counted by hand from the fixture above.
EXPECTED_STATS = [
    {
        "year": 2021,
        "total": 3,
        "shootings": 2,
        "explosions": 1,
        "other": 0,
        "killed": 1,
        "injured": 2,
        "gmi_confirmed": 1,
        "gmi_suspected": 1,
    },
    {
        "year": 2022,
        "total": 3,
        "shootings": 1,
        "explosions": 1,
        "other": 1,
        "killed": 2,
        "injured": 5,
        "gmi_confirmed": 1,
        "gmi_suspected": 1,
    },
    {
        "year": 2023,
        "total": 2,
        "shootings": 2,
        "explosions": 0,
        "other": 0,
        "killed": 1,
        "injured": 1,
        "gmi_confirmed": 1,
        "gmi_suspected": 0,
    },
]


def test_incident_statistics_per_year_match_the_hand_count(world: dict[str, Any], teststad: dict[str, Staff]) -> None:
    analyst = teststad["analyst"]
    for number, (when, kind, killed, injured, gmi) in enumerate(STATS_FIXTURE, start=1):
        services.incident_create(
            actor=analyst,
            kind=kind,
            occurred_at=when,
            place=f"Storgatan {number}",
            killed=killed,
            injured=injured,
            gmi=gmi,
            police_case_number=f"9000-K{number}-T",
        )

    assert selectors.incident_stats_by_year(access.visible(analyst, Incident)) == EXPECTED_STATS
    # The program lead's report counts the same through `countable`, and opens none of them.
    assert selectors.incident_stats_by_year(access.countable(teststad["lead"], Incident)) == EXPECTED_STATS
    assert not access.visible(teststad["lead"], Incident).exists()
    # Malmö's police see none of Teststad's incidents, and Teststad's see none of Malmö's.
    assert not access.visible(world["petra"], Incident).filter(program__slug="teststad").exists()
    assert access.visible(analyst, Incident).count() == len(STATS_FIXTURE)


def test_incident_statistics_of_no_incidents_are_empty(teststad: dict[str, Staff]) -> None:
    assert selectors.incident_stats_by_year(access.visible(teststad["analyst"], Incident)) == []


# --------------------------------------------------------------------------------------------------
# Bad input is refused with a clear message


def test_a_relation_with_itself_is_refused(world: dict[str, Any]) -> None:
    group = world["malmo_group"]
    errors = errors_of(
        lambda: services.relation_add(
            actor=world["anders"], group=group, other_group=group, kind="conflict", valid_from=date(2024, 1, 1)
        )
    )
    assert errors == {"other_group": ["A relation is between two different groups."]}


END_BEFORE_START = "The end date must be on or after the start date."


def test_a_relation_ending_before_it_began_is_refused(world: dict[str, Any]) -> None:
    anders, relation = world["anders"], world["malmo_relation"]
    errors = errors_of(
        lambda: services.relation_add(
            actor=anders,
            group=world["malmo_group"],
            other_group=world["malmo_other_group"],
            kind="alliance",
            valid_from=date(2024, 5, 1),
            valid_to=date(2024, 4, 30),
        )
    )
    assert errors == {"valid_to": [END_BEFORE_START]}
    errors = errors_of(
        lambda: services.relation_update(
            actor=anders,
            relation=relation,
            version=relation.version,
            valid_to=relation.valid_from - timedelta(days=1),
        )
    )
    assert errors == {"valid_to": [END_BEFORE_START]}
    assert GroupRelation.objects.get(pk=relation.pk).version == relation.version


def test_a_membership_ending_before_it_began_is_refused(world: dict[str, Any]) -> None:
    anders, membership = world["anders"], world["malmo_membership"]
    errors = errors_of(
        lambda: services.membership_add(
            actor=anders,
            group=world["malmo_group"],
            person=world["malmo_police_person"],
            confidence="possible",
            source="tips",
            valid_from=date(2024, 5, 1),
            valid_to=date(2024, 4, 1),
            last_confirmed=date(2024, 5, 1),
        )
    )
    assert errors == {"valid_to": [END_BEFORE_START]}
    errors = errors_of(
        lambda: services.membership_update(
            actor=anders,
            membership=membership,
            version=membership.version,
            valid_to=membership.valid_from - timedelta(days=1),
        )
    )
    assert errors == {"valid_to": [END_BEFORE_START]}


def test_a_review_date_before_the_confirmation_is_refused(world: dict[str, Any]) -> None:
    errors = errors_of(
        lambda: services.membership_add(
            actor=world["anders"],
            group=world["malmo_group"],
            person=world["malmo_police_person"],
            confidence="possible",
            source="tips",
            valid_from=date(2024, 1, 1),
            last_confirmed=date(2024, 5, 1),
            review_due=date(2024, 5, 1),
        )
    )
    assert errors == {"review_due": ["The review date must come after the last confirmation."]}


DUPLICATE_CASE_NUMBER = "An incident with this police case number is already registered."


def test_a_duplicate_police_case_number_is_refused_with_a_clear_message(world: dict[str, Any]) -> None:
    petra, taken = world["petra"], world["malmo_incident"].police_case_number
    when = timezone.now() - timedelta(days=1)
    errors = errors_of(
        lambda: services.incident_create(
            actor=petra, kind="shooting", occurred_at=when, place="Bergsgatan 3", police_case_number=f" {taken} "
        )
    )
    assert errors == {"police_case_number": [DUPLICATE_CASE_NUMBER]}

    other = services.incident_create(
        actor=petra, kind="shooting", occurred_at=when, place="Bergsgatan 3", police_case_number="5000-K1-77"
    )
    errors = errors_of(
        lambda: services.incident_update(actor=petra, incident=other, version=other.version, police_case_number=taken)
    )
    assert errors == {"police_case_number": [DUPLICATE_CASE_NUMBER]}
    # Another police area numbers its own cases: the same number is free there.
    services.incident_create(
        actor=world["olle"], kind="shooting", occurred_at=when, place="Vivalla centrum", police_case_number=taken
    )


def test_an_incident_in_the_future_is_refused(world: dict[str, Any]) -> None:
    petra, incident = world["petra"], world["malmo_incident"]
    tomorrow = timezone.now() + timedelta(days=1)
    future = "The incident cannot be in the future."
    assert errors_of(
        lambda: services.incident_create(actor=petra, kind="shooting", occurred_at=tomorrow, place="Ystadvägen 2")
    ) == {"occurred_at": [future]}
    assert errors_of(
        lambda: services.incident_update(actor=petra, incident=incident, version=incident.version, occurred_at=tomorrow)
    ) == {"occurred_at": [future]}


def test_a_person_the_actor_may_not_see_is_refused_like_one_that_does_not_exist(world: dict[str, Any]) -> None:
    """The municipality's record of a person must not show through, not even as a different error."""
    anders = world["anders"]
    municipality_person = world["malmo_social_person"]
    nonexistent = Person(pk=(Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000)

    def add_membership(person: Person) -> Callable[[], Any]:
        return lambda: services.membership_add(
            actor=anders,
            group=world["malmo_group"],
            person=person,
            confidence="possible",
            source="tips",
            valid_from=date(2024, 1, 1),
        )

    hidden = errors_of(add_membership(municipality_person))
    missing = errors_of(add_membership(nonexistent))
    assert hidden == missing == {"person": ["Choose persons from your agency's own records."]}
    assert not GroupMembership.objects.filter(person=municipality_person).exists()

    involve = errors_of(
        lambda: services.involvement_add(
            actor=anders, incident=world["malmo_incident"], person=municipality_person, role="witness"
        )
    )
    assert involve == errors_of(
        lambda: services.involvement_add(
            actor=anders, incident=world["malmo_incident"], person=nonexistent, role="witness"
        )
    )


def test_another_agencys_group_is_refused_like_one_that_does_not_exist(world: dict[str, Any]) -> None:
    anders = world["anders"]
    nonexistent = Group(pk=world["orebro_group"].pk + 100_000)

    def relate(other: Group) -> Callable[[], Any]:
        return lambda: services.relation_add(
            actor=anders, group=world["malmo_group"], other_group=other, kind="conflict", valid_from=date(2024, 1, 1)
        )

    assert errors_of(relate(world["orebro_group"])) == errors_of(relate(nonexistent))
    assert errors_of(relate(world["orebro_group"])) == {"other_group": ["Choose groups from your agency's map."]}


def test_a_group_name_is_unique_per_agency(world: dict[str, Any]) -> None:
    petra = world["petra"]
    taken = "Your agency already has a group with this name."
    assert errors_of(lambda: services.group_create(actor=petra, name="Grupp Falken")) == {"name": [taken]}
    assert errors_of(lambda: services.group_create(actor=petra, name="  grupp falken ")) == {"name": [taken]}
    vargen = world["malmo_other_group"]
    assert errors_of(
        lambda: services.group_update(actor=petra, group=vargen, version=vargen.version, name="Grupp Falken")
    ) == {"name": [taken]}
    # Keeping one's own name is no clash; another agency may use the name.
    services.group_update(actor=petra, group=vargen, version=vargen.version, name="Grupp Vargen", notes="oförändrat")
    assert services.group_create(actor=world["olle"], name="Grupp Falken").owner_agency_id == world["olle"].agency_id


# --------------------------------------------------------------------------------------------------
# Nobody outside the police may call a mapping service


def mapping_service_calls(world: dict[str, Any], actor: Staff) -> dict[str, Callable[[], Any]]:
    group, other_group = world["malmo_group"], world["malmo_other_group"]
    membership, relation = world["malmo_membership"], world["malmo_relation"]
    incident, involvement = world["malmo_incident"], world["malmo_involvement"]
    today = timezone.localdate()
    return {
        "group_create": lambda: services.group_create(actor=actor, name="Grupp Obehörig"),
        "group_update": lambda: services.group_update(actor=actor, group=group, version=group.version, notes="x"),
        "membership_add": lambda: services.membership_add(
            actor=actor,
            group=group,
            person=world["malmo_police_person"],
            confidence="possible",
            source="x",
            valid_from=today,
        ),
        "membership_update": lambda: services.membership_update(
            actor=actor, membership=membership, version=membership.version, source="x"
        ),
        "membership_reconfirm": lambda: services.membership_reconfirm(actor=actor, membership=membership),
        "relation_add": lambda: services.relation_add(
            actor=actor, group=group, other_group=other_group, kind="conflict", valid_from=today
        ),
        "relation_update": lambda: services.relation_update(
            actor=actor, relation=relation, version=relation.version, notes="x"
        ),
        "incident_create": lambda: services.incident_create(
            actor=actor, kind="shooting", occurred_at=timezone.now(), place="x"
        ),
        "incident_update": lambda: services.incident_update(
            actor=actor, incident=incident, version=incident.version, notes="x"
        ),
        "involvement_add": lambda: services.involvement_add(
            actor=actor, incident=incident, person=world["malmo_police_person"], role="witness"
        ),
        "involvement_remove": lambda: services.involvement_remove(actor=actor, involvement=involvement),
    }


def map_snapshot() -> tuple[Any, ...]:
    return (
        list(Group.objects.order_by("pk").values_list("pk", "version")),
        list(GroupMembership.objects.order_by("pk").values_list("pk", "version")),
        list(GroupRelation.objects.order_by("pk").values_list("pk", "version")),
        list(Incident.objects.order_by("pk").values_list("pk", "version")),
        list(IncidentInvolvement.objects.order_by("pk").values_list("pk", flat=True)),
    )


def calls_that_got_through(calls: dict[str, Callable[[], Any]]) -> list[str]:
    """The services that did not answer 404 (each refusal happens before anything is written)."""
    through = []
    for name, call in calls.items():
        try:
            call()
        except Http404:
            continue
        through.append(name)
    return through


@pytest.mark.parametrize("persona", NOT_POLICE)
def test_no_one_outside_the_police_can_call_a_mapping_service(persona: str, world: dict[str, Any]) -> None:
    before = map_snapshot()
    assert calls_that_got_through(mapping_service_calls(world, world[persona])) == []
    assert map_snapshot() == before


def test_another_police_area_cannot_touch_malmos_map(world: dict[str, Any]) -> None:
    calls = mapping_service_calls(world, world["olle"])
    # Creating in one's own agency is allowed (see the name-uniqueness test); Malmö's records are not there.
    del calls["group_create"], calls["incident_create"]
    before = map_snapshot()
    assert calls_that_got_through(calls) == []
    assert map_snapshot() == before
