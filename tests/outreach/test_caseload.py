"""The caseload dashboard and reassigning exit cases (outreach/views/caseload.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction, AuditEvent
from outreach import selectors, services
from outreach.models import ExitCase
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]

# Measured with a warmed-up process, the same for 5 and for 50 cases. Sara: session, user, device, own
# cases, contacts this month, new referrals, list audit event, session save. Erik adds the load per worker
# (aggregate, contacts, workers) and the municipality's cases (count, page).
SARA_CASELOAD_QUERIES = 10
ERIK_CASELOAD_QUERIES = 15


def caseload_url() -> str:
    return reverse("outreach:caseload")


def reassign_url(case: ExitCase) -> str:
    return reverse("outreach:case-reassign", args=[case.pk])


def open_cases(world: dict[str, Any], worker: str, count: int, *, start: int = 0) -> list[ExitCase]:
    """`count` more open exit cases held by `worker`, each on a new person of her municipality, half of them
    with an overdue follow-up."""
    staff: Staff = world[worker]
    today = timezone.localdate()
    made = []
    for n in range(start, start + count):
        person = case_services.person_create(
            actor=staff, given_name="Testperson", family_name=f"Nummer{n:03d}", birth_year=2004
        )
        case = services.exit_case_open(
            actor=staff, person=person, responsible=staff, opened_on=today - timedelta(days=30)
        )
        services.contact_log(
            actor=staff,
            case=case,
            contact_on=today - timedelta(days=2),
            channel="phone",
            duration_minutes=15,
            note="Kort samtal.",
            follow_up_on=today - timedelta(days=1) if n % 2 else today + timedelta(days=5),
        )
        made.append(case)
    return made


def last_list_event(user: Staff) -> AuditEvent:
    event = AuditEvent.objects.filter(actor_id=user.pk, action=AuditAction.LIST).order_by("-id").first()
    assert event is not None
    return event


# --- The social worker's dashboard -----------------------------------------------------------------


def test_sara_sees_her_own_open_cases_and_the_overdue_follow_up(world: dict[str, Any], as_user: ClientFor) -> None:
    response = as_user("sara").get(caseload_url())
    assert response.status_code == 200
    own = [case.pk for case in response.context["own_cases"]]
    assert own == [world["malmo_exit_case"].pk]
    assert [case.pk for case in response.context["load"].overdue] == [world["malmo_exit_case"].pk]
    html = response.content.decode()
    assert world["malmo_exit_case"].person.full_name in html
    assert 'data-overdue="1"' in html
    assert "Overdue" in html
    assert "1 overdue follow-up" in html
    # Erik's case (she sees it through her team) and the field team's are not on her caseload.
    assert world["malmo_erik_case"].person.full_name not in html
    assert world["malmo_field_case"].person.full_name not in html
    # Each case row links to the case and to its contact form; the new referrals link to the list.
    case_url = reverse("outreach:case-detail", args=[world["malmo_exit_case"].pk])
    assert f'href="{case_url}"' in html
    assert f'href="{case_url}#contact-form"' in html
    assert reverse("outreach:referral-list") in html
    # No coordinator part: no load per worker, no reassign link.
    assert not response.context["may_reassign"]
    assert 'data-testid="team-load"' not in html
    assert "/reassign/" not in html
    # One list event names the cases shown.
    event = last_list_event(world["sara"])
    assert event.object_type == "outreach.exitcase"
    assert event.object_ids == [str(world["malmo_exit_case"].pk)]


def test_contacts_this_month_and_new_referrals_are_counted(world: dict[str, Any], as_user: ClientFor) -> None:
    response = as_user("sara").get(caseload_url())
    load = response.context["load"]
    today = timezone.localdate()
    expected = world["malmo_exit_case"].contact_set.filter(contact_on__gte=today.replace(day=1)).count()
    assert load.contacts_this_month == expected
    received = selectors.referrals_received(world["sara"], status="received").count()
    assert response.context["new_referrals"] == received
    assert f"{expected} contact" in response.content.decode()


def test_overdue_cases_come_first(world: dict[str, Any], as_user: ClientFor) -> None:
    made = open_cases(world, "sara", 4)
    response = as_user("sara").get(caseload_url())
    own = response.context["own_cases"]
    overdue = {case.pk for case in response.context["load"].overdue}
    assert overdue == {world["malmo_exit_case"].pk, made[1].pk, made[3].pk}
    assert {case.pk for case in own[: len(overdue)]} == overdue
    assert len(own) == 5


def test_empty_caseload_offers_the_referrals(world: dict[str, Any], as_user: ClientFor) -> None:
    case = world["malmo_exit_case"]
    services.exit_case_close(actor=world["sara"], case=case, version=case.version, outcome="completed")
    response = as_user("sara").get(caseload_url())
    html = response.content.decode()
    assert response.context["own_cases"] == []
    assert "You hold no open exit case now." in html
    assert reverse("outreach:referral-list") in html


def test_nils_sees_only_orebro(world: dict[str, Any], as_user: ClientFor) -> None:
    response = as_user("nils").get(caseload_url())
    assert [case.pk for case in response.context["own_cases"]] == [world["orebro_exit_case"].pk]
    html = response.content.decode()
    for name in ("malmo_exit_case", "malmo_erik_case", "malmo_field_case"):
        assert world[name].person.full_name not in html


def test_roles_without_exit_cases_get_404(as_user: ClientFor) -> None:
    for persona in ("petra", "anders", "karin", "lena", "olof", "ada", "maja"):
        assert as_user(persona).get(caseload_url()).status_code == 404, persona


# --- The coordinator's view ------------------------------------------------------------------------


def test_erik_sees_the_municipality_load_per_worker(world: dict[str, Any], as_user: ClientFor) -> None:
    response = as_user("erik").get(caseload_url())
    assert response.status_code == 200
    assert response.context["may_reassign"]
    loads = {load.worker.username: load for load in response.context["workers"]}
    assert {"sara", "erik", "malin"} <= set(loads)
    assert "nils" not in loads
    assert (loads["sara"].open_cases, loads["sara"].overdue) == (1, 1)
    assert loads["erik"].open_cases == 1
    assert loads["malin"].open_cases == 1
    # His own caseload is his own case; the municipality's list has all three, each with a reassign link.
    assert [case.pk for case in response.context["own_cases"]] == [world["malmo_erik_case"].pk]
    listed = {case.pk for case in response.context["page"].object_list}
    cases = {world[name].pk for name in ("malmo_exit_case", "malmo_erik_case", "malmo_field_case")}
    assert listed == cases
    html = response.content.decode()
    for pk in cases:
        assert reassign_url(ExitCase.objects.get(pk=pk)) in html
    assert world["orebro_exit_case"].person.full_name not in html
    assert set(last_list_event(world["erik"]).object_ids) == {str(pk) for pk in cases}


def test_erik_filters_the_municipality_cases_by_worker(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("erik")
    response = client.get(caseload_url(), {"worker": world["malin"].pk})
    assert [case.pk for case in response.context["page"].object_list] == [world["malmo_field_case"].pk]
    assert response.context["worker"] == world["malin"]
    assert "Open cases held by Malin Dahl" in response.content.decode()
    # The audit event names what was shown: his own case and the filtered list.
    shown = set(last_list_event(world["erik"]).object_ids)
    assert shown == {str(world["malmo_erik_case"].pk), str(world["malmo_field_case"].pk)}
    # An unknown or foreign worker, or garbage, means all workers.
    for value in (world["nils"].pk, "abc", "99999999999999999999999", ""):
        response = client.get(caseload_url(), {"worker": value})
        assert response.status_code == 200
        assert response.context["worker"] is None
        assert len(response.context["page"].object_list) == 3


def test_caseload_query_count_is_the_same_for_5_and_50_cases(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("sara")
    client.get(caseload_url())  # warm up: permission ids, translations
    open_cases(world, "sara", 4)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(caseload_url()).context["own_cases"]) == 5
    open_cases(world, "sara", 45, start=4)
    with max_queries(SARA_CASELOAD_QUERIES) as many:
        assert len(client.get(caseload_url()).context["own_cases"]) == 50
    assert len(few.captured_queries) == len(many.captured_queries)


def test_coordinator_caseload_query_count_is_the_same_for_5_and_50_cases(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    client = as_user("erik")
    client.get(caseload_url())
    open_cases(world, "malin", 2)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(caseload_url()).context["page"].object_list) == 5
    open_cases(world, "malin", 45, start=2)
    with max_queries(ERIK_CASELOAD_QUERIES) as many:
        response = client.get(caseload_url())
        assert response.context["page"].paginator.count == 50
    assert len(few.captured_queries) == len(many.captured_queries)


# --- Reassigning ------------------------------------------------------------------------------------


def test_erik_reassigns_saras_case_to_malin(world: dict[str, Any], as_user: ClientFor) -> None:
    case, sara, malin = world["malmo_exit_case"], world["sara"], world["malin"]
    client = as_user("erik")
    page = client.get(reassign_url(case))
    assert page.status_code == 200
    choices = {worker.pk for worker in page.context["form"].fields["responsible"].queryset}
    assert malin.pk in choices
    assert world["erik"].pk in choices
    assert sara.pk not in choices  # she holds it already
    assert world["nils"].pk not in choices
    assert "data-confirm" in page.content.decode()

    response = client.post(reassign_url(case), {"responsible": malin.pk, "version": case.version}, follow=True)
    assert response.redirect_chain[-1][0] == caseload_url()
    assert "The case is now held by Malin Dahl." in response.content.decode()
    case.refresh_from_db()
    assert (case.responsible_id, case.team_id) == (malin.pk, malin.team_id)
    # The grants moved: Sara (another team than Malin's) has lost the case, Malin has it, Erik still has it.
    assert not access.can(sara, "view", case)
    assert not access.can(sara, "view_contact", case)
    assert access.can(malin, "view", case)
    assert access.can(malin, "view_contact", case)
    assert access.can(world["erik"], "view", case)
    assert as_user("sara").get(reassign_url(case)).status_code == 404
    sara_page = as_user("sara").get(caseload_url())
    assert sara_page.context["own_cases"] == []
    assert case.pk not in {c.pk for c in selectors.exit_cases(sara)}
    assert case.pk in {c.pk for c in selectors.exit_cases(malin, whose="mine")}
    # The service wrote the audit event, with who had it and who has it now.
    event = AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_type="outreach.exitcase", object_id=str(case.pk), purpose="reassign"
    ).get()
    assert event.actor_id == world["erik"].pk
    assert event.detail["responsible"] == [sara.pk, malin.pk]


def test_reassigning_within_the_team_keeps_the_team_grant(world: dict[str, Any], as_user: ClientFor) -> None:
    case, sara = world["malmo_erik_case"], world["sara"]
    response = as_user("erik").post(reassign_url(case), {"responsible": sara.pk, "version": case.version})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.responsible_id == sara.pk
    assert access.can(sara, "view_contact", case)
    assert access.can(world["erik"], "view", case)  # his team and his agency still hold it


def test_sara_posting_a_reassign_gets_404_and_nothing_changes(world: dict[str, Any], as_user: ClientFor) -> None:
    case, malin = world["malmo_exit_case"], world["malin"]
    events = AuditEvent.objects.filter(purpose="reassign", action=AuditAction.UPDATE).count()
    client = as_user("sara")
    assert client.get(reassign_url(case)).status_code == 404
    assert client.post(reassign_url(case), {"responsible": malin.pk, "version": case.version}).status_code == 404
    fresh = ExitCase.objects.get(pk=case.pk)
    assert (fresh.responsible_id, fresh.version) == (world["sara"].pk, case.version)
    assert access.can(world["sara"], "view", fresh)
    assert AuditEvent.objects.filter(purpose="reassign", action=AuditAction.UPDATE).count() == events
    assert AuditEvent.objects.filter(
        actor_id=world["sara"].pk, action=AuditAction.DENY, object_id=str(case.pk), purpose="reassign"
    ).exists()


def test_other_personas_cannot_reassign(world: dict[str, Any], as_user: ClientFor) -> None:
    case = world["malmo_exit_case"]
    for persona in ("petra", "karin", "lena", "olof", "ada", "nils"):
        client = as_user(persona)
        assert client.get(reassign_url(case)).status_code == 404, persona
        assert (
            client.post(reassign_url(case), {"responsible": world["malin"].pk, "version": case.version}).status_code
            == 404
        )
    # Erik cannot reach another municipality's case either.
    assert as_user("erik").get(reassign_url(world["orebro_exit_case"])).status_code == 404
    assert as_user("erik").get(reverse("outreach:case-reassign", args=[999999])).status_code == 404


def test_a_stale_reassign_shows_the_conflict_and_changes_nothing(world: dict[str, Any], as_user: ClientFor) -> None:
    case, erik, malin = world["malmo_exit_case"], world["erik"], world["malin"]
    read_version = case.version
    # Meanwhile someone moves the case to another phase.
    services.exit_case_update(actor=world["sara"], case=case, version=case.version, phase="stabilise")
    response = as_user("erik").post(reassign_url(case), {"responsible": malin.pk, "version": read_version})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else changed this case while you were choosing." in html
    assert 'data-testid="conflict"' in html
    assert "Stabilise" in html
    fresh = ExitCase.objects.get(pk=case.pk)
    assert fresh.responsible_id == world["sara"].pk
    # The form now carries the current version, with the choice kept: saving again works.
    form = response.context["form"]
    assert int(form["version"].value()) == fresh.version
    assert str(form["responsible"].value()) == str(malin.pk)
    again = as_user("erik").post(reassign_url(case), {"responsible": malin.pk, "version": fresh.version})
    assert again.status_code == 302
    assert ExitCase.objects.get(pk=case.pk).responsible_id == malin.pk
    assert erik.pk != malin.pk


def test_reassign_rejects_a_worker_of_another_municipality(world: dict[str, Any], as_user: ClientFor) -> None:
    case = world["malmo_exit_case"]
    response = as_user("erik").post(reassign_url(case), {"responsible": world["nils"].pk, "version": case.version})
    assert response.status_code == 200
    assert response.context["form"].errors["responsible"]
    assert ExitCase.objects.get(pk=case.pk).responsible_id == world["sara"].pk
