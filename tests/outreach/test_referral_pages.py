"""Referral pages: the received list, the referrer's status view, the referral form with the consent gate,
and the closed loop received → assessed → accepted → exit case opened, all over pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import Person, Share
from gvi.audit.models import AuditAction, AuditEvent
from outreach import services
from outreach.models import ExitCase, Referral
from outreach.services.referrals import gate_message
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]

# Measured with a warmed-up process, the same for 5 and for 50 referrals: session, user, device, count,
# page rows, list audit event, session save. The detail: the same plus the share, its consent and the
# person link (the full view), or the grant check of the partial view.
LIST_QUERIES = 9
SENT_QUERIES = 9
DETAIL_QUERIES = 11

# What the referrer must never see of the referrals the demo made (reasons, assessments, decline reasons).
HIDDEN_FROM_REFERRER = (
    "Vill lämna Grupp Falken",
    "Motiverad, hög hotbild.",
    "Har själv bett om kontakt",
    "Bokat första samtal.",
    "Anhöriga oroliga.",
    "Vill inte delta.",
    "Frigiven på villkor",
)


def _detail(referral: Referral) -> str:
    return reverse("outreach:referral-detail", args=[referral.pk])


def _new_police_person(world: dict[str, Any], given: str = "Ture", family: str = "Test") -> Person:
    return case_services.person_create(actor=world["petra"], given_name=given, family_name=family, birth_year=2001)


def _referral_form(world: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "receiving_agency": world["sara"].agency_id,
        "receiving_team": world["sara"].team_id,
        "reason": "Wants out of the group after the shooting.",
        "urgency": "high",
        "legal_basis": "",
        "consent": "",
        **changes,
    }


def _shown_ids(user: Any) -> set[str]:
    event = AuditEvent.objects.filter(actor_id=user.pk, action=AuditAction.LIST).order_by("-id").first()
    assert event is not None
    return set(event.object_ids)


# --- The received list ----------------------------------------------------------------------------


def test_received_list_shows_the_municipalitys_referrals_filtered_and_audited(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    client = as_user("sara")
    url = reverse("outreach:referral-list")
    names = ("malmo_referral", "malmo_probation_referral", "malmo_assessed_referral", "malmo_declined_referral")
    all_ids = {str(world[name].pk) for name in (*names, "malmo_self_referral")}
    response = client.get(url)
    assert response.status_code == 200
    assert _shown_ids(world["sara"]) == all_ids
    assert b"Oskar Nyberg" in response.content

    response = client.get(url, {"status": "declined"})
    assert [r.pk for r in response.context["page"].object_list] == [world["malmo_declined_referral"].pk]
    assert _shown_ids(world["sara"]) == {str(world["malmo_declined_referral"].pk)}

    response = client.get(url, {"open": "on"})
    shown = {r.pk for r in response.context["page"].object_list}
    assert shown == {
        world[n].pk for n in ("malmo_probation_referral", "malmo_assessed_referral", "malmo_self_referral")
    }

    # A hand-edited filter or sort is ignored, never an error.
    assert client.get(url, {"status": "nonsense", "sort": "nonsense", "page": "x"}).status_code == 200
    response = client.get(url, {"status": "opened", "open": "on"})
    assert b"No referrals match the filter." in response.content


def test_acute_referrals_stand_out_and_sort_first(world: dict[str, Any], as_user: ClientFor) -> None:
    referral = world["malmo_probation_referral"]
    Referral.objects.filter(pk=referral.pk).update(urgency="acute")
    response = as_user("erik").get(reverse("outreach:referral-list"), {"sort": "urgency"})
    assert response.context["page"].object_list[0].pk == referral.pk
    assert b'class="table-danger"' in response.content
    assert b"Acute: the person is at risk now" in response.content


def test_received_list_is_not_for_the_referrers_and_empty_in_another_program(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    url = reverse("outreach:referral-list")
    for name in ("petra", "anders", "karin", "lena", "olof", "ada", "maja"):
        assert as_user(name).get(url).status_code == 404, name
    response = as_user("nils").get(url)
    assert response.status_code == 200
    assert not response.context["page"].object_list
    assert b"has received no referrals" in response.content


# --- The referrer's status view -------------------------------------------------------------------


def test_referrer_sees_the_status_never_the_reason_assessment_or_decline_reason(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    client = as_user("petra")
    response = client.get(reverse("outreach:referral-sent"))
    assert response.status_code == 200
    content = response.content.decode()
    for status in ("Exit case opened", "Assessed", "Declined"):
        assert status in content
    for text in HIDDEN_FROM_REFERRER:
        assert text not in content, text
    # Nothing of the receiving side: not its record of the person, not the exit case.
    assert reverse("cases:person-detail", args=[world["malmo_social_person"].pk]) not in content
    assert reverse("outreach:case-detail", args=[world["malmo_exit_case"].pk]) not in content
    shown = _shown_ids(world["petra"])
    assert shown == {str(world[n].pk) for n in ("malmo_referral", "malmo_assessed_referral", "malmo_declined_referral")}

    for name in ("malmo_referral", "malmo_assessed_referral", "malmo_declined_referral"):
        response = client.get(_detail(world[name]))
        assert response.status_code == 200
        assert next(t.name for t in response.templates) == "outreach/referral_status.html"
        content = response.content.decode()
        assert world[name].get_status_display() in content
        for text in HIDDEN_FROM_REFERRER:
            assert text not in content, text
        assert "Exit case" not in content or name == "malmo_referral"
        assert reverse("outreach:case-detail", args=[world["malmo_exit_case"].pk]) not in content
        assert set(response.context["status"]) >= {"status", "received_on", "urgency"}
        for hidden in ("reason", "assessment", "decline_reason", "exit_case", "person", "share"):
            assert hidden not in response.context["status"]
        assert "referral" not in response.context


def test_karin_sees_only_her_own_referrals_status(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("karin")
    response = client.get(reverse("outreach:referral-sent"))
    assert {r["id"] for r in response.context["rows"]} == {world["malmo_probation_referral"].pk}
    assert client.get(_detail(world["malmo_probation_referral"])).status_code == 200
    for name in ("malmo_referral", "malmo_assessed_referral", "malmo_declined_referral", "malmo_self_referral"):
        assert client.get(_detail(world[name])).status_code == 404, name
    assert client.get(reverse("outreach:referral-list")).status_code == 404


def test_nils_and_maja_see_nothing_of_malmos_referrals(world: dict[str, Any], as_user: ClientFor) -> None:
    referrals = [world[n] for n in world if n.endswith("referral")]
    assert len(referrals) == 5
    for name in ("nils", "maja"):
        client = as_user(name)
        for referral in referrals:
            assert client.get(_detail(referral)).status_code == 404
    nils = as_user("nils")
    assert not nils.get(reverse("outreach:referral-sent")).context["rows"]
    assert b"have sent no referrals" in nils.get(reverse("outreach:referral-sent")).content
    assert as_user("maja").get(reverse("outreach:referral-sent")).status_code == 404


# --- The referral form and the consent gate -------------------------------------------------------


def test_consent_gate_refuses_a_cross_agency_referral_without_a_basis(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    person = _new_police_person(world)
    url = reverse("outreach:referral-create", args=[person.pk])
    client = as_user("petra")
    page = client.get(url)
    assert page.status_code == 200
    # No consent recorded yet: the page says so and links to recording one.
    assert reverse("cases:consent-create", args=[person.pk]).encode() in page.content
    referrals, shares = Referral.objects.count(), Share.objects.count()

    response = client.post(url, _referral_form(world))
    assert response.status_code == 200
    assert response.context["form"].errors["legal_basis"] == [gate_message()]
    # Everything typed is kept.
    assert b"Wants out of the group after the shooting." in response.content

    response = client.post(url, _referral_form(world, legal_basis="consent"))
    assert response.context["form"].errors["consent"] == [gate_message()]
    assert (Referral.objects.count(), Share.objects.count()) == (referrals, shares)
    assert not Referral.objects.filter(source_person=person).exists()


def test_consent_gate_accepts_a_referral_on_consent_and_writes_the_share(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    person = _new_police_person(world)
    consent = case_services.consent_record(
        actor=world["petra"],
        person=person,
        given_on=timezone.localdate(),
        recipients=[world["sara"].agency],
        subjects=["identity"],
    )
    client = as_user("petra")
    url = reverse("outreach:referral-create", args=[person.pk])
    assert reverse("cases:consent-create", args=[person.pk]).encode() not in client.get(url).content
    response = client.post(url, _referral_form(world, legal_basis="consent", consent=consent.pk))
    referral = Referral.objects.get(source_person=person)
    assert response.status_code == 302
    assert response["Location"] == _detail(referral)
    assert referral.share is not None
    assert referral.share.legal_basis == "consent"
    assert referral.share.consent_id == consent.pk
    assert referral.urgency == "high"
    assert referral.receiving_team_id == world["sara"].team_id
    assert AuditEvent.objects.filter(
        action=AuditAction.SHARE, object_type="outreach.referral", object_id=str(referral.pk), legal_basis="consent"
    ).exists()
    # The referrer lands on the status view; the exit team sees it in full.
    followed = client.get(response["Location"])
    assert next(t.name for t in followed.templates) == "outreach/referral_status.html"
    assert b"Wants out of the group" not in followed.content
    full = as_user("sara").get(_detail(referral))
    assert b"Wants out of the group after the shooting." in full.content
    assert b"Consent of the person" in full.content


def test_a_municipality_records_its_own_referral_without_a_share(world: dict[str, Any], as_user: ClientFor) -> None:
    person = case_services.person_create(actor=world["sara"], given_name="Elsa", family_name="Skola", birth_year=2008)
    client = as_user("sara")
    url = reverse("outreach:referral-create", args=[person.pk])
    page = client.get(url)
    assert "legal_basis" not in page.context["form"].fields
    assert "source" in page.context["form"].fields
    day = timezone.localdate().replace(day=1)
    response = client.post(
        url,
        {
            "receiving_agency": world["sara"].agency_id,
            "receiving_team": world["sara"].team_id,
            "reason": "The school is worried.",
            "urgency": "normal",
            "source": "school",
            "referrer_name": "Rektor Berg, 040-123",
            "received_on": day.isoformat(),
        },
    )
    assert response.status_code == 302
    referral = Referral.objects.get(source_person=person)
    assert (referral.source, referral.referrer_name, referral.received_on) == ("school", "Rektor Berg, 040-123", day)
    assert referral.share_id is None
    # A second open referral of the same person is refused with the service's message, nothing lost.
    again = client.post(url, {**response.wsgi_request.POST.dict(), "reason": "Again."})
    assert again.status_code == 200
    assert b"already has an open referral" in again.content


def test_referral_form_is_for_the_users_own_agencys_record_only(world: dict[str, Any], as_user: ClientFor) -> None:
    for persona, person in (
        ("sara", "malmo_police_person"),
        ("petra", "malmo_social_person"),
        ("karin", "malmo_police_person"),
        ("nils", "malmo_social_person"),
        ("lena", "malmo_police_person"),
    ):
        response = as_user(persona).get(reverse("outreach:referral-create", args=[world[person].pk]))
        assert response.status_code == 404, (persona, person)
    assert as_user("petra").get(reverse("outreach:referral-create", args=[999999])).status_code == 404


def test_a_team_of_another_municipality_or_a_bad_choice_is_a_form_error(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    person = _new_police_person(world)
    url = reverse("outreach:referral-create", args=[person.pk])
    response = as_user("petra").post(url, _referral_form(world, receiving_team=999999, legal_basis="osl_10_2"))
    assert response.status_code == 200
    assert "receiving_team" in response.context["form"].errors
    response = as_user("petra").post(url, _referral_form(world, receiving_agency="x", urgency="nope", reason=""))
    assert set(response.context["form"].errors) >= {"receiving_agency", "urgency", "reason"}
    assert not Referral.objects.filter(source_person=person).exists()


# --- The closed loop ------------------------------------------------------------------------------


def test_the_status_loop_over_pages(world: dict[str, Any], as_user: ClientFor) -> None:
    referral = world["malmo_probation_referral"]
    erik = as_user("erik")
    page = erik.get(_detail(referral))
    assert page.context["assess_form"] is not None
    assert page.context["decide_form"] is not None
    assert page.context["open_form"] is None
    assert b"data-confirm" in page.content

    response = erik.post(
        reverse("outreach:referral-assess", args=[referral.pk]),
        {"assessment": "Motivated; meets the criteria.", "version": referral.version},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.assessment) == ("assessed", "Motivated; meets the criteria.")

    response = erik.post(
        reverse("outreach:referral-decide", args=[referral.pk]), {"decision": "accept", "version": referral.version}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "accepted"
    page = erik.get(_detail(referral))
    assert page.context["open_form"] is not None
    assert page.context["assess_form"] is None

    response = erik.post(
        reverse("outreach:referral-open-case", args=[referral.pk]),
        {"responsible": world["sara"].pk, "version": referral.version},
    )
    case = ExitCase.objects.get(referral=referral)
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach:case-detail", args=[case.pk])
    referral.refresh_from_db()
    assert referral.status == "opened"
    assert case.responsible_id == world["sara"].pk
    page = erik.get(_detail(referral))
    assert reverse("outreach:case-detail", args=[case.pk]).encode() in page.content
    assert not any(page.context[k] for k in ("assess_form", "decide_form", "open_form"))

    # Karin follows along: the status only.
    status = as_user("karin").get(_detail(referral))
    assert b"Exit case opened" in status.content
    assert b"Motivated; meets the criteria." not in status.content
    assert reverse("outreach:case-detail", args=[case.pk]).encode() not in status.content


def test_a_decline_needs_a_reason(world: dict[str, Any], as_user: ClientFor) -> None:
    referral = world["malmo_assessed_referral"]
    client = as_user("sara")
    url = reverse("outreach:referral-decide", args=[referral.pk])
    response = client.post(url, {"decision": "decline", "decline_reason": "  ", "version": referral.version})
    assert response.status_code == 200
    assert response.context["decide_form"].errors["decline_reason"] == ["Say why the referral is declined."]
    referral.refresh_from_db()
    assert referral.status == "assessed"
    response = client.post(url, {"decision": "decline", "decline_reason": "Moved away.", "version": referral.version})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.decline_reason) == ("declined", "Moved away.")
    # The referrer sees that it was declined, not why.
    status = as_user("petra").get(_detail(referral))
    assert b"Declined" in status.content
    assert b"Moved away." not in status.content


def test_a_stale_version_is_a_conflict_and_nothing_is_lost(world: dict[str, Any], as_user: ClientFor) -> None:
    referral = world["malmo_probation_referral"]
    stale = referral.version
    services.referral_assess(actor=world["erik"], referral=referral, version=stale, assessment="Erik's assessment.")
    response = as_user("sara").post(
        reverse("outreach:referral-assess", args=[referral.pk]), {"assessment": "Sara's assessment.", "version": stale}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Someone else changed this referral" in content
    assert "Erik&#x27;s assessment." in content
    assert "Sara&#x27;s assessment." in content
    form = response.context["assess_form"]
    assert form["version"].value() == str(stale + 1)
    referral.refresh_from_db()
    assert referral.assessment == "Erik's assessment."
    # Sent again at the current version, it is saved.
    response = as_user("sara").post(
        reverse("outreach:referral-assess", args=[referral.pk]),
        {"assessment": "Sara's assessment.", "version": stale + 1},
    )
    assert response.status_code == 302


def test_illegal_transitions_get_the_services_message_never_a_500(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("sara")
    declined = world["malmo_declined_referral"]
    response = client.post(
        reverse("outreach:referral-assess", args=[declined.pk]), {"assessment": "Late.", "version": declined.version}
    )
    assert response.status_code == 200
    assert b"cannot be moved to" in response.content
    assessed = world["malmo_assessed_referral"]
    response = client.post(
        reverse("outreach:referral-open-case", args=[assessed.pk]),
        {"responsible": world["sara"].pk, "version": assessed.version},
    )
    assert response.status_code == 200
    assert b"Accept the referral before you open an exit case." in response.content
    assert not ExitCase.objects.filter(referral=assessed).exists()
    # A responsible worker outside the municipality is a form error.
    accepted = world["malmo_self_referral"]
    response = client.post(
        reverse("outreach:referral-open-case", args=[accepted.pk]),
        {"responsible": world["petra"].pk, "version": accepted.version},
    )
    assert "responsible" in response.context["open_form"].errors
    # Bad ids and out of reach: 404.
    for url in (
        reverse("outreach:referral-detail", args=[999999]),
        reverse("outreach:referral-assess", args=[999999]),
        reverse("outreach:referral-decide", args=[999999]),
    ):
        assert client.post(url, {}).status_code in (404, 405)
        assert client.get(url).status_code in (404, 405)
    petra = as_user("petra")
    assert (
        petra.post(reverse("outreach:referral-decide", args=[assessed.pk]), {"decision": "accept"}).status_code == 404
    )
    assert (
        as_user("nils")
        .post(reverse("outreach:referral-assess", args=[assessed.pk]), {"assessment": "x", "version": 1})
        .status_code
        == 404
    )


# --- Query counts ---------------------------------------------------------------------------------


def _refer_many(world: dict[str, Any], count: int) -> None:
    for number in range(count):
        person = _new_police_person(world, given=f"Person{number}", family="Many")
        services.referral_create(
            actor=world["petra"],
            source_person=person,
            receiving_agency=world["sara"].agency,
            receiving_team=world["sara"].team,
            reason="Many.",
            legal_basis="osl_10_2",
        )


@pytest.mark.parametrize(
    ("persona", "route", "limit", "few"),
    [("sara", "outreach:referral-list", LIST_QUERIES, 5), ("petra", "outreach:referral-sent", SENT_QUERIES, 3)],
)
def test_list_pages_run_a_fixed_number_of_queries(
    world: dict[str, Any], as_user: ClientFor, persona: str, route: str, limit: int, few: int
) -> None:
    client = as_user(persona)
    url = reverse(route)
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as before:
        assert len(client.get(url).context["page"].object_list) == few
    _refer_many(world, 47)
    with max_queries(limit) as after:
        assert len(client.get(url).context["page"].object_list) == 50
    assert len(before.captured_queries) == len(after.captured_queries)


@pytest.mark.parametrize(("persona", "subject"), [("sara", "malmo_referral"), ("petra", "malmo_referral")])
def test_detail_page_runs_a_fixed_number_of_queries(
    world: dict[str, Any], as_user: ClientFor, persona: str, subject: str
) -> None:
    client = as_user(persona)
    url = _detail(world[subject])
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    _refer_many(world, 5)
    with max_queries(DETAIL_QUERIES) as after:
        assert client.get(url).status_code == 200
    assert len(before.captured_queries) == len(after.captured_queries)
