"""The exit program on a person's timeline (outreach/timeline.py) and page (outreach/panels.py): the
municipality's caseworkers see the exit case and its entries; the referring police see the referral's status
on their own record and nothing of the case; other teams and programs see nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.views.timeline import person_timeline_data
from outreach import panels, services
from outreach.models import Contact, SupportMeasure, ThreatAssessment
from outreach.timeline import EXIT, exit_items

Clients = Callable[[str], Client]


def keys_of(model: type[Any], rows: Any) -> set[str]:
    return {f"{model._meta.label_lower}:{row.pk}" for row in rows}


def exit_keys(items: Any) -> set[str]:
    return {item.key for item in items if item.category == EXIT}


def expected_keys(case: Any) -> set[str]:
    return {
        f"outreach.exitcase:{case.pk}:opened",
        *keys_of(Contact, Contact.objects.filter(exit_case=case)),
        *keys_of(ThreatAssessment, ThreatAssessment.objects.filter(exit_case=case)),
        # The person's own measures; a relative's belong to the relative.
        *keys_of(SupportMeasure, SupportMeasure.objects.filter(exit_case=case, relative__isnull=True)),
    }


# --------------------------------------------------------------------------------------------------
# Timeline


def test_saras_timeline_of_the_person_shows_the_exit_items(world: dict[str, Any]) -> None:
    case = world["malmo_exit_case"]
    person, items = person_timeline_data(world["sara"], case.person_id)
    assert person.pk == case.person_id
    assert exit_keys(items) == expected_keys(case)
    assert len([k for k in exit_keys(items) if k.startswith("outreach.contact:")]) == 5
    relative_measures = keys_of(SupportMeasure, SupportMeasure.objects.filter(exit_case=case, relative__isnull=False))
    assert relative_measures
    assert not relative_measures & {item.key for item in items}
    url = reverse("outreach:case-detail", args=[case.pk])
    assert {item.url for item in items if item.category == EXIT} == {url}


def test_the_exit_coordinator_sees_the_items_too(world: dict[str, Any]) -> None:
    case = world["malmo_exit_case"]
    _person, items = person_timeline_data(world["erik"], case.person_id)
    assert exit_keys(items) == expected_keys(case)


def test_petras_timeline_shows_no_exit_items(world: dict[str, Any]) -> None:
    police_record = world["malmo_referral"].source_person
    _person, items = person_timeline_data(world["petra"], police_record.pk)
    assert exit_keys(items) == set()
    # Even handed the municipality's record id, the provider gives the police nothing.
    assert exit_items(world["petra"], [world["malmo_exit_case"].person_id]) == []


def test_others_get_no_exit_items(world: dict[str, Any]) -> None:
    case = world["malmo_exit_case"]
    for who in ("anders", "karin", "lena", "olof", "ada", "nils", "maja", "malin"):
        assert exit_items(world[who], [case.person_id]) == [], who
    # The field team's case is not Sara's.
    field = world["malmo_field_case"]
    assert exit_items(world["sara"], [field.person_id]) == []
    assert exit_keys(exit_items(world["erik"], [field.person_id])) == expected_keys(field)


def test_a_closed_case_shows_its_outcome(world: dict[str, Any]) -> None:
    case = world["malmo_exit_case"]
    services.exit_case_close(actor=world["sara"], case=case, version=case.version, outcome="completed")
    items = exit_items(world["sara"], [case.person_id])
    assert f"outreach.exitcase:{case.pk}:closed" in exit_keys(items)


def test_the_provider_runs_a_fixed_number_of_queries(world: dict[str, Any]) -> None:
    sara, case = world["sara"], world["malmo_exit_case"]

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            exit_items(sara, [case.person_id])
        return len(captured.captured_queries)

    few = count()
    for n in range(4):
        services.contact_log(actor=sara, case=case, note=f"Samtal {n}.")
    services.measure_add(actor=sara, case=case, kind="work")
    assert count() == few
    with CaptureQueriesContext(connection) as captured:
        assert exit_items(world["petra"], [case.person_id]) == []
    assert len(captured.captured_queries) == 0


def test_saras_timeline_page_lists_the_contacts(world: dict[str, Any], as_user: Clients) -> None:
    case = world["malmo_exit_case"]
    response = as_user("sara").get(reverse("cases:person-timeline", args=[case.person_id]))
    assert response.status_code == 200
    html = response.content.decode()
    latest = world["malmo_contact"]
    assert f'data-key="outreach.contact:{latest.pk}"' in html
    assert "Exit program" in html


def test_petras_timeline_page_has_no_exit_items(world: dict[str, Any], as_user: Clients) -> None:
    police_record = world["malmo_referral"].source_person
    response = as_user("petra").get(reverse("cases:person-timeline", args=[police_record.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-key="outreach.' not in html
    for contact in Contact.objects.filter(exit_case=world["malmo_exit_case"]):
        assert contact.note not in html


# --------------------------------------------------------------------------------------------------
# The person page


def test_saras_person_page_shows_the_exit_case(world: dict[str, Any], as_user: Clients) -> None:
    case = world["malmo_exit_case"]
    response = as_user("sara").get(reverse("cases:person-detail", args=[case.person_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="exit-program-heading"' in html
    assert reverse("outreach:case-detail", args=[case.pk]) in html
    assert world["sara"].get_full_name() in html


def test_petras_record_shows_the_referral_status_only(world: dict[str, Any], as_user: Clients) -> None:
    referral, case = world["malmo_referral"], world["malmo_exit_case"]
    response = as_user("petra").get(reverse("cases:person-detail", args=[referral.source_person_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="exit-program-heading"' in html
    assert reverse("outreach:referral-detail", args=[referral.pk]) in html
    assert referral.get_status_display() in html
    assert "/outreach/cases/" not in html
    assert reverse("outreach:case-detail", args=[case.pk]) not in html
    for secret in (referral.reason, referral.assessment, case.responsible.get_full_name()):
        assert secret
        assert secret not in html, secret


def test_the_panel_builder(world: dict[str, Any]) -> None:
    referral, case = world["malmo_referral"], world["malmo_exit_case"]
    sara_panel = panels._person(world["sara"], case.person)
    assert sara_panel is not None
    assert [c.pk for c in sara_panel["cases"]] == [case.pk]
    assert [r.pk for r in sara_panel["referrals"]] == [referral.pk]
    assert sara_panel["may_refer"]

    petra_panel = panels._person(world["petra"], referral.source_person)
    assert petra_panel is not None
    assert petra_panel["cases"] == []
    assert [r.pk for r in petra_panel["referrals"]] == [referral.pk]

    # Roles that neither see cases nor refer get no panel.
    for who in ("lena", "olof", "ada"):
        assert panels._person(world[who], case.person) is None, who
    # Malin (another team) sees the page of no person of Sara's team; given the record, she sees no case.
    malin_panel = panels._person(world["malin"], case.person)
    assert malin_panel is None or malin_panel["cases"] == []


def test_the_caseload_panel(world: dict[str, Any]) -> None:
    sara = panels._caseload(world["sara"])
    assert sara is not None
    assert (sara["open_cases"], sara["overdue"]) == (1, 1)
    erik = panels._caseload(world["erik"])
    assert erik is not None
    assert erik["open_cases"] == 1
    assert erik["new_referrals"] >= 1
    for who in ("petra", "karin", "lena", "olof"):
        assert panels._caseload(world[who]) is None, who
