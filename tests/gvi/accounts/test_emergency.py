"""Emergency access (nödåtkomst): Sara of the exit team opens the field team's record of a person for a while,
with a stated reason; nobody reaches another agency's or another program's records; the auditor hears of it.

Personas: Sara (social worker, exit team), Malin (social worker, field team; demo staff), Erik (exit
coordinator, sees the whole municipality), Petra (police coordinator), Karin (probation officer), Lena
(program lead), Olof (auditor), Ada (admin), Nils (social worker, Örebro, which allows no emergency access).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Person
from gvi import access
from gvi.accounts import emergency
from gvi.accounts.models import EmergencyAccess, Program
from gvi.audit.models import AuditAction, AuditEvent
from gvi.notifications.models import Notification
from outreach.models import ExitCase
from outreach.services import exit_case_open
from tests.conftest import max_queries

REASON = "Akut hot mot personen, behöver kontaktuppgifter nu"
OPEN_URL = reverse("accounts:emergency-open")
NO_SUCH_RECORD = "No record you may open in an emergency has that number."


def person_url(person: Any) -> str:
    return reverse("cases:person-detail", kwargs={"pk": person.pk})


def open_record(client: Client, label: str, pk: int, reason: str = REASON) -> Any:
    return client.post(OPEN_URL, {"object_type": label, "object_id": pk, "reason": reason})


def emergency_events(world: dict[str, Any], persona: str) -> Any:
    return AuditEvent.objects.filter(actor_id=world[persona].pk, action=AuditAction.EMERGENCY)


def test_every_emergency_kind_has_a_page() -> None:
    assert set(emergency.RECORD_PAGES) == access.EMERGENCY_MODELS


def test_social_worker_opens_another_teams_record_for_its_time_then_it_is_gone(
    world: dict[str, Any], as_user: Callable[[str], Client]
) -> None:
    sara, person = as_user("sara"), world["malmo_field_team_person"]
    assert sara.get(person_url(person)).status_code == 404
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        response = open_record(sara, "cases.person", person.pk)
        assert response.status_code == 302
        assert response["Location"] == person_url(person)
        assert sara.get(person_url(person)).status_code == 200
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert sara.get(person_url(person)).status_code == 200
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert sara.get(person_url(person)).status_code == 404
        assert not access.can(world["sara"], "view", person)


def test_emergency_access_without_a_reason_is_refused(world: dict[str, Any], as_user: Callable[[str], Client]) -> None:
    sara, person = as_user("sara"), world["malmo_field_team_person"]
    for reason in ("", "   ", "akut"):
        response = open_record(sara, "cases.person", person.pk, reason=reason)
        assert response.status_code == 200
        assert response.context["form"].errors["reason"]
    assert not EmergencyAccess.objects.filter(user=world["sara"]).exists()
    assert not emergency_events(world, "sara").exists()
    assert sara.get(person_url(person)).status_code == 404


def test_service_refuses_a_blank_reason(world: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        emergency.emergency_access_open(
            actor=world["sara"], object_type="cases.person", object_id=world["malmo_field_team_person"].pk, reason=" "
        )
    assert "reason" in refused.value.message_dict


def test_the_audit_event_and_the_auditors_notification_are_written_once(
    world: dict[str, Any], as_user: Callable[[str], Client]
) -> None:
    sara, person = as_user("sara"), world["malmo_field_team_person"]
    open_record(sara, "cases.person", person.pk)
    # Asking again while the access is open goes to the record: no second access, event or notification.
    assert open_record(sara, "cases.person", person.pk, reason="Igen, samma akuta läge").status_code == 302
    (event,) = emergency_events(world, "sara")
    assert (event.object_type, event.object_id, event.purpose) == ("cases.person", str(person.pk), REASON)
    (opened,) = EmergencyAccess.objects.filter(user=world["sara"])
    assert (opened.object_type, opened.object_id, opened.reason) == ("cases.person", person.pk, REASON)
    assert opened.expires_at - opened.opened_at == timedelta(minutes=30)
    (notice,) = Notification.objects.filter(key__startswith="emergency-access:")
    assert notice.recipient == world["olof"]
    # The notification names no one: not the person, not the record, not the user.
    for name in (person.given_name, person.family_name, str(person.pk), "Sara", "sara"):
        assert name not in notice.title
        assert name not in notice.url
    assert notice.url == reverse("audit:log-review-check", kwargs={"kind": "emergency"})


def test_record_views_during_emergency_access_are_audited_as_usual(
    world: dict[str, Any], as_user: Callable[[str], Client]
) -> None:
    sara, section = as_user("sara"), world["malmo_field_team_section"]
    section_url = reverse("cases:section-detail", kwargs={"kind": "social", "pk": section.pk})
    assert open_record(sara, "cases.socialsection", section.pk)["Location"] == section_url
    before = AuditEvent.objects.filter(actor_id=world["sara"].pk, action=AuditAction.VIEW).count()
    response = sara.get(section_url)
    assert response.status_code == 200
    # The journal follows the opened section.
    assert "Träffad på fritidsgården." in response.content.decode()
    views = AuditEvent.objects.filter(actor_id=world["sara"].pk, action=AuditAction.VIEW).order_by("-id")
    assert views.count() == before + 1
    assert (views[0].object_type, views[0].object_id) == ("cases.socialsection", str(section.pk))


def test_emergency_access_is_view_only(world: dict[str, Any], as_user: Callable[[str], Client]) -> None:
    sara, person = as_user("sara"), world["malmo_field_team_person"]
    open_record(sara, "cases.person", person.pk)
    assert access.can(world["sara"], "view", person)
    assert not access.can(world["sara"], "change", person)
    assert sara.get(reverse("cases:person-edit", kwargs={"pk": person.pk})).status_code == 404


@pytest.mark.parametrize(
    ("label", "subject"),
    [
        ("cases.policesection", "malmo_police_section"),
        ("cases.policesection", "malmo_shared_police_section"),
        ("cases.person", "malmo_police_person"),
        ("cases.probationsection", "malmo_probation_section"),
        ("cases.person", "malmo_probation_person"),
    ],
)
def test_social_worker_can_never_open_police_or_probation_records(
    world: dict[str, Any], as_user: Callable[[str], Client], label: str, subject: str
) -> None:
    sara = as_user("sara")
    refused = open_record(sara, label, world[subject].pk)
    missing = open_record(sara, label, 987654321)
    assert refused.status_code == missing.status_code == 200
    assert refused.context["form"].errors == missing.context["form"].errors == {"object_id": [NO_SUCH_RECORD]}
    assert not EmergencyAccess.objects.exists()
    assert not emergency_events(world, "sara").exists()
    denial = AuditEvent.objects.filter(actor_id=world["sara"].pk, action=AuditAction.DENY).latest("id")
    assert denial.detail == {"requested_action": "emergency"}


@pytest.mark.parametrize(
    ("label", "subject"),
    [
        ("cases.socialsection", "malmo_social_section"),
        ("cases.socialsection", "malmo_field_team_section"),
        ("cases.person", "malmo_social_person"),
        ("cases.probationsection", "malmo_probation_section"),
    ],
)
def test_police_coordinator_can_never_open_social_services_or_probation_records(
    world: dict[str, Any], as_user: Callable[[str], Client], label: str, subject: str
) -> None:
    response = open_record(as_user("petra"), label, world[subject].pk)
    assert response.context["form"].errors == {"object_id": [NO_SUCH_RECORD]}
    assert not EmergencyAccess.objects.exists()


def test_probation_officer_cannot_open_an_exit_case_her_role_never_sees(world: dict[str, Any]) -> None:
    karin = world["karin"]
    assert "outreach.exitcase" not in emergency.emergency_kinds(karin)
    with pytest.raises(ValidationError) as refused:
        emergency.emergency_access_open(
            actor=karin, object_type="outreach.exitcase", object_id=world["malmo_exit_case"].pk, reason=REASON
        )
    assert "object_type" in refused.value.message_dict


def test_orebro_staff_never_reach_malmo_records(world: dict[str, Any], as_user: Callable[[str], Client]) -> None:
    nils = as_user("nils")
    response = nils.get(OPEN_URL)
    assert b'data-testid="emergency-not-allowed"' in response.content
    assert open_record(nils, "cases.person", world["malmo_field_team_person"].pk).status_code == 404
    # Even where Örebro allowed it, a Malmö record reads as missing.
    Program.objects.filter(slug="orebro").update(emergency_access_allowed=True)
    nils = as_user("nils")
    for label, subject in (
        ("cases.person", "malmo_field_team_person"),
        ("cases.socialsection", "malmo_social_section"),
    ):
        response = open_record(nils, label, world[subject].pk)
        assert response.context["form"].errors == {"object_id": [NO_SUCH_RECORD]}
    assert not EmergencyAccess.objects.exists()


@pytest.mark.parametrize("persona", ["lena", "olof", "ada"])
def test_admin_program_lead_and_auditor_get_nothing(
    world: dict[str, Any], as_user: Callable[[str], Client], persona: str
) -> None:
    client = as_user(persona)
    response = client.get(OPEN_URL)
    assert response.status_code == 200
    assert b'data-testid="emergency-no-kinds"' in response.content
    assert b'<form method="post" class="mb-4"' not in response.content
    assert emergency.emergency_kinds(world[persona]) == []
    assert open_record(client, "cases.person", world["malmo_social_person"].pk).status_code == 404
    assert not EmergencyAccess.objects.exists()


def test_a_program_without_emergency_access_refuses(world: dict[str, Any], as_user: Callable[[str], Client]) -> None:
    sara, person = as_user("sara"), world["malmo_field_team_person"]
    open_record(sara, "cases.person", person.pk)
    assert sara.get(person_url(person)).status_code == 200
    Program.objects.filter(slug="malmo").update(emergency_access_allowed=False)
    # Turning it off ends the open accesses at once, and nothing new can be opened.
    assert sara.get(person_url(person)).status_code == 404
    assert b'data-testid="emergency-not-allowed"' in sara.get(OPEN_URL).content
    assert open_record(sara, "cases.person", person.pk).status_code == 404
    assert EmergencyAccess.objects.count() == 1


def test_a_record_already_in_scope_is_just_opened(world: dict[str, Any], as_user: Callable[[str], Client]) -> None:
    erik, person = as_user("erik"), world["malmo_field_team_person"]
    response = open_record(erik, "cases.person", person.pk)
    assert (response.status_code, response["Location"]) == (302, person_url(person))
    assert not EmergencyAccess.objects.exists()
    assert not emergency_events(world, "erik").exists()


def test_my_emergency_accesses_lists_only_my_own_with_expiry(
    world: dict[str, Any], as_user: Callable[[str], Client]
) -> None:
    sara, erik = as_user("sara"), as_user("erik")
    open_record(sara, "cases.person", world["malmo_field_team_person"].pk)
    opened = EmergencyAccess.objects.get(user=world["sara"])
    page = sara.get(reverse("accounts:emergency-list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert REASON in html
    assert timezone.localtime(opened.expires_at).strftime("%Y-%m-%d %H:%M") in html
    assert person_url(world["malmo_field_team_person"]) in html
    assert REASON not in erik.get(reverse("accounts:emergency-list")).content.decode()


# --------------------------------------------------------------------------------------------------
# Query counts


def _open_many(world: dict[str, Any], count: int) -> None:
    now = timezone.now()
    EmergencyAccess.objects.bulk_create(
        EmergencyAccess(
            user=world["sara"],
            program=world["sara"].program,
            object_type="cases.person",
            object_id=world["malmo_field_team_person"].pk,
            reason=f"{REASON} {n}",
            opened_at=now - timedelta(hours=n + 1),
            expires_at=now - timedelta(hours=n),
        )
        for n in range(count)
    )


def test_emergency_pages_run_a_constant_number_of_queries(
    world: dict[str, Any], as_user: Callable[[str], Client]
) -> None:
    sara = as_user("sara")
    counts = {}
    for total in (1, 20):
        _open_many(world, total - EmergencyAccess.objects.count())
        for url in (OPEN_URL, reverse("accounts:emergency-list")):
            sara.get(url)
            with max_queries(10) as captured:
                assert sara.get(url).status_code == 200
            counts[(url, total)] = len(captured.captured_queries)
    assert counts[(OPEN_URL, 1)] == counts[(OPEN_URL, 20)]
    list_url = reverse("accounts:emergency-list")
    assert counts[(list_url, 1)] == counts[(list_url, 20)]


# The person page asks for a lot (sections, parts, shares, exit cases, referrals); the section page less.
RECORD_PAGE_QUERIES = {"cases.person": 30, "cases.socialsection": 20}


@pytest.mark.parametrize(
    ("label", "subject"),
    [("cases.person", "malmo_field_team_person"), ("cases.socialsection", "malmo_field_team_section")],
)
def test_a_record_page_opened_in_an_emergency_costs_no_more_than_the_owners_page(
    world: dict[str, Any], as_user: Callable[[str], Client], label: str, subject: str
) -> None:
    sara, malin = as_user("sara"), as_user("malin")
    record = world[subject]
    url = emergency.record_url(label, record.pk)
    open_record(sara, label, record.pk)
    counts = {}
    for name, client in (("sara", sara), ("malin", malin)):
        client.get(url)
        with max_queries(RECORD_PAGE_QUERIES[label]) as captured:
            assert client.get(url).status_code == 200
        counts[name] = len(captured.captured_queries)
    # No more than the owner's own page (which offers her changes too), and not more with more accesses.
    assert counts["sara"] <= counts["malin"], counts
    _open_many(world, 20)
    with max_queries(counts["sara"]):
        assert sara.get(url).status_code == 200


def test_no_emergency_access_adds_no_query(world: dict[str, Any], as_user: Callable[[str], Client]) -> None:
    """Where the program allows emergency access, the check rides in the same SQL as the grants."""
    sara = as_user("sara")
    url = person_url(world["malmo_social_person"])
    sara.get(url)
    with max_queries(RECORD_PAGE_QUERIES["cases.person"]) as allowed:
        assert sara.get(url).status_code == 200
    Program.objects.filter(slug="malmo").update(emergency_access_allowed=False)
    sara.get(url)
    with max_queries(RECORD_PAGE_QUERIES["cases.person"]) as not_allowed:
        assert sara.get(url).status_code == 200
    assert len(allowed.captured_queries) == len(not_allowed.captured_queries)


def test_person_ids_are_from_the_demo(world: dict[str, Any]) -> None:
    """The out-of-scope records these tests open exist and are another team's."""
    person = world["malmo_field_team_person"]
    assert Person.objects.filter(pk=person.pk, owner_agency_id=world["sara"].agency_id).exists()
    assert not access.can(world["sara"], "view", person)


def test_social_worker_opens_the_field_teams_exit_case(world: dict[str, Any], as_user: Callable[[str], Client]) -> None:
    malin, person = world["malin"], world["malmo_field_team_person"]
    case = ExitCase.objects.filter(person=person, closed_on__isnull=True).first()
    case = case or exit_case_open(actor=malin, person=person, responsible=malin)
    assert case.team_id == malin.team_id
    sara = as_user("sara")
    case_url = reverse("outreach:case-detail", kwargs={"pk": case.pk})
    assert sara.get(case_url).status_code == 404
    assert open_record(sara, "outreach.exitcase", case.pk)["Location"] == case_url
    assert sara.get(case_url).status_code == 200
    assert not access.can(world["sara"], "change", case)
    # Karin's role never views exit cases; Petra's police agency does not own it.
    assert "outreach.exitcase" not in emergency.emergency_kinds(world["karin"])
    assert "outreach.exitcase" not in emergency.emergency_kinds(world["petra"])
