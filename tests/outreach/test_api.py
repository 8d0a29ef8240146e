"""The exit program over the API: the same policy, services and audit as the pages.

The permission matrix runs every route for every persona (tests/outreach/matrix_api.py); here: the consent
gate, the referrer's partial view, the police kept out of contacts, measures and relatives, protected
contact details of relatives, creates per persona, edits that never overwrite each other (412 / 428), bad
input answered with 400 and the field (never 500), audit events, and lists whose query count does not grow
with the data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cases import services as case_services
from cases.models import Person, Share
from gvi import access
from gvi.api import MAX_ID
from gvi.audit.models import AuditAction, AuditEvent
from gvi.demo import PERSONA_NAMES
from gvi.notifications import services as notification_services
from gvi.notifications.models import Notification
from outreach import services
from outreach.models import Contact, ExitCase, Referral, Relative, SupportMeasure
from outreach.services.referrals import gate_message
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]
JSON = "application/json"
QUERY_LIMIT = 15  # DESIGN.md: every API list runs at most 15 queries
STATUS_FIELDS = set(access.partial_fields(Referral, "view_status"))


@pytest.fixture
def as_user(as_api_user: ClientFor) -> ClientFor:
    return as_api_user


def send(client: Client, method: str, url: str, data: Any = None, **headers: str) -> Any:
    return getattr(client, method)(url, data=json.dumps(data or {}), content_type=JSON, headers=headers)


def etag_of(record: Any) -> str:
    return f'"{record.pk}-{record.version}"'


def _police_person(world: dict[str, Any], given_name: str = "Eddie") -> Person:
    return case_services.person_create(
        actor=world["petra"], given_name=given_name, family_name="Testsson", birth_year=2004
    )


# --------------------------------------------------------------------------------------------------
# The consent gate


def _referral_body(world: dict[str, Any], person: Person, **extra: Any) -> dict[str, Any]:
    return {
        "source_person": person.pk,
        "receiving_agency": world["sara"].agency_id,
        "receiving_team": world["sara"].team_id,
        "reason": "Vill lämna gruppen.",
        **extra,
    }


@pytest.mark.parametrize(
    ("extra", "field"),
    [({}, "legal_basis"), ({"legal_basis": ""}, "legal_basis"), ({"legal_basis": "consent"}, "consent")],
)
def test_consent_gate_refuses_a_referral_without_basis(
    extra: dict[str, Any], field: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    person = _police_person(world)
    referrals, shares = Referral.objects.count(), Share.objects.count()
    response = send(as_user("petra"), "post", "/api/referrals/", _referral_body(world, person, **extra))
    assert response.status_code == 400, response.content
    assert response.json()[field] == [gate_message()]
    assert (Referral.objects.count(), Share.objects.count()) == (referrals, shares)


def test_consent_gate_accepts_a_referral_on_consent_and_writes_the_share(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    person = _police_person(world)
    consent = case_services.consent_record(
        actor=world["petra"],
        person=person,
        given_on=timezone.localdate(),
        recipients=[world["sara"].agency],
        subjects=["identity"],
    )
    body = _referral_body(world, person, legal_basis="consent", consent=consent.pk, urgency="high")
    response = send(as_user("petra"), "post", "/api/referrals/", body)
    assert response.status_code == 201, response.content
    data = response.json()
    # The referrer gets the status only.
    assert set(data) == STATUS_FIELDS
    assert data["status"] == "received"
    referral = Referral.objects.get(pk=data["id"])
    assert referral.share is not None
    assert referral.share.consent_id == consent.pk
    assert referral.share.subject == "identity"
    assert referral.share.receiving_agency_id == world["sara"].agency_id
    assert AuditEvent.objects.filter(
        action=AuditAction.SHARE, object_type="outreach.referral", object_id=str(referral.pk), legal_basis="consent"
    ).exists()
    # The receiving exit team sees it in full.
    full = as_user("sara").get(f"/api/referrals/{referral.pk}/").json()
    assert full["reason"] == "Vill lämna gruppen."
    assert full["cross_agency"] is True


def test_a_consent_of_another_person_is_refused(world: dict[str, Any], as_user: ClientFor) -> None:
    person = _police_person(world)
    other = world["malmo_referral"].share.consent
    body = _referral_body(world, person, legal_basis="consent", consent=other.pk)
    response = send(as_user("petra"), "post", "/api/referrals/", body)
    assert response.status_code == 400
    assert "consent" in response.json()


def test_a_self_referral_within_the_municipality_needs_no_basis(world: dict[str, Any], as_user: ClientFor) -> None:
    person = case_services.person_create(actor=world["sara"], given_name="Leo", family_name="Test", birth_year=2005)
    body = _referral_body(world, person, source="self")
    response = send(as_user("sara"), "post", "/api/referrals/", body)
    assert response.status_code == 201, response.content
    assert response.json()["reason"] == "Vill lämna gruppen."  # the receiving side: in full
    assert Referral.objects.get(pk=response.json()["id"]).share is None


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_referral_create_per_persona(persona: str, world: dict[str, Any], as_user: ClientFor) -> None:
    """Any casework role refers; only from its own records (else 400 on source_person); others 404."""
    person = _police_person(world)
    response = send(as_user(persona), "post", "/api/referrals/", _referral_body(world, person, legal_basis="osl_10_2"))
    if persona in ("petra", "anders"):
        assert response.status_code == 201, response.content
    elif persona in ("sara", "erik", "karin", "nils"):
        assert response.status_code == 400
        assert "source_person" in response.json()
    else:
        assert response.status_code == 404


# --------------------------------------------------------------------------------------------------
# The referrer's partial view


@pytest.mark.parametrize(
    ("persona", "subject"),
    [
        ("petra", "malmo_referral"),
        ("anders", "malmo_assessed_referral"),
        ("petra", "malmo_declined_referral"),
        ("karin", "malmo_probation_referral"),
    ],
)
def test_the_referrer_sees_only_the_status(
    persona: str, subject: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    referral = world[subject]
    response = as_user(persona).get(f"/api/referrals/{referral.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == STATUS_FIELDS
    for secret in ("reason", "assessment", "decline_reason", "given_name", "identity_number", "exit_case"):
        assert secret not in data
    assert data["status"] == referral.status
    assert data["receiving_agency"] == world["sara"].agency_id
    assert "ETag" not in response  # nothing the referrer could change


def test_karin_sees_only_her_own_referral(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("karin")
    assert client.get(f"/api/referrals/{world['malmo_referral'].pk}/").status_code == 404
    sent = client.get("/api/referrals/sent/").json()["results"]
    assert [row["id"] for row in sent] == [world["malmo_probation_referral"].pk]
    assert set(sent[0]) == STATUS_FIELDS
    assert client.get("/api/referrals/").status_code == 404


def test_the_receiving_side_sees_the_referral_in_full(world: dict[str, Any], as_user: ClientFor) -> None:
    referral = world["malmo_declined_referral"]
    response = as_user("erik").get(f"/api/referrals/{referral.pk}/")
    assert response.status_code == 200
    assert response.json()["decline_reason"] == "Vill inte delta."
    assert response["ETag"] == etag_of(referral)
    assert AuditEvent.objects.filter(
        actor_id=world["erik"].pk, action=AuditAction.VIEW, object_type="outreach.referral", object_id=str(referral.pk)
    ).exists()


def test_nils_and_maja_see_nothing_of_malmo(world: dict[str, Any], as_user: ClientFor) -> None:
    for persona in ("nils", "maja"):
        client = as_user(persona)
        for subject in ("malmo_referral", "malmo_probation_referral", "malmo_self_referral"):
            assert client.get(f"/api/referrals/{world[subject].pk}/").status_code == 404
        assert client.get(f"/api/exit-cases/{world['malmo_exit_case'].pk}/").status_code == 404
        for route, subject in (("contacts", "malmo_contact"), ("relatives", "malmo_relative")):
            assert client.get(f"/api/{route}/{world[subject].pk}/").status_code == 404
    assert as_user("nils").get("/api/referrals/").json()["results"] == []


# --------------------------------------------------------------------------------------------------
# Handling a referral


def test_assess_decide_and_open_a_case(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("erik")
    referral = world["malmo_probation_referral"]
    url = f"/api/referrals/{referral.pk}"
    assert send(client, "post", f"{url}/assess/", {"assessment": "OK"}).status_code == 428
    response = send(client, "post", f"{url}/assess/", {"assessment": "OK"}, **{"If-Match": etag_of(referral)})
    assert response.status_code == 200, response.content
    etag = response["ETag"]
    stale = send(client, "post", f"{url}/decide/", {"accept": True}, **{"If-Match": etag_of(referral)})
    assert stale.status_code == 412
    bad = send(client, "post", f"{url}/decide/", {"accept": False}, **{"If-Match": etag})
    assert bad.status_code == 400
    assert "decline_reason" in bad.json()
    response = send(client, "post", f"{url}/decide/", {"accept": True}, **{"If-Match": etag})
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    opened = send(
        client, "post", f"{url}/open-case/", {"responsible": world["sara"].pk}, **{"If-Match": response["ETag"]}
    )
    assert opened.status_code == 201, opened.content
    case = ExitCase.objects.get(pk=opened.json()["id"])
    assert case.responsible_id == world["sara"].pk
    assert opened["ETag"] == etag_of(case)
    # Karin follows the status only: the case was opened, nothing of it is shown.
    status = as_user("karin").get(f"{url}/").json()
    assert status == {**status, "status": "opened"}
    assert set(status) == STATUS_FIELDS


def test_open_case_refuses_a_worker_of_another_municipality(world: dict[str, Any], as_user: ClientFor) -> None:
    referral = world["malmo_self_referral"]
    response = send(
        as_user("sara"),
        "post",
        f"/api/referrals/{referral.pk}/open-case/",
        {"responsible": world["nils"].pk},
        **{"If-Match": etag_of(referral)},
    )
    assert response.status_code == 400
    assert "responsible" in response.json()
    assert not ExitCase.objects.filter(referral=referral).exists()


# --------------------------------------------------------------------------------------------------
# Exit cases, the caseload


def test_exit_case_filters(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("erik")

    def ids(**query: Any) -> set[int]:
        response = client.get("/api/exit-cases/", query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    mine = ids(whose="mine")
    assert world["malmo_erik_case"].pk in mine
    assert world["malmo_exit_case"].pk not in mine
    assert world["malmo_field_case"].pk not in ids(whose="team")
    assert world["malmo_exit_case"].pk in ids(overdue="true")
    assert ids(state="closed") == set()
    assert world["malmo_exit_case"].pk not in ids(phase="follow_up")


def test_phase_close_and_reassign(world: dict[str, Any], as_user: ClientFor) -> None:
    case = world["malmo_exit_case"]
    url = f"/api/exit-cases/{case.pk}/"
    sara = as_user("sara")
    assert send(sara, "patch", url, {"phase": "stabilise"}).status_code == 428
    response = send(sara, "patch", url, {"phase": "stabilise"}, **{"If-Match": etag_of(case)})
    assert response.status_code == 200, response.content
    assert response.json()["phase"] == "stabilise"
    assert send(sara, "patch", url, {"phase": "establish"}, **{"If-Match": etag_of(case)}).status_code == 412
    # Only the exit coordinator reassigns.
    body = {"responsible": world["erik"].pk}
    assert send(sara, "post", f"{url}reassign/", body, **{"If-Match": response["ETag"]}).status_code == 404
    erik = as_user("erik")
    moved = send(erik, "post", f"{url}reassign/", body, **{"If-Match": response["ETag"]})
    assert moved.status_code == 200, moved.content
    assert moved.json()["responsible"] == world["erik"].pk
    assert AuditEvent.objects.filter(
        actor_id=world["erik"].pk, object_type="outreach.exitcase", object_id=str(case.pk), purpose="reassign"
    ).exists()
    closed = send(erik, "post", f"{url}close/", {"outcome": "completed"}, **{"If-Match": moved["ETag"]})
    assert closed.status_code == 200
    assert closed.json()["closed_on"] == timezone.localdate().isoformat()
    again = send(erik, "post", f"{url}close/", {"outcome": "completed"}, **{"If-Match": closed["ETag"]})
    assert again.status_code == 400


def test_caseload(world: dict[str, Any], as_user: ClientFor) -> None:
    sara = as_user("sara").get("/api/caseload/").json()
    assert [case["id"] for case in sara["cases"]] == [world["malmo_exit_case"].pk]
    assert sara["open_cases"] == 1
    assert sara["overdue"] == 1
    assert sara["team"] is None
    erik = as_user("erik").get("/api/caseload/").json()
    loads = {row["worker"]: row for row in erik["team"]}
    assert loads[world["sara"].pk]["open_cases"] == 1
    assert loads[world["erik"].pk]["open_cases"] >= 1
    assert as_user("petra").get("/api/caseload/").status_code == 404


# --------------------------------------------------------------------------------------------------
# The rows of a case


@pytest.mark.parametrize("route", ["contacts", "measures", "relatives", "threat-assessments"])
@pytest.mark.parametrize("persona", ["petra", "anders"])
def test_the_police_get_404_on_the_rows_of_a_case(
    route: str, persona: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    subject = {
        "contacts": "malmo_contact",
        "measures": "malmo_measure",
        "relatives": "malmo_relative",
        "threat-assessments": "malmo_threat",
    }[route]
    client = as_user(persona)
    assert client.get(f"/api/{route}/{world[subject].pk}/").status_code == 404
    assert client.get(f"/api/{route}/", {"exit_case": world["malmo_exit_case"].pk}).status_code == 404
    assert send(client, "post", f"/api/{route}/", {"exit_case": world["malmo_exit_case"].pk}).status_code == 404


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_contact_create_per_persona(persona: str, world: dict[str, Any], as_user: ClientFor) -> None:
    case = world["malmo_exit_case"]
    body = {
        "exit_case": case.pk,
        "note": "Samtal.",
        "channel": "phone",
        "staff": [world["karin"].pk],
        "agencies": [world["karin"].agency_id],
        "follow_up_on": (timezone.localdate() + timedelta(days=7)).isoformat(),
    }
    response = send(as_user(persona), "post", "/api/contacts/", body)
    if persona in ("sara", "erik"):
        assert response.status_code == 201, response.content
        data = response.json()
        assert data["staff"] == [world["karin"].pk]
        assert data["duration_minutes"] == 30
        assert response["ETag"] == etag_of(Contact.objects.get(pk=data["id"]))
        case.refresh_from_db()
        assert case.next_follow_up_on == timezone.localdate() + timedelta(days=7)
    elif persona == "nils":
        # His role logs contacts, but not on Malmö's case: the same answer as for a missing case.
        assert response.status_code == 400
        assert "exit_case" in response.json()
    else:
        assert response.status_code == 404


def test_two_editors_on_one_contact_second_gets_412(world: dict[str, Any], as_user: ClientFor) -> None:
    contact = world["malmo_contact"]
    url = f"/api/contacts/{contact.pk}/"
    sara, erik = as_user("sara"), as_user("erik")
    sara_tag = sara.get(url)["ETag"]
    erik_tag = erik.get(url)["ETag"]
    assert sara_tag == erik_tag == etag_of(contact)
    first = send(sara, "patch", url, {"note": "Saras text."}, **{"If-Match": sara_tag})
    assert first.status_code == 200, first.content
    second = send(erik, "patch", url, {"note": "Eriks text."}, **{"If-Match": erik_tag})
    assert second.status_code == 412
    contact.refresh_from_db()
    assert contact.note == "Saras text."
    # Erik reads it again and retries: nothing is lost.
    retry = send(erik, "patch", url, {"note": "Eriks text."}, **{"If-Match": erik.get(url)["ETag"]})
    assert retry.status_code == 200


@pytest.mark.parametrize(
    ("route", "subject", "body"),
    [
        ("contacts", "malmo_contact", {"note": "x"}),
        ("relatives", "malmo_relative", {"note": "x"}),
        ("measures", "malmo_measure", {"status": "ongoing"}),
        ("exit-cases", "malmo_exit_case", {"phase": "stabilise"}),
    ],
)
def test_an_update_without_if_match_is_428(
    route: str, subject: str, body: dict[str, Any], world: dict[str, Any], as_user: ClientFor
) -> None:
    record = world[subject]
    version = record.version
    response = send(as_user("sara"), "patch", f"/api/{route}/{record.pk}/", body)
    assert response.status_code == 428
    assert type(record).objects.get(pk=record.pk).version == version


def test_threat_assessments_are_never_changed(world: dict[str, Any], as_user: ClientFor) -> None:
    threat = world["malmo_threat"]
    client = as_user("sara")
    url = f"/api/threat-assessments/{threat.pk}/"
    assert send(client, "patch", url, {"summary": "x"}, **{"If-Match": etag_of(threat)}).status_code == 405
    review = (timezone.localdate() + timedelta(days=30)).isoformat()
    body = {"exit_case": threat.exit_case_id, "level": "acute", "summary": "Nytt hot.", "review_on": review}
    assert send(client, "post", "/api/threat-assessments/", body).status_code == 201
    case = ExitCase.objects.get(pk=threat.exit_case_id)
    assert case.threat_review_on is not None
    assert (case.threat_level, case.threat_review_on.isoformat()) == ("acute", review)


def test_protected_relative_contact_details(world: dict[str, Any], as_user: ClientFor) -> None:
    relative = world["malmo_relative"]
    assert relative.protected_identity
    sara = as_user("sara").get(f"/api/relatives/{relative.pk}/").json()
    assert (sara["phone"], sara["contact_hidden"]) == ("070-765 43 21", False)
    erik = as_user("erik").get(f"/api/relatives/{relative.pk}/").json()
    assert (erik["phone"], erik["address"], erik["contact_hidden"]) == (None, None, True)
    listed = as_user("erik").get("/api/relatives/", {"exit_case": relative.exit_case_id}).json()["results"]
    assert [(row["phone"], row["contact_hidden"]) for row in listed if row["id"] == relative.pk] == [(None, True)]
    listed = as_user("sara").get("/api/relatives/", {"exit_case": relative.exit_case_id}).json()["results"]
    assert [row["phone"] for row in listed if row["id"] == relative.pk] == ["070-765 43 21"]


def test_only_the_responsible_worker_changes_protected_contact_details(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    relative = world["malmo_relative"]
    response = send(
        as_user("erik"), "patch", f"/api/relatives/{relative.pk}/", {"phone": "1"}, **{"If-Match": etag_of(relative)}
    )
    assert response.status_code == 400
    assert Relative.objects.get(pk=relative.pk).phone == "070-765 43 21"


def test_a_measure_for_a_relative(world: dict[str, Any], as_user: ClientFor) -> None:
    relative = world["malmo_relative"]
    body = {"exit_case": relative.exit_case_id, "relative": relative.pk, "kind": "crisis", "status": "ongoing"}
    response = send(as_user("sara"), "post", "/api/measures/", body)
    assert response.status_code == 201, response.content
    assert SupportMeasure.objects.get(pk=response.json()["id"]).relative_id == relative.pk
    # Crisis support is for relatives only; a relative of another case is refused.
    alone = send(as_user("sara"), "post", "/api/measures/", {**body, "relative": None})
    assert alone.status_code == 400
    assert "kind" in alone.json()
    other = send(as_user("erik"), "post", "/api/measures/", {**body, "exit_case": world["malmo_erik_case"].pk})
    assert other.status_code == 400
    assert "relative" in other.json()


# --------------------------------------------------------------------------------------------------
# Bad input: 400 with the field, never 500

BAD_POSTS = [
    ("contacts", {"exit_case": MAX_ID + 1, "note": "x"}, "exit_case"),
    ("contacts", {"exit_case": "١٢", "note": "x"}, "exit_case"),
    ("contacts", {"exit_case": "²", "note": "x"}, "exit_case"),
    ("contacts", {"exit_case": True, "note": "x"}, "exit_case"),
    ("contacts", {"exit_case": "CASE", "note": "x", "channel": "fax"}, "channel"),
    ("contacts", {"exit_case": "CASE", "note": "x", "contact_on": "0001-01-01"}, "contact_on"),
    ("contacts", {"exit_case": "CASE", "note": "x", "contact_on": "9999-12-31"}, "contact_on"),
    ("contacts", {"exit_case": "CASE", "note": "x", "contact_on": "2024-02-30"}, "contact_on"),
    ("contacts", {"exit_case": "CASE", "note": "x", "duration_minutes": "٣٠"}, "duration_minutes"),
    ("contacts", {"exit_case": "CASE", "note": "x", "duration_minutes": 10**20}, "duration_minutes"),
    ("contacts", {"exit_case": "CASE", "note": "x", "staff": [MAX_ID]}, "staff"),
    ("contacts", {"exit_case": "CASE", "note": "x", "agencies": ["x"]}, "agencies"),
    ("contacts", {"exit_case": "CASE", "note": " "}, "note"),
    ("contacts", {"exit_case": "CASE", "note": "x" * 2001}, "note"),
    ("relatives", {"exit_case": "CASE", "name": "A", "relation": "cousin"}, "relation"),
    ("relatives", {"exit_case": "CASE", "name": "A", "relation": "parent", "threat_level": "big"}, "threat_level"),
    ("measures", {"exit_case": "CASE", "kind": "teleport"}, "kind"),
    ("measures", {"exit_case": "CASE", "kind": "relocation", "cost": "-1"}, "cost"),
    ("measures", {"exit_case": "CASE", "kind": "relocation", "cost": "1e400"}, "cost"),
    ("measures", {"exit_case": "CASE", "kind": "work", "starts_on": "10000-01-01"}, "starts_on"),
    ("threat-assessments", {"exit_case": "CASE", "level": "high", "summary": "x", "review_on": "x"}, "review_on"),
    ("referrals", {"source_person": MAX_ID + 1, "receiving_agency": 1, "reason": "x"}, "source_person"),
    ("referrals", {"source_person": 1, "receiving_agency": "١", "reason": "x"}, "receiving_agency"),
    ("referrals", {"source_person": "PERSON", "receiving_agency": MAX_ID, "reason": "x"}, "receiving_agency"),
    ("referrals", {"source_person": "PERSON", "receiving_agency": 1, "reason": "x", "urgency": "now"}, "urgency"),
    ("referrals", {"source_person": "PERSON", "receiving_agency": 1, "reason": "x", "legal_basis": "x"}, "legal_basis"),
    (
        "referrals",
        {"source_person": "PERSON", "receiving_agency": 1, "reason": "x", "received_on": "0001-01-01"},
        "received_on",
    ),
]


@pytest.mark.parametrize(("route", "body", "field"), BAD_POSTS)
def test_bad_input_is_a_400_with_the_field(
    route: str, body: dict[str, Any], field: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    persona = "petra" if route == "referrals" else "sara"
    fill = {"CASE": world["malmo_exit_case"].pk, "PERSON": world["malmo_police_person"].pk}
    body = {key: fill.get(value, value) if isinstance(value, str) else value for key, value in body.items()}
    response = send(as_user(persona), "post", f"/api/{route}/", body)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        ("/api/contacts/", {"exit_case": str(MAX_ID + 1)}, "exit_case"),
        ("/api/contacts/", {"exit_case": "١"}, "exit_case"),
        ("/api/measures/", {"exit_case": "-1"}, "exit_case"),
        ("/api/exit-cases/", {"whose": "everyone"}, "whose"),
        ("/api/exit-cases/", {"phase": "done"}, "phase"),
        ("/api/exit-cases/", {"overdue": "maybe"}, "overdue"),
        ("/api/exit-cases/", {"sort": "id"}, "sort"),
        ("/api/referrals/", {"status": "lost"}, "status"),
        ("/api/notifications/", {"unread": "perhaps"}, "unread"),
    ],
)
def test_bad_filters_are_a_400(url: str, query: dict[str, str], field: str, as_user: ClientFor) -> None:
    response = as_user("sara").get(url, query)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    "url",
    [
        f"/api/contacts/{MAX_ID + 1}/",
        f"/api/referrals/{MAX_ID + 1}/",
        f"/api/exit-cases/{10**30}/",
        "/api/relatives/١٢/",
        f"/api/measures/{MAX_ID}/",
    ],
)
def test_huge_or_foreign_ids_in_the_url_are_a_404(url: str, as_user: ClientFor) -> None:
    assert as_user("sara").get(url).status_code == 404


def test_bad_updates_are_a_400(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("sara")
    case = world["malmo_exit_case"]
    tag = {"If-Match": etag_of(case)}
    assert send(client, "patch", f"/api/exit-cases/{case.pk}/", {"phase": "done"}, **tag).status_code == 400
    assert send(client, "post", f"/api/exit-cases/{case.pk}/close/", {"outcome": "won"}, **tag).status_code == 400
    response = send(
        client, "post", f"/api/exit-cases/{case.pk}/close/", {"outcome": "completed", "closed_on": "1900-01-01"}, **tag
    )
    assert response.status_code == 400
    assert "closed_on" in response.json()
    contact = world["malmo_contact"]
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = send(
        client, "patch", f"/api/contacts/{contact.pk}/", {"contact_on": tomorrow}, **{"If-Match": etag_of(contact)}
    )
    assert response.status_code == 400
    assert "contact_on" in response.json()


# --------------------------------------------------------------------------------------------------
# Audit


def test_lists_are_audited_with_the_ids_shown(world: dict[str, Any], as_user: ClientFor) -> None:
    case = world["malmo_exit_case"]
    response = as_user("sara").get("/api/contacts/", {"exit_case": case.pk})
    shown = [row["id"] for row in response.json()["results"]]
    assert len(shown) == Contact.objects.filter(exit_case=case).count()
    event = AuditEvent.objects.filter(actor_id=world["sara"].pk, action=AuditAction.LIST).latest("id")
    assert event.object_type == "outreach.contact"
    assert sorted(event.object_ids) == sorted(str(pk) for pk in shown)


@pytest.mark.parametrize(
    ("route", "subject", "label"),
    [
        ("contacts", "malmo_contact", "outreach.contact"),
        ("measures", "malmo_measure", "outreach.supportmeasure"),
        ("exit-cases", "malmo_exit_case", "outreach.exitcase"),
        ("referrals", "malmo_probation_referral", "outreach.referral"),
    ],
)
def test_a_detail_is_audited_and_so_is_a_denial(
    route: str, subject: str, label: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    pk = str(world[subject].pk)
    assert as_user("petra").get(f"/api/{route}/{pk}/").status_code == 404
    assert AuditEvent.objects.filter(
        actor_id=world["petra"].pk, action=AuditAction.DENY, object_type=label, object_id=pk
    ).exists()
    assert as_user("erik").get(f"/api/{route}/{pk}/").status_code == 200
    assert (
        AuditEvent.objects.filter(
            actor_id=world["erik"].pk, action=AuditAction.VIEW, object_type=label, object_id=pk
        ).count()
        == 1
    )


# --------------------------------------------------------------------------------------------------
# Notifications


def test_notifications_are_ones_own(world: dict[str, Any], as_user: ClientFor) -> None:
    mine = notification_services.notify(recipient=world["sara"], key="t:1", title="Due", url="/outreach/", email=False)
    other = notification_services.notify(recipient=world["sara"], key="t:2", title="Due", url="/outreach/", email=False)
    assert mine is not None
    assert other is not None
    erik = as_user("erik")
    assert erik.get("/api/notifications/").json()["results"] == []
    assert send(erik, "post", f"/api/notifications/{mine.pk}/read/").status_code == 404
    sara = as_user("sara")
    listed = sara.get("/api/notifications/").json()
    assert (listed["count"], listed["unread"]) == (2, 2)
    read = send(sara, "post", f"/api/notifications/{mine.pk}/read/")
    assert read.status_code == 200
    assert read.json()["read"] is True
    assert [row["id"] for row in sara.get("/api/notifications/", {"unread": "true"}).json()["results"]] == [other.pk]
    assert send(sara, "post", "/api/notifications/read-all/").json() == {"marked_read": 1}
    assert not Notification.objects.filter(recipient=world["sara"], read_at__isnull=True).exists()


# --------------------------------------------------------------------------------------------------
# Query counts: the same for 5 and 50 rows


def _add_contacts(world: dict[str, Any], n: int) -> None:
    for _ in range(n):
        services.contact_log(actor=world["sara"], case=world["malmo_exit_case"], note="n", staff=[world["karin"]])


def _add_relatives(world: dict[str, Any], n: int) -> None:
    for i in range(n):
        services.relative_add(
            actor=world["sara"],
            case=world["malmo_exit_case"],
            name=f"R {i}",
            relation="sibling",
            protected_identity=i % 2 == 0,
            phone="1",
        )


def _add_measures(world: dict[str, Any], n: int) -> None:
    for _ in range(n):
        services.measure_add(actor=world["sara"], case=world["malmo_exit_case"], kind="work")


def _add_threats(world: dict[str, Any], n: int) -> None:
    review = timezone.localdate() + timedelta(days=30)
    for _ in range(n):
        services.threat_assess(
            actor=world["sara"], case=world["malmo_exit_case"], level="low", summary="s", review_on=review
        )


def _persons(world: dict[str, Any], owner: str, n: int) -> list[Person]:
    start = Person.objects.count()
    return [
        case_services.person_create(actor=world[owner], given_name=f"P{start + i}", family_name="T", birth_year=2003)
        for i in range(n)
    ]


def _add_cases(world: dict[str, Any], n: int) -> None:
    for person in _persons(world, "sara", n):
        services.exit_case_open(actor=world["sara"], person=person, responsible=world["sara"])


def _add_referrals(world: dict[str, Any], n: int) -> None:
    for person in _persons(world, "petra", n):
        services.referral_create(
            actor=world["petra"],
            source_person=person,
            receiving_agency=world["sara"].agency,
            receiving_team=world["sara"].team,
            reason="r",
            legal_basis="osl_10_2",
        )


def _add_notifications(world: dict[str, Any], n: int) -> None:
    start = Notification.objects.count()
    for i in range(n):
        notification_services.notify(
            recipient=world["erik"], key=f"q:{start + i}", title="t", url="/outreach/", email=False
        )


LISTS: dict[str, tuple[str, str, Callable[[dict[str, Any], int], None]]] = {
    "contacts": ("sara", "/api/contacts/", _add_contacts),
    "relatives": ("erik", "/api/relatives/", _add_relatives),
    "measures": ("sara", "/api/measures/", _add_measures),
    "threats": ("sara", "/api/threat-assessments/", _add_threats),
    "exit-cases": ("erik", "/api/exit-cases/", _add_cases),
    "caseload": ("sara", "/api/caseload/", _add_cases),
    "referrals": ("erik", "/api/referrals/", _add_referrals),
    "referrals-sent": ("anders", "/api/referrals/sent/", _add_referrals),
    "notifications": ("erik", "/api/notifications/", _add_notifications),
}


@pytest.mark.parametrize("name", list(LISTS))
def test_list_queries_do_not_grow_with_the_data(name: str, world: dict[str, Any], as_user: ClientFor) -> None:
    persona, url, add = LISTS[name]
    client = as_user(persona)
    client.get(url)  # warm up: permission ids are cached per process
    counts = []
    for extra in (5, 45):
        add(world, extra)
        with max_queries(QUERY_LIMIT) as captured:
            response = client.get(url, {"page_size": 200})
        assert response.status_code == 200
        data = response.json()
        rows = data["cases"] if name == "caseload" else data["results"]
        assert len(rows) >= extra
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts
