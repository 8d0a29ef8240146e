"""Call-ins, invitations and custom notifications over the API: the same policy, services and audit as the
pages.

The permission matrix runs every route for every persona (tests/interventions/matrix_api.py); here: the
partial serializers return exactly the declared fields, Karin reaches only her clients' invitations, edits
never overwrite each other (428 / 412) and a double submit changes nothing, the consent gate over a
referral from a call-in, letters, counts, bad input answered with 400 and the field (never 500), audit
events, and lists whose query count does not grow with the data.
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
from cases.models import Share
from gvi import access
from gvi.api import MAX_ID
from gvi.audit.models import AuditAction, AuditEvent
from interventions import services
from interventions.models import CallIn, CallInInvitation, CustomNotification, Speaker
from outreach.models import Referral
from outreach.services.referrals import gate_message
from tests.conftest import api_list_counts

ClientFor = Callable[[str], Client]
JSON = "application/json"
QUERY_LIMIT = 15  # DESIGN.md: every API list runs a bounded number of queries
SCHEDULE_FIELDS = set(access.partial_fields(CallIn, "view_schedule"))
CLIENT_FIELDS = set(access.partial_fields(CallInInvitation, "view_client"))
PLAN_FIELDS = set(access.partial_fields(CustomNotification, "view_plan"))


@pytest.fixture
def as_user(as_api_user: ClientFor) -> ClientFor:
    return as_api_user


def send(client: Client, method: str, url: str, data: Any = None, **headers: str) -> Any:
    return getattr(client, method)(
        url, data=json.dumps(data if data is not None else {}), content_type=JSON, headers=headers
    )


def etag_of(record: Any) -> str:
    return f'"{record.pk}-{record.version}"'


def fresh[M](record: M) -> M:
    return type(record)._default_manager.get(pk=record.pk)  # type: ignore[attr-defined]


def _helped(world: dict[str, Any]) -> CallInInvitation:
    found = CallInInvitation.objects.filter(call_in=world["malmo_callin_past"], asked_for_help=True).first()
    assert found is not None
    return found


# --------------------------------------------------------------------------------------------------
# The partial views: exactly the declared fields


def test_schedule_holders_get_exactly_the_schedule_fields(world: dict[str, Any], as_user: ClientFor) -> None:
    for name in ("sara", "erik", "karin"):
        client = as_user(name)
        response = client.get("/api/call-ins/")
        assert response.status_code == 200
        rows = response.json()["results"]
        assert {row["id"] for row in rows} >= {world["malmo_callin"].pk, world["malmo_callin_past"].pk}
        assert all(set(row) == SCHEDULE_FIELDS for row in rows)
        detail = client.get(f"/api/call-ins/{world['malmo_callin'].pk}/")
        assert detail.status_code == 200
        assert set(detail.json()) == SCHEDULE_FIELDS
        assert "groups" not in detail.json()
        assert "notes" not in detail.json()
        # The agenda, the invitations and the counts are the police's.
        for tail in ("speakers/", "counts/"):
            assert client.get(f"/api/call-ins/{world['malmo_callin'].pk}/{tail}").status_code == 404


def test_the_police_get_the_call_in_in_full_with_an_etag(world: dict[str, Any], as_user: ClientFor) -> None:
    call_in = world["malmo_callin"]
    response = as_user("anders").get(f"/api/call-ins/{call_in.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == etag_of(call_in)
    data = response.json()
    assert set(data["groups"]) == set(call_in.groups.values_list("pk", flat=True))
    assert data["place"] == call_in.place
    listed = as_user("petra").get("/api/call-ins/?when=upcoming").json()["results"]
    assert [row["id"] for row in listed] == [call_in.pk]


def test_deliverers_get_exactly_the_plan_never_the_risk_assessment(world: dict[str, Any], as_user: ClientFor) -> None:
    sara = as_user("sara")
    rows = sara.get("/api/custom-notifications/").json()["results"]
    assert {row["id"] for row in rows} == {world["malmo_notification"].pk, world["malmo_notification_done"].pk}
    for row in rows:
        assert set(row) == PLAN_FIELDS
    detail = sara.get(f"/api/custom-notifications/{world['malmo_notification'].pk}/")
    assert detail.status_code == 200
    data = detail.json()
    assert set(data) == PLAN_FIELDS
    for secret in ("risk_outcome", "risk_reasoning", "reason", "person"):
        assert secret not in data
    assert {d["id"] for d in data["deliverers"]} == {world["petra"].pk, world["sara"].pk}
    # The police see it all.
    full = as_user("petra").get(f"/api/custom-notifications/{world['malmo_notification'].pk}/").json()
    assert full["risk_outcome"] == "with_care"
    assert full["reason"]
    assert full["person"]
    # Karin delivered the other one only; Erik none.
    karin_rows = as_user("karin").get("/api/custom-notifications/").json()["results"]
    assert [row["id"] for row in karin_rows] == [world["malmo_notification_done"].pk]
    assert as_user("erik").get("/api/custom-notifications/").json()["results"] == []
    assert as_user("karin").get(f"/api/custom-notifications/{world['malmo_notification'].pk}/").status_code == 404


def test_karin_reaches_only_her_clients_invitations(world: dict[str, Any], as_user: ClientFor) -> None:
    karin = world["karin"]
    mine = set(CallInInvitation.objects.filter(probation_officer=karin).values_list("pk", flat=True))
    assert world["malmo_invitation"].pk in mine
    client = as_user("karin")
    response = client.get("/api/invitations/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["id"] for row in rows} == mine
    assert all(set(row) == CLIENT_FIELDS for row in rows)
    detail = client.get(f"/api/invitations/{world['malmo_invitation'].pk}/")
    assert set(detail.json()) == CLIENT_FIELDS
    assert "person" not in detail.json()
    other = CallInInvitation.objects.exclude(pk__in=mine).first()
    assert other is not None
    assert client.get(f"/api/invitations/{other.pk}/").status_code == 404
    # Filtered by call-in: the past one has none of hers unless Adam was invited to it.
    past = client.get(f"/api/invitations/?call_in={world['malmo_callin_past'].pk}").json()["results"]
    assert {row["id"] for row in past} == mine & set(
        CallInInvitation.objects.filter(call_in=world["malmo_callin_past"]).values_list("pk", flat=True)
    )


def test_the_police_see_the_invitations_with_supervision(world: dict[str, Any], as_user: ClientFor) -> None:
    call_in = world["malmo_callin"]
    rows = as_user("petra").get(f"/api/invitations/?call_in={call_in.pk}").json()["results"]
    assert [row["id"] for row in rows] == [world["malmo_invitation"].pk]
    row = rows[0]
    assert row["person"] == world["malmo_invitation"].person_id
    # Adam's probation section is shared with the police: his supervision shows.
    assert row["supervision"] is not None
    assert row["supervision"]["supervision_type"]
    # Who the probation officer is lies outside the shared summary: the police are not told.
    assert "probation_officer" not in row


def test_karin_confirms_her_clients_attendance(world: dict[str, Any], as_user: ClientFor) -> None:
    invitation = world["malmo_invitation"]
    url = f"/api/invitations/{invitation.pk}/confirm/"
    assert send(as_user("petra"), "post", url, **{"If-Match": etag_of(invitation)}).status_code == 404
    assert send(as_user("karin"), "post", url).status_code == 428
    response = send(as_user("karin"), "post", url, **{"If-Match": etag_of(invitation)})
    assert response.status_code == 200, response.content
    assert set(response.json()) == CLIENT_FIELDS
    assert response.json()["status"] == "confirmed"
    # The same submit again: stale.
    again = send(as_user("karin"), "post", url, **{"If-Match": etag_of(invitation)})
    assert again.status_code == 412
    # With the new ETag it is refused with the reason.
    refused = send(as_user("karin"), "post", url, **{"If-Match": response["ETag"]})
    assert refused.status_code == 400


# --------------------------------------------------------------------------------------------------
# Concurrency: 428 without If-Match, 412 when stale, nothing changed


def test_call_in_edit_needs_a_current_etag(world: dict[str, Any], as_user: ClientFor) -> None:
    call_in = world["malmo_callin"]
    url = f"/api/call-ins/{call_in.pk}/"
    client = as_user("petra")
    assert send(client, "patch", url, {"place": "Ny plats"}).status_code == 428
    assert send(client, "patch", url, {"place": "Ny plats"}, **{"If-Match": '"1-999"'}).status_code == 412
    assert fresh(call_in).place == call_in.place
    response = send(client, "patch", url, {"place": "Ny plats", "notes": "Flyttat."}, **{"If-Match": etag_of(call_in)})
    assert response.status_code == 200, response.content
    assert response["ETag"] == etag_of(fresh(call_in))
    assert fresh(call_in).place == "Ny plats"
    # The one who read before the change loses, and is told so.
    stale = send(client, "patch", url, {"place": "Gammal"}, **{"If-Match": etag_of(call_in)})
    assert stale.status_code == 412
    assert fresh(call_in).place == "Ny plats"


def test_status_held_before_the_date_is_refused(world: dict[str, Any], as_user: ClientFor) -> None:
    call_in = world["malmo_callin"]
    url = f"/api/call-ins/{call_in.pk}/status/"
    response = send(as_user("petra"), "post", url, {"status": "held"}, **{"If-Match": etag_of(call_in)})
    assert response.status_code == 400
    assert "status" in response.json()
    assert (
        send(as_user("petra"), "post", url, {"status": "planned"}, **{"If-Match": etag_of(call_in)}).status_code == 400
    )
    assert fresh(call_in).status == CallIn.Status.PLANNED
    done = send(as_user("petra"), "post", url, {"status": "cancelled"}, **{"If-Match": etag_of(call_in)})
    assert done.status_code == 200
    assert done.json()["status"] == "cancelled"
    # A double submit: 412 with the old ETag, 400 with the new one; nothing changes.
    assert (
        send(as_user("petra"), "post", url, {"status": "cancelled"}, **{"If-Match": etag_of(call_in)}).status_code
        == 412
    )
    again = send(as_user("petra"), "post", url, {"status": "cancelled"}, **{"If-Match": done["ETag"]})
    assert again.status_code == 400


def test_notification_transitions_refuse_double_submits_and_illegal_steps(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    notification = world["malmo_notification_new"]
    base = f"/api/custom-notifications/{notification.pk}"
    petra = as_user("petra")
    body = {"risk_outcome": "proceed", "risk_reasoning": "Inga hinder."}
    assert send(petra, "post", f"{base}/assess/", body).status_code == 428
    # Illegal: an outcome before the plan.
    illegal = send(petra, "post", f"{base}/outcome/", {"outcome": "delivered"}, **{"If-Match": etag_of(notification)})
    assert illegal.status_code == 400
    assert "non_field_errors" in illegal.json()
    assert fresh(notification).status == CustomNotification.Status.REQUESTED
    # The analyst may request but not assess.
    assert (
        send(as_user("anders"), "post", f"{base}/assess/", body, **{"If-Match": etag_of(notification)}).status_code
        == 404
    )
    first = send(petra, "post", f"{base}/assess/", body, **{"If-Match": etag_of(notification)})
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "assessed"
    after = fresh(notification)
    # The same submit again: stale ETag → 412; with the current one, the step is over → 400.
    assert send(petra, "post", f"{base}/assess/", body, **{"If-Match": etag_of(notification)}).status_code == 412
    again = send(petra, "post", f"{base}/assess/", body, **{"If-Match": first["ETag"]})
    assert again.status_code == 400
    assert fresh(notification).version == after.version
    # Plan, then Sara records the outcome (she delivers it) and sees the plan only.
    plan = {
        "deliverers": [world["petra"].pk, world["sara"].pk],
        "place": "street",
        "message_points": "Våldet måste upphöra.",
    }
    planned = send(petra, "post", f"{base}/plan/", plan, **{"If-Match": first["ETag"]})
    assert planned.status_code == 200, planned.content
    outcome = send(
        as_user("sara"), "post", f"{base}/outcome/", {"outcome": "delivered"}, **{"If-Match": planned["ETag"]}
    )
    assert outcome.status_code == 200, outcome.content
    assert set(outcome.json()) == PLAN_FIELDS
    assert outcome.json()["first_contact_at"] is not None
    follow = {"help_offered": True, "help_accepted": True, "follow_up_note": "Vill träffa avhopparteamet."}
    closed = send(as_user("sara"), "post", f"{base}/follow-up/", follow, **{"If-Match": outcome["ETag"]})
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed"
    full = petra.get(f"{base}/").json()
    assert full["hours_to_contact"] is not None
    # Cancelling a closed one is an illegal step.
    assert send(petra, "post", f"{base}/cancel/", **{"If-Match": closed["ETag"]}).status_code == 400


def test_a_notification_is_requested_for_an_own_record(world: dict[str, Any], as_user: ClientFor) -> None:
    person = world["malmo_police_person"]
    body = {"person": person.pk, "reason": "Hotad i sociala medier."}
    assert send(as_user("sara"), "post", "/api/custom-notifications/", body).status_code == 404
    response = send(as_user("anders"), "post", "/api/custom-notifications/", body)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "requested"
    assert response["ETag"]
    hidden = send(
        as_user("anders"), "post", "/api/custom-notifications/", {**body, "person": world["malmo_social_person"].pk}
    )
    assert hidden.status_code == 400
    assert "person" in hidden.json()


# --------------------------------------------------------------------------------------------------
# The consent gate over a referral from a call-in


@pytest.mark.parametrize(
    ("extra", "field"),
    [({}, "legal_basis"), ({"legal_basis": ""}, "legal_basis"), ({"legal_basis": "consent"}, "consent")],
)
def test_refer_goes_through_the_consent_gate(
    extra: dict[str, Any], field: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    invitation = _helped(world)
    body = {
        "receiving_agency": world["sara"].agency_id,
        "receiving_team": world["sara"].team_id,
        "reason": "Bad om hjälp.",
    }
    counts = (Referral.objects.count(), Share.objects.count())
    url = f"/api/invitations/{invitation.pk}/refer/"
    response = send(as_user("petra"), "post", url, {**body, **extra}, **{"If-Match": etag_of(invitation)})
    assert response.status_code == 400, response.content
    assert response.json()[field] == [gate_message()]
    assert (Referral.objects.count(), Share.objects.count()) == counts
    assert fresh(invitation).referral_id is None
    assert fresh(invitation).version == invitation.version


def test_refer_on_a_legal_basis_links_the_referral(world: dict[str, Any], as_user: ClientFor) -> None:
    invitation = _helped(world)
    body = {"receiving_agency": world["sara"].agency_id, "reason": "Bad om hjälp.", "legal_basis": "osl_10_2"}
    url = f"/api/invitations/{invitation.pk}/refer/"
    response = send(as_user("petra"), "post", url, body, **{"If-Match": etag_of(invitation)})
    assert response.status_code == 200, response.content
    referral = Referral.objects.get(pk=response.json()["referral"])
    assert referral.share is not None
    assert referral.share.legal_basis == "osl_10_2"
    assert referral.share.receiving_agency_id == world["sara"].agency_id
    # Referred once only.
    again = send(as_user("petra"), "post", url, body, **{"If-Match": response["ETag"]})
    assert again.status_code == 400
    # Someone else's consent reads like a missing one.
    other = send(
        as_user("petra"),
        "post",
        f"/api/invitations/{world['malmo_invitation'].pk}/refer/",
        {**body, "legal_basis": "consent", "consent": MAX_ID},
        **{"If-Match": etag_of(world["malmo_invitation"])},
    )
    assert other.status_code == 400
    assert "consent" in other.json()


# --------------------------------------------------------------------------------------------------
# Speakers, inviting, attendance, counts, letters


def test_speakers_are_listed_added_and_removed(world: dict[str, Any], as_user: ClientFor) -> None:
    call_in = world["malmo_callin"]
    petra = as_user("petra")
    rows = petra.get(f"/api/call-ins/{call_in.pk}/speakers/").json()["results"]
    assert {row["segment"] for row in rows} == {"enforcement", "community", "help"}
    assert "Leila Haddad" in {row["name"] for row in rows}
    both = {"segment": "help", "staff": world["sara"].pk, "name": "Någon"}
    assert send(petra, "post", f"/api/call-ins/{call_in.pk}/speakers/", both).status_code == 400
    foreign = {"segment": "help", "staff": world["nils"].pk}
    assert "staff" in send(petra, "post", f"/api/call-ins/{call_in.pk}/speakers/", foreign).json()
    added = send(petra, "post", f"/api/call-ins/{call_in.pk}/speakers/", {"segment": "community", "name": "Åke Ödman"})
    assert added.status_code == 201, added.content
    speaker_id = added.json()["id"]
    assert send(as_user("anders"), "delete", f"/api/speakers/{speaker_id}/").status_code == 404
    assert send(petra, "delete", f"/api/speakers/{speaker_id}/").status_code == 204
    assert not Speaker.objects.filter(pk=speaker_id).exists()


def test_invite_members_of_the_target_groups_only(world: dict[str, Any], as_user: ClientFor) -> None:
    call_in = world["malmo_callin"]
    invited = set(CallInInvitation.objects.filter(call_in=call_in).values_list("person_id", flat=True))
    candidate = next(p for p in services.invitation_candidates(world["petra"], call_in) if p.pk not in invited)
    outsider = case_services.person_create(
        actor=world["petra"], given_name="Utan", family_name="Grupp", birth_year=2003
    )
    url = f"/api/call-ins/{call_in.pk}/invite/"
    refused = send(as_user("petra"), "post", url, {"persons": [outsider.pk]})
    assert refused.status_code == 400
    assert "persons" in refused.json()
    hidden = send(as_user("petra"), "post", url, {"persons": [world["malmo_social_person"].pk]})
    assert hidden.status_code == 400
    assert "persons" in hidden.json()
    response = send(as_user("petra"), "post", url, {"persons": [candidate.pk]})
    assert response.status_code == 201, response.content
    assert [row["person"] for row in response.json()] == [candidate.pk]
    assert send(as_user("anders"), "post", url, {"persons": [candidate.pk]}).status_code == 404


def test_attendance_and_counts(world: dict[str, Any], as_user: ClientFor) -> None:
    past = world["malmo_callin_past"]
    petra = as_user("petra")
    counts = petra.get(f"/api/call-ins/{past.pk}/counts/").json()
    assert counts == {"invited": 6, "confirmed": 0, "attended": 4, "left_early": 1, "absent": 1, "came": 5}
    absent = CallInInvitation.objects.get(call_in=past, status="absent")
    url = f"/api/call-ins/{past.pk}/attendance/"
    assert send(petra, "post", url, {str(absent.pk): "attended"}).status_code == 428
    response = send(petra, "post", url, {str(absent.pk): "attended"}, **{"If-Match": etag_of(past)})
    assert response.status_code == 200, response.content
    assert response.json()["changed"] == 1
    assert response.json()["came"] == 6
    assert as_user("lena").get(f"/api/call-ins/{past.pk}/counts/").status_code == 404


def test_the_letter_is_a_pdf_and_its_printing_audited(world: dict[str, Any], as_user: ClientFor) -> None:
    invitation = world["malmo_invitation"]
    url = f"/api/invitations/{invitation.pk}/letter/"
    assert as_user("anders").get(url).status_code == 404
    assert as_user("karin").get(url).status_code == 404
    response = as_user("petra").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(
        actor_id=world["petra"].pk, action=AuditAction.PRINT, object_id=str(invitation.pk)
    ).exists()
    assert fresh(invitation).letter_printed_at is not None


def test_lists_and_reads_are_audited(world: dict[str, Any], as_user: ClientFor) -> None:
    petra = world["petra"]
    rows = as_user("petra").get("/api/call-ins/").json()["results"]
    event = AuditEvent.objects.filter(actor_id=petra.pk, action=AuditAction.LIST).order_by("-id").first()
    assert event is not None
    assert set(event.object_ids) == {str(row["id"]) for row in rows}
    notification = world["malmo_notification"]
    as_user("sara").get(f"/api/custom-notifications/{notification.pk}/")
    assert AuditEvent.objects.filter(
        actor_id=world["sara"].pk, action=AuditAction.VIEW, object_id=str(notification.pk)
    ).exists()


# --------------------------------------------------------------------------------------------------
# Bad input: 400 with the field, never 500

UNICODE_DIGITS = "١٢"  # Arabic-Indic digits, which int() accepts


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"starts_at": "0001-01-01T10:00:00", "place": "X"}, "starts_at"),
        ({"starts_at": "9999-12-31T23:59:59", "place": "X"}, "starts_at"),
        ({"starts_at": "10000-01-01T00:00:00", "place": "X"}, "starts_at"),
        ({"starts_at": "2031-02-30T10:00:00", "place": "X"}, "starts_at"),
        ({"place": ""}, "place"),
        ({"groups": [MAX_ID + 1]}, "groups"),
        ({"groups": [UNICODE_DIGITS]}, "groups"),
        ({"groups": ["²"]}, "groups"),
        ({"groups": [0]}, "groups"),
        ({"groups": []}, "groups"),
        ({"groups": "1"}, "groups"),
        ({"place": "x" * 201}, "place"),
    ],
)
def test_bad_call_in_input_is_a_400(
    body: dict[str, Any], field: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    data = {
        "starts_at": (timezone.now() + timedelta(days=5)).isoformat(),
        "place": "Stadshuset",
        "groups": [world["malmo_group"].pk],
    }
    count = CallIn.objects.count()
    response = send(as_user("petra"), "post", "/api/call-ins/", {**data, **body})
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert CallIn.objects.count() == count


def test_a_hidden_group_reads_like_a_missing_one(world: dict[str, Any], as_user: ClientFor) -> None:
    from gvi.mapping.models import Group

    foreign = Group.objects.exclude(owner_agency_id=world["petra"].agency_id).first()
    assert foreign is not None
    body = {"starts_at": (timezone.now() + timedelta(days=5)).isoformat(), "place": "X", "groups": [foreign.pk]}
    hidden = send(as_user("petra"), "post", "/api/call-ins/", body).json()
    missing = send(as_user("petra"), "post", "/api/call-ins/", {**body, "groups": [MAX_ID]}).json()
    assert hidden == missing
    assert "groups" in hidden


@pytest.mark.parametrize(
    "body",
    [
        {},
        {str(MAX_ID + 1): "attended"},
        {"99999999999999999999999": "attended"},
        {UNICODE_DIGITS: "attended"},
        {"-1": "attended"},
        {"abc": "attended"},
        {"PAST": "maybe"},
        {"PAST": "confirmed"},
        {"PAST": None},
        {"UPCOMING": "attended"},
    ],
)
def test_bad_attendance_is_a_400_and_changes_nothing(
    body: dict[str, Any], world: dict[str, Any], as_user: ClientFor
) -> None:
    past = world["malmo_callin_past"]
    mine = CallInInvitation.objects.filter(call_in=past).order_by("id").first()
    assert mine is not None
    body = {
        str(mine.pk) if key == "PAST" else str(world["malmo_invitation"].pk) if key == "UPCOMING" else key: value
        for key, value in body.items()
    }
    before = list(CallInInvitation.objects.order_by("id").values_list("status", "version"))
    response = send(
        as_user("petra"), "post", f"/api/call-ins/{past.pk}/attendance/", body, **{"If-Match": etag_of(past)}
    )
    assert response.status_code == 400, response.content
    assert list(CallInInvitation.objects.order_by("id").values_list("status", "version")) == before


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/invitations/{invitation}/", {"status": "bogus"}, "status"),
        ("/api/invitations/{invitation}/", {"status": "attended"}, "status"),
        ("/api/invitations/{invitation}/help/", {"asked_for_help": "maybe"}, "asked_for_help"),
        ("/api/invitations/{invitation}/help/", {"asked_for_help": True, "help_note": "x" * 2001}, "help_note"),
        ("/api/invitations/{invitation}/refer/", {"receiving_agency": MAX_ID + 1, "reason": "x"}, "receiving_agency"),
        (
            "/api/invitations/{invitation}/refer/",
            {"receiving_agency": UNICODE_DIGITS, "reason": "x"},
            "receiving_agency",
        ),
        ("/api/call-ins/{call_in}/", {"starts_at": "0001-01-01T00:00:00Z"}, "starts_at"),
        ("/api/call-ins/{call_in}/", {"groups": [MAX_ID + 1]}, "groups"),
        ("/api/call-ins/{call_in}/status/", {"status": "postponed"}, "status"),
        ("/api/notifications_new/assess/", {"risk_outcome": "bogus", "risk_reasoning": "x"}, "risk_outcome"),
        ("/api/notifications_new/assess/", {"risk_outcome": "proceed", "risk_reasoning": "   "}, "risk_reasoning"),
        ("/api/notifications_planned/outcome/", {"outcome": "vanished"}, "outcome"),
        (
            "/api/notifications_planned/outcome/",
            {"outcome": "delivered", "outcome_at": "0001-01-01T00:00"},
            "outcome_at",
        ),
        ("/api/notifications_planned/outcome/", {"outcome": "delivered", "outcome_at": "10000-01-01"}, "outcome_at"),
        (
            "/api/notifications_planned/outcome/",
            {"outcome": "delivered", "outcome_at": "2999-01-01T00:00:00Z"},
            "outcome_at",
        ),
    ],
)
def test_bad_changes_are_a_400_and_change_nothing(
    url: str, body: dict[str, Any], field: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    targets = {
        "{invitation}": world["malmo_invitation"],
        "{call_in}": world["malmo_callin"],
        "/api/notifications_new": world["malmo_notification_new"],
        "/api/notifications_planned": world["malmo_notification"],
    }
    target = next(record for key, record in targets.items() if key in url)
    url = (
        url.replace("{invitation}", str(target.pk))
        .replace("{call_in}", str(target.pk))
        .replace("/api/notifications_new", f"/api/custom-notifications/{target.pk}")
        .replace("/api/notifications_planned", f"/api/custom-notifications/{target.pk}")
    )
    method = "patch" if url.endswith(f"/{target.pk}/") else "post"
    response = send(as_user("petra"), method, url, body, **{"If-Match": etag_of(target)})
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert fresh(target).version == target.version


@pytest.mark.parametrize(
    "body",
    [
        {"deliverers": [MAX_ID + 1], "place": "home", "message_points": "x"},
        {"deliverers": [UNICODE_DIGITS], "place": "home", "message_points": "x"},
        {"deliverers": ["NILS"], "place": "home", "message_points": "x"},
        {"deliverers": ["SARA"], "place": "home", "message_points": "x"},
        {"deliverers": ["PETRA", "SARA"], "place": "moon", "message_points": "x"},
        {"deliverers": ["PETRA", "SARA"], "place": "home", "message_points": "x", "planned_for": "0001-01-01T00:00"},
        {"deliverers": ["PETRA", "SARA"], "place": "home", "message_points": ""},
    ],
)
def test_bad_plans_are_a_400(body: dict[str, Any], world: dict[str, Any], as_user: ClientFor) -> None:
    notification = world["malmo_notification_new"]
    notification = services.notification_assess(
        actor=world["petra"],
        notification=notification,
        version=notification.version,
        risk_outcome="proceed",
        risk_reasoning="Ok.",
    )
    names = {"NILS": world["nils"].pk, "SARA": world["sara"].pk, "PETRA": world["petra"].pk}
    body = {**body, "deliverers": [names.get(d, d) for d in body["deliverers"]]}
    url = f"/api/custom-notifications/{notification.pk}/plan/"
    response = send(as_user("petra"), "post", url, body, **{"If-Match": etag_of(notification)})
    assert response.status_code == 400, response.content
    assert fresh(notification).status == CustomNotification.Status.ASSESSED


@pytest.mark.parametrize(
    "url",
    [
        "/api/call-ins/?when=tomorrow",
        "/api/call-ins/?sort=bogus",
        "/api/call-ins/?status=postponed",
        f"/api/invitations/?call_in={UNICODE_DIGITS}",
        f"/api/invitations/?call_in={MAX_ID + 1}",
        "/api/invitations/?status=bogus",
        "/api/custom-notifications/?status=bogus",
        "/api/custom-notifications/?sort=risk",
    ],
)
def test_bad_filters_are_a_400(url: str, world: dict[str, Any], as_user: ClientFor) -> None:
    assert as_user("petra").get(url).status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/api/call-ins/{huge}/",
        "/api/call-ins/{huge}/counts/",
        "/api/call-ins/{huge}/speakers/",
        "/api/invitations/{huge}/",
        "/api/invitations/{huge}/letter/",
        "/api/custom-notifications/{huge}/",
    ],
)
def test_huge_ids_in_urls_are_a_404(path: str, world: dict[str, Any], as_user: ClientFor) -> None:
    for huge in (str(MAX_ID + 1), "9" * 40):
        assert as_user("petra").get(path.format(huge=huge)).status_code == 404
    assert send(as_user("petra"), "delete", f"/api/speakers/{'9' * 40}/").status_code == 404
    url = f"/api/custom-notifications/{'9' * 40}/assess/"
    assert send(as_user("petra"), "post", url, {}, **{"If-Match": '"1-1"'}).status_code == 404


def test_bad_request_bodies_are_a_400(world: dict[str, Any], as_user: ClientFor) -> None:
    person = world["malmo_police_person"]
    for body in (
        {"person": "²", "reason": "x"},
        {"person": MAX_ID + 1, "reason": "x"},
        {"person": person.pk, "reason": ""},
    ):
        response = send(as_user("petra"), "post", "/api/custom-notifications/", body)
        assert response.status_code == 400, response.content
    speakers = f"/api/call-ins/{world['malmo_callin'].pk}/speakers/"
    for body in ({"segment": "opening", "name": "X"}, {"segment": "help"}, {"segment": "help", "staff": MAX_ID + 1}):
        assert send(as_user("petra"), "post", speakers, body).status_code == 400
    invite = f"/api/call-ins/{world['malmo_callin'].pk}/invite/"
    for body in ({"persons": []}, {"persons": [MAX_ID + 1]}, {"persons": [UNICODE_DIGITS]}, {"persons": "1"}):
        assert send(as_user("petra"), "post", invite, body).status_code == 400
    # Not JSON at all.
    raw = as_user("petra").post("/api/call-ins/", data="{not json", content_type=JSON)
    assert raw.status_code == 400


# --------------------------------------------------------------------------------------------------
# Query counts do not grow with the data


def _more_call_ins(world: dict[str, Any], count: int) -> None:
    petra = world["petra"]
    groups = list(world["malmo_callin"].groups.all())
    adam = world["malmo_police_person"]
    start = world["malmo_callin"].starts_at
    for i in range(count):
        call_in = services.call_in_create(
            actor=petra, starts_at=start + timedelta(minutes=10 * (i + 1)), place=f"Lokal {i}", groups=groups
        )
        services.invitations_create(actor=petra, call_in=call_in, persons=[adam])


def _more_notifications(world: dict[str, Any], count: int) -> None:
    petra, sara = world["petra"], world["sara"]
    for i in range(count):
        notification = services.notification_request(
            actor=petra, person=world["malmo_police_person"], reason=f"Skäl {i}"
        )
        notification = services.notification_assess(
            actor=petra,
            notification=notification,
            version=notification.version,
            risk_outcome="proceed",
            risk_reasoning="Ok.",
        )
        services.notification_plan(
            actor=petra,
            notification=notification,
            version=notification.version,
            deliverers=[petra, sara],
            place="home",
            message_points="Hjälp finns.",
        )


LISTS = [
    ("petra", "/api/call-ins/?page_size=100"),
    ("sara", "/api/call-ins/?page_size=100"),
    ("petra", "/api/invitations/?page_size=100"),
    ("karin", "/api/invitations/?page_size=100"),
    ("petra", "/api/custom-notifications/?page_size=100"),
    ("sara", "/api/custom-notifications/?page_size=100"),
]


def _counts(world: dict[str, Any], as_user: ClientFor) -> dict[str, tuple[int, int]]:
    return api_list_counts(as_user, LISTS, QUERY_LIMIT)


def test_list_queries_do_not_grow_with_the_data(world: dict[str, Any], as_user: ClientFor) -> None:
    _more_call_ins(world, 5)
    _more_notifications(world, 5)
    few = _counts(world, as_user)
    _more_call_ins(world, 45)
    _more_notifications(world, 45)
    many = _counts(world, as_user)
    for key, (queries, shown) in few.items():
        assert many[key][1] >= shown + 45, key
        assert many[key][0] == queries, (key, queries, many[key][0])
