"""Retention (issue 13, "what it must show"): the nightly cull, with frozen time.

Sara, social worker in Malmö, writes in social-services sections; the cull runs as Malmö's system actor. A
section whose last entry is five years and one day old is culled; one exactly five years old, one with a recent
entry and one under a legal hold are not. The cull is audited with the category, the id and the rule, never the
content. Exit cases, lapsed memberships and police sections (by the operator's setting) follow their own rules.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import Http404

from cases.models import Person, SocialNote, SocialSection
from cases.services import persons as person_services
from cases.services import sections as section_services
from gvi import access
from gvi.audit.models import AuditAction, AuditEvent
from gvi.mapping.models import GroupMembership
from gvi.mapping.services import membership_add, membership_reconfirm
from gvi.retention import services
from gvi.retention.models import LegalHold
from outreach.models import ExitCase
from outreach.services.cases import contact_log, exit_case_open

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TODAY = date(2026, 11, 24)
SECRET = "Berättade om hot från Grupp Falken"


def at(day: date) -> Any:
    return time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=STOCKHOLM), tick=False)


def social_section(world: dict[str, Any], written_on: date, name: str) -> SocialSection:
    """A person of Sara's with a social-services section whose last entry is a journal note on `written_on`."""
    sara = world["sara"]
    with at(written_on):
        person = person_services.person_create(actor=sara, given_name=name, family_name="Test", birth_year=2004)
        section = section_services.section_create(actor=sara, person=person, kind="social")
        section_services.note_add(actor=sara, section=section, text=SECRET)
    assert isinstance(section, SocialSection)
    return section


def cull(world: dict[str, Any], day: date = TODAY) -> dict[str, int]:
    with at(day):
        return services.cull_program(world["sara"].program)


def purges(pk: int, label: str = "cases.socialsection") -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.PURGE, object_type=label, object_id=str(pk)))


def test_a_section_five_years_and_a_day_old_is_culled_and_the_cull_is_audited_without_content(
    world: dict[str, Any],
) -> None:
    old = social_section(world, date(2021, 11, 23), "Gammal")
    exactly = social_section(world, date(2021, 11, 24), "Exakt")
    recent = social_section(world, date(2026, 1, 10), "Ny")
    # An old section with a recent note: the note is its last entry.
    touched = social_section(world, date(2020, 3, 1), "Rörd")
    with at(date(2026, 11, 1)):
        section_services.note_add(actor=world["sara"], section=touched, text="Ny kontakt.")

    culled = cull(world)

    assert culled["social_sections"] == 1
    assert not SocialSection.objects.filter(pk=old.pk).exists()
    assert not SocialNote.objects.filter(section_id=old.pk).exists()
    assert set(
        SocialSection.objects.filter(pk__in=[exactly.pk, recent.pk, touched.pk]).values_list("pk", flat=True)
    ) == {
        exactly.pk,
        recent.pk,
        touched.pk,
    }
    [event] = purges(old.pk)
    assert event.actor_username == f"system-{world['sara'].program.slug}"
    assert event.purpose == "retention"
    assert event.detail == {
        "category": "social_sections",
        "rule": {"months": 60, "source": "default", "version": 0},
        "last_entry": "2021-11-23",
    }
    # Never the content: no audit event of the cull carries the note's text or the person's name.
    dumped = json.dumps(
        list(AuditEvent.objects.filter(purpose__in=["retention", "retention cull"]).values()), default=str
    )
    assert SECRET not in dumped
    assert "Gammal" not in dumped
    # Gone from what Sara can see: her lists start from access.visible.
    assert not access.visible(world["sara"], SocialSection).filter(pk=old.pk).exists()


def test_a_section_under_legal_hold_is_kept_until_the_hold_is_lifted(world: dict[str, Any]) -> None:
    held = social_section(world, date(2020, 5, 1), "Hållen")
    sara = world["sara"]
    with at(TODAY):
        hold = services.hold_place(actor=sara, record=held, reason="Pågående domstolsprocess, mål B 123-26.")
    assert cull(world)["social_sections"] == 0
    assert SocialSection.objects.filter(pk=held.pk).exists()
    assert purges(held.pk) == []

    with at(TODAY):
        services.hold_lift(actor=sara, hold=hold, reason="Målet avgjort i tingsrätten.")
    hold.refresh_from_db()
    assert hold.lifted_by == sara
    assert not hold.active
    assert cull(world, TODAY + timedelta(days=1))["social_sections"] == 1
    assert not SocialSection.objects.filter(pk=held.pk).exists()
    # The hold stays, lifted, as the record of it; placing and lifting were audited.
    assert LegalHold.objects.filter(pk=hold.pk).exists()
    actions = list(
        AuditEvent.objects.filter(object_type="retention.legalhold", object_id=str(hold.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [AuditAction.CREATE, AuditAction.UPDATE]


def test_a_hold_needs_a_reason_and_someone_who_keeps_the_record(world: dict[str, Any]) -> None:
    section = social_section(world, date(2020, 5, 1), "Skyddad")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.hold_place(actor=world["sara"], record=section, reason="  kort ")
    assert "reason" in refused.value.message_dict
    for outsider in ("petra", "karin", "lena", "olof", "ada", "nils", "malin"):
        with pytest.raises(Http404):
            services.hold_place(actor=world[outsider], record=section, reason="Jag vill behålla den här.")
    hold = services.hold_place(actor=world["sara"], record=section, reason="Klagomål till IVO pågår.")
    with pytest.raises(ValidationError):
        services.hold_place(actor=world["erik"], record=section, reason="Klagomål till IVO pågår.")
    with pytest.raises(Http404):
        services.hold_lift(actor=world["petra"], hold=hold, reason="Inte min sak men ändå.")
    assert LegalHold.objects.filter(object_id=section.pk, object_type="cases.socialsection").count() == 1


def test_a_journal_with_corrections_is_culled_whole(world: dict[str, Any]) -> None:
    section = social_section(world, date(2020, 1, 10), "Rättad")
    with at(date(2020, 1, 11)):
        first = SocialNote.objects.get(section=section)
        correction = section_services.note_add(actor=world["sara"], section=section, text="Rättelse.", corrects=first)
        section_services.note_add(actor=world["sara"], section=section, text="Rättelse 2.", corrects=correction)
    assert cull(world)["social_sections"] == 1
    assert not SocialNote.objects.filter(section_id=section.pk).exists()


def test_running_twice_culls_nothing_more(world: dict[str, Any]) -> None:
    social_section(world, date(2019, 6, 1), "Två")
    assert cull(world)["social_sections"] == 1
    assert cull(world)["social_sections"] == 0


def test_a_programs_own_rule_and_the_operators_setting_decide(world: dict[str, Any], settings: Any) -> None:
    section = social_section(world, date(2019, 6, 1), "Regel")
    with at(TODAY):
        services.rule_set(actor=world["lena"], category="social_sections", months=120)
    assert cull(world)["social_sections"] == 0
    assert SocialSection.objects.filter(pk=section.pk).exists()

    # Malmö's own rule for police sections (the demo's: 24 months) stands before the operator's setting.
    petra = world["petra"]
    with at(date(2024, 6, 1)):
        person = person_services.person_create(actor=petra, given_name="Polis", family_name="Test", birth_year=2001)
        police = section_services.section_create(actor=petra, person=person, kind="police")
    settings.RETENTION_POLICE_MONTHS = 120
    assert cull(world)["police_sections"] == 1
    [event] = purges(police.pk, "cases.policesection")
    assert event.detail["rule"] == {"months": 24, "source": "program", "version": world["malmo_rule"].version}

    # Without a rule of its own, the operator's setting applies.
    karin = world["karin"]
    with at(date(2025, 6, 1)):
        person = person_services.person_create(actor=karin, given_name="Klient", family_name="Test", birth_year=2001)
        probation = section_services.section_create(
            actor=karin, person=person, kind="probation", probation_officer=karin
        )
    settings.RETENTION_PROBATION_MONTHS = 12
    assert cull(world)["probation_sections"] == 1
    [event] = purges(probation.pk, "cases.probationsection")
    assert event.detail["rule"] == {"months": 12, "source": "default", "version": 0}


def test_a_rule_is_kept_by_the_lead_and_the_administrator_within_the_law(world: dict[str, Any]) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.rule_set(actor=world["lena"], category="social_sections", months=24)
    assert "months" in refused.value.message_dict  # SoL: at least five years
    with pytest.raises(ValidationError) as refused:
        services.rule_set(actor=world["lena"], category="audit_events", months=24)
    assert "category" in refused.value.message_dict  # the trail is never culled by the app
    rule = services.rule_set(actor=world["ada"], category="police_sections", months=24)
    assert (
        services.rule_set(
            actor=world["lena"], category="police_sections", months=30, expected_version=rule.version
        ).months
        == 30
    )
    for name in ("sara", "petra", "olof", "erik", "karin", "nils"):
        with pytest.raises(Http404):
            services.rule_set(actor=world[name], category="police_sections", months=36)


def test_an_exit_case_is_culled_five_years_after_its_last_entry(world: dict[str, Any]) -> None:
    sara = world["sara"]
    cases = {}
    opened = date(2019, 2, 1)
    for name in ("Utgång", "Kvar"):
        with at(opened):
            person = person_services.person_create(actor=sara, given_name=name, family_name="Test", birth_year=2003)
            case = exit_case_open(actor=sara, person=person, responsible=sara, opened_on=opened)
        cases[name] = case
    with at(date(2021, 10, 1)):
        contact_log(actor=sara, case=cases["Utgång"], note="Samtal.", contact_on=date(2021, 10, 1))
    with at(date(2026, 2, 1)):
        contact_log(actor=sara, case=cases["Kvar"], note="Samtal.", contact_on=date(2026, 2, 1))
    assert cull(world)["exit_cases"] == 1
    assert not ExitCase.objects.filter(pk=cases["Utgång"].pk).exists()
    assert ExitCase.objects.filter(pk=cases["Kvar"].pk).exists()
    assert purges(cases["Utgång"].pk, "outreach.exitcase")[0].detail["last_entry"] == "2021-10-01"


def test_a_lapsed_membership_leaves_no_shadow_copy(world: dict[str, Any]) -> None:
    petra, group = world["petra"], world["malmo_group"]
    members = {}
    for name in ("Förfallen", "Bekräftad"):
        with at(date(2024, 1, 10)):
            person = person_services.person_create(actor=petra, given_name=name, family_name="Test", birth_year=2002)
            members[name] = membership_add(
                actor=petra,
                group=group,
                person=person,
                confidence="confirmed",
                source="Spaning",
                valid_from=date(2024, 1, 10),
            )
    with at(date(2025, 1, 5)):
        membership_reconfirm(actor=petra, membership=members["Bekräftad"])
    # Förfallen lapsed on its review date (10 Jan 2025) and is culled three months later; Bekräftad is in force
    # until 5 Jan 2026 and culled on 6 Apr 2026.
    assert cull(world, date(2025, 4, 10))["lapsed_memberships"] == 0
    assert cull(world, date(2025, 4, 11))["lapsed_memberships"] == 1
    assert not GroupMembership.objects.filter(pk=members["Förfallen"].pk).exists()
    assert GroupMembership.objects.filter(pk=members["Bekräftad"].pk).exists()
    assert not access.visible(petra, GroupMembership).filter(pk=members["Förfallen"].pk).exists()


def test_the_preview_lists_what_the_next_run_will_cull(world: dict[str, Any]) -> None:
    old = social_section(world, date(2021, 11, 20), "Snart")
    with at(TODAY):
        mine = list(services.due(world["sara"], services.categories.get("social_sections"), TODAY, action="view"))
        others = list(services.due(world["petra"], services.categories.get("social_sections"), TODAY, action="view"))
    assert old.pk in [record.pk for record in mine]
    assert others == []
    assert Person.objects.filter(given_name="Snart").exists()


@pytest.mark.parametrize(
    ("today", "months", "expected"),
    [
        (date(2026, 11, 24), 60, date(2021, 11, 24)),
        (date(2024, 2, 29), 12, date(2023, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
        (date(2026, 1, 15), 3, date(2025, 10, 15)),
    ],
)
def test_the_rule_counts_calendar_months(today: date, months: int, expected: date) -> None:
    assert services.cutoff(today, months) == expected


def test_who_was_involved_in_an_old_incident_is_culled_and_the_incident_kept(world: dict[str, Any]) -> None:
    from gvi.mapping.models import Incident, IncidentInvolvement
    from gvi.mapping.services import incident_create

    petra = world["petra"]
    incidents = {}
    for name, day in (("Gammal", date(2021, 6, 1)), ("Ny", date(2023, 6, 1))):
        with at(day):
            person = person_services.person_create(actor=petra, given_name=name, family_name="Test", birth_year=1999)
            incidents[name] = incident_create(
                actor=petra,
                involvements=[(person, "victim")],
                kind="shooting",
                occurred_at=datetime(day.year, day.month, day.day, 10, tzinfo=STOCKHOLM),
                place="Rosengård",
            )
    assert cull(world)["incident_involvements"] == 1
    assert not IncidentInvolvement.objects.filter(incident=incidents["Gammal"]).exists()
    assert IncidentInvolvement.objects.filter(incident=incidents["Ny"]).exists()
    assert Incident.objects.filter(pk=incidents["Gammal"].pk).exists()  # the statistics stay
