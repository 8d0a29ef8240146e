"""Person case files over the API: the same policy, services and audit as the pages.

Petra and Anders (police) keep police sections, Sara and Erik (Malmö stad) social ones, Karin (probation)
hers, and Karin shares a probation summary with the police team. The permission matrix runs every route
for every persona (tests/cases/matrix_api.py); here: partial views (a summary, a shared identity, the
sender of a report of concern), contact details of a protected identity, append-only journals, edits that
never overwrite each other, creates per persona, bad input answered with 400 and the field (never 500),
and lists whose query count does not grow with the data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import encode_multipart
from django.utils import timezone

from cases import services
from cases.models import ConcernReport, Consent, Person, PoliceNote, ProbationSection, Share
from gvi import access
from gvi.api import MAX_ID
from gvi.audit.models import AuditAction, AuditEvent
from gvi.demo import PERSONA_NAMES
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]
JSON = "application/json"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%test\n"

# Queries of a list request with 5 and with 50 extra rows (SQLite, warmed-up permission ids): session,
# user, OTP device, the user's team and agency, count, the page rows, what the page prefetches (aliases;
# a consent's recipients and guardians), the list audit event, session save. The same for both sizes.
QUERY_LIMIT = 15  # DESIGN.md: every API list runs at most 15 queries


@pytest.fixture
def as_user(as_api_user: ClientFor) -> ClientFor:
    return as_api_user


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def send(client: Client, method: str, url: str, data: Any = None, **headers: str) -> Any:
    return getattr(client, method)(url, data=json.dumps(data or {}), content_type=JSON, headers=headers)


def etag_of(record: Any) -> str:
    return f'"{record.pk}-{record.version}"'


def last_event(user: Any, action: str) -> AuditEvent:
    return AuditEvent.objects.filter(actor_id=user.pk, action=action).latest("id")


def today() -> Any:
    return timezone.localdate()


def _person(world: dict[str, Any], owner: str, given_name: str) -> Person:
    return Person.objects.get(owner_agency_id=world[owner].agency_id, given_name=given_name)


# --------------------------------------------------------------------------------------------------
# Persons: contact details of a protected identity, a shared identity, aliases, the photo


def test_contact_details_of_a_protected_identity_are_for_the_owning_caseworker_only(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    jonas = _person(world, "sara", "Jonas")
    assert jonas.protected_identity
    services.person_update(actor=world["sara"], person=jonas, version=jonas.version, address="Lönngatan 1")
    url = f"/api/persons/{jonas.pk}/"

    assert as_user("sara").get(url).json()["address"] == "Lönngatan 1"
    erik = as_user("erik")
    read = erik.get(url)
    assert read.status_code == 200
    assert (read.json()["address"], read.json()["phone"], read.json()["email"]) == (None, None, None)
    listed = erik.get("/api/persons/", {"page_size": 200}).json()["results"]
    assert next(p for p in listed if p["id"] == jonas.pk)["address"] is None

    refused = send(erik, "patch", url, {"address": "Ny gata 2", "phone": "070"}, **{"If-Match": read["ETag"]})
    assert refused.status_code == 400
    assert set(refused.json()) == {"address", "phone"}
    # Sending back the null it read changes nothing and is no error.
    saved = send(
        erik, "patch", url, {"address": None, "interpreter_language": "persiska"}, **{"If-Match": read["ETag"]}
    )
    assert saved.status_code == 200, saved.content
    jonas.refresh_from_db()
    assert (jonas.address, jonas.interpreter_language) == ("Lönngatan 1", "persiska")


def test_a_shared_identity_reads_as_the_identity_fields_only(world: dict[str, Any], as_user: ClientFor) -> None:
    adam_at_probation = world["malmo_probation_person"]
    response = as_user("petra").get(f"/api/persons/{adam_at_probation.pk}/")
    assert response.status_code == 200
    assert set(response.json()) == set(access.partial_fields(Person, "view_identity"))
    assert "ETag" not in response
    assert last_event(world["petra"], AuditAction.VIEW).object_id == str(adam_at_probation.pk)
    assert as_user("sara").get(f"/api/persons/{adam_at_probation.pk}/").status_code == 404


def test_the_person_lists_its_aliases(world: dict[str, Any], as_user: ClientFor) -> None:
    body = as_user("sara").get(f"/api/persons/{world['malmo_minor_person'].pk}/").json()
    assert [(a["name"], a["kind"]) for a in body["aliases"]] == [("Sam", "nickname")]


def test_photo_upload_download_and_removal(world: dict[str, Any], as_user: ClientFor) -> None:
    adam = world["malmo_police_person"]
    url = f"/api/persons/{adam.pk}/photo/"
    petra = as_user("petra")
    assert petra.get(url).status_code == 404  # no photo yet

    not_an_image = encode_multipart("B", {"photo": SimpleUploadedFile("x.png", b"GIF89a....")})
    refused = petra.put(url, data=not_an_image, content_type="multipart/form-data; boundary=B")
    assert refused.status_code == 400
    assert "photo" in refused.json()
    assert petra.put(url, data={}, content_type=JSON).status_code in (400, 415)

    body = encode_multipart("B", {"photo": SimpleUploadedFile("me.png", PNG)})
    uploaded = petra.put(url, data=body, content_type="multipart/form-data; boundary=B")
    assert uploaded.status_code == 200, uploaded.content
    assert uploaded.json()["has_photo"] is True
    download = as_user("anders").get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download.getvalue().startswith(b"\x89PNG")
    assert last_event(world["anders"], AuditAction.VIEW).detail["file"] == "photo"

    assert as_user("sara").get(url).status_code == 404
    assert petra.delete(url).status_code == 204
    assert petra.get(url).status_code == 404


# --------------------------------------------------------------------------------------------------
# Sections: in full, as a summary, and their journals


def test_a_probation_summary_shows_only_the_declared_fields_and_no_journal(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    section = world["malmo_probation_section"]
    url = f"/api/sections/probation/{section.pk}/"
    petra = as_user("petra")

    summary = petra.get(url)
    assert summary.status_code == 200
    expected = {*access.partial_fields(ProbationSection, "view_summary"), "kind", "full"}
    assert set(summary.json()) == expected
    assert summary.json()["full"] is False
    assert summary.json()["supervision_type"] == "parole"
    assert "conditions" not in summary.json()
    assert "ETag" not in summary

    assert petra.get(f"{url}notes/").status_code == 404
    assert send(petra, "post", f"{url}notes/", {"text": "x"}).status_code == 404
    assert send(petra, "patch", url, {"conditions": "x"}, **{"If-Match": etag_of(section)}).status_code == 404

    listed = petra.get("/api/sections/probation/").json()["results"]
    assert [(s["id"], s["full"]) for s in listed] == [(section.pk, False)]
    assert set(listed[0]) == expected

    full = as_user("karin").get(url).json()
    assert full["full"] is True
    assert full["conditions"] == "Anmälningsplikt varje måndag."
    assert full["probation_officer"] == world["karin"].pk


def test_the_section_list_filters_by_person_and_follows_linked_records(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    """Petra's record of Adam is linked to Karin's by the share: its probation summary shows there."""
    petra = as_user("petra")
    own_adam = world["malmo_police_person"]
    shared = world["malmo_share"]
    assert shared.recipient_person_id == own_adam.pk
    listed = petra.get("/api/sections/probation/", {"person": own_adam.pk}).json()["results"]
    assert [s["id"] for s in listed] == [world["malmo_probation_section"].pk]
    police = petra.get("/api/sections/police/", {"person": own_adam.pk}).json()["results"]
    assert [s["id"] for s in police] == [world["malmo_police_section"].pk]
    assert petra.get("/api/sections/police/", {"person": world["malmo_social_person"].pk}).json()["results"] == []


def test_a_section_is_opened_updated_and_journaled_over_the_api(world: dict[str, Any], as_user: ClientFor) -> None:
    dino = _person(world, "petra", "Dino")
    petra = as_user("petra")
    created = send(petra, "post", "/api/sections/police/", {"person": dino.pk, "risk_level": "elevated"})
    assert created.status_code == 201, created.content
    section_url = f"/api/sections/police/{created.json()['id']}/"
    assert created.json()["full"] is True

    again = send(petra, "post", "/api/sections/police/", {"person": dino.pk})
    assert again.status_code == 400

    missing = send(petra, "patch", section_url, {"risk_level": "high"})
    assert missing.status_code == 428
    stale = send(petra, "patch", section_url, {"risk_level": "high"}, **{"If-Match": '"1-999"'})
    assert stale.status_code == 412
    updated = send(petra, "patch", section_url, {"risk_level": "high"}, **{"If-Match": created["ETag"]})
    assert updated.status_code == 200, updated.content
    assert (updated.json()["risk_level"], updated.json()["version"]) == ("high", 2)
    # Anders read the first version: his edit is refused, not lost over Petra's.
    late = send(as_user("anders"), "patch", section_url, {"notes": "x"}, **{"If-Match": created["ETag"]})
    assert late.status_code == 412

    first = send(petra, "post", f"{section_url}notes/", {"text": "Sedd i Rosengård."})
    assert first.status_code == 201, first.content
    correction = send(petra, "post", f"{section_url}notes/", {"text": "Sedd i Hyllie.", "corrects": first.json()["id"]})
    assert correction.status_code == 201
    assert correction.json()["corrects"] == first.json()["id"]
    journal = petra.get(f"{section_url}notes/").json()
    assert [n["text"] for n in journal["results"]] == ["Sedd i Hyllie.", "Sedd i Rosengård."]
    assert journal["results"][0]["author_name"] == "Petra Lind"
    event = last_event(world["petra"], AuditAction.LIST)
    assert (event.object_type, set(event.object_ids)) == (
        "cases.policenote",
        {str(first.json()["id"]), str(correction.json()["id"])},
    )


def test_a_correction_must_name_a_note_of_the_same_section(world: dict[str, Any], as_user: ClientFor) -> None:
    other = PoliceNote.objects.create(section=world["malmo_shared_police_section"], text="x", author=world["petra"])
    url = f"/api/sections/police/{world['malmo_police_section'].pk}/notes/"
    for corrects in (other.pk, MAX_ID):
        response = send(as_user("petra"), "post", url, {"text": "rättelse", "corrects": corrects})
        assert response.status_code == 400
        assert "corrects" in response.json()


def test_journal_notes_cannot_be_edited_or_deleted(world: dict[str, Any], as_user: ClientFor) -> None:
    url = f"/api/sections/police/{world['malmo_police_section'].pk}/notes/"
    petra = as_user("petra")
    for method in ("put", "patch", "delete"):
        assert send(petra, method, url, {"text": "x"}).status_code == 405


def test_a_social_worker_sees_a_police_section_only_while_it_is_shared(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    """The issue's story, over the API: 404, shared on consent, revoked, 404 again."""
    section = world["malmo_shared_police_section"]
    url = f"/api/sections/police/{section.pk}/"
    sara = as_user("sara")
    assert sara.get(url).status_code == 404
    municipality = world["sara"].agency
    consent = services.consent_record(
        actor=world["petra"],
        person=section.person,
        given_on=today(),
        recipients=[municipality],
        subjects=["police"],
    )
    share = send(
        as_user("petra"),
        "post",
        "/api/shares/",
        {
            "person": section.person_id,
            "subject": "police",
            "scope": "full",
            "receiving_agency": municipality.pk,
            "receiving_team": world["sara"].team_id,
            "legal_basis": "consent",
            "consent": consent.pk,
            "purpose": "Samordning",
            "note_to_recipient": "Hela sektionen.",
            "valid_until": str(today() + timedelta(days=30)),
        },
    )
    assert share.status_code == 201, share.content
    assert sara.get(url).json()["full"] is True
    assert sara.get(f"{url}notes/").status_code == 200
    revoked = send(as_user("petra"), "post", f"/api/consents/{consent.pk}/revoke/")
    assert revoked.status_code == 200
    assert revoked.json()["active"] is False
    assert sara.get(url).status_code == 404
    assert Share.objects.get(pk=share.json()["id"]).ended_reason == Share.Ended.CONSENT_REVOKED
    assert AuditEvent.objects.filter(action=AuditAction.DENY, actor_id=world["sara"].pk).exists()


# --------------------------------------------------------------------------------------------------
# Consents and shares


def test_a_consent_with_its_signed_document_over_multipart(world: dict[str, Any], as_user: ClientFor) -> None:
    minor = world["malmo_minor_person"]
    lina = minor.guardians.get()
    prison = world["karin"].agency
    sara = as_user("sara")
    payload = {
        "person": minor.pk,
        "given_on": str(today()),
        "recipients": [prison.pk],
        "subjects": ["identity", "social"],
        "guardians": [lina.pk],
        "document": SimpleUploadedFile("samtycke.pdf", PDF),
    }
    created = sara.post("/api/consents/", data=payload)  # multipart
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["recipients"], body["guardians"], body["active"]) == ([prison.pk], [lina.pk], True)
    assert body["document_url"] == f"/api/consents/{body['id']}/document/"

    download = as_user("erik").get(body["document_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert last_event(world["erik"], AuditAction.VIEW).detail["file"] == "document"
    assert as_user("karin").get(body["document_url"]).status_code == 404

    without_guardian = {k: v for k, v in payload.items() if k not in ("document", "guardians")}
    refused = send(sara, "post", "/api/consents/", without_guardian)
    assert refused.status_code == 400
    assert "guardians" in refused.json()


def test_a_share_on_osl_10_18a_is_refused_for_a_person_of_21_or_more(world: dict[str, Any], as_user: ClientFor) -> None:
    oskar = _person(world, "karin", "Oskar")  # born 1999
    response = send(
        as_user("karin"),
        "post",
        "/api/shares/",
        {
            "person": oskar.pk,
            "subject": "identity",
            "receiving_agency": world["petra"].agency_id,
            "legal_basis": "osl_10_18a",
            "purpose": "Brottsförebyggande",
            "note_to_recipient": "Identiteten.",
            "valid_until": str(today() + timedelta(days=10)),
        },
    )
    assert response.status_code == 400
    assert "legal_basis" in response.json()


def test_the_sender_never_learns_whether_the_recipient_linked_a_share(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    share = world["malmo_share"]
    url = f"/api/shares/{share.pk}/"
    recipient = as_user("petra").get(url).json()
    sender = as_user("karin").get(url).json()
    assert (recipient["direction"], recipient["recipient_person"]) == ("received", world["malmo_police_person"].pk)
    assert (sender["direction"], sender["recipient_person"]) == ("sent", None)

    unlinked = send(as_user("anders"), "post", f"{url}link/", {"person": None})
    assert unlinked.status_code == 200
    assert unlinked.json()["recipient_person"] is None
    refused = send(as_user("anders"), "post", f"{url}link/", {"person": world["malmo_social_person"].pk})
    assert refused.status_code == 400
    assert "person" in refused.json()
    relinked = send(as_user("anders"), "post", f"{url}link/", {"person": world["malmo_police_person"].pk})
    assert relinked.json()["recipient_person"] == world["malmo_police_person"].pk

    assert [s["id"] for s in as_user("karin").get("/api/shares/", {"direction": "received"}).json()["results"]] == []
    sent = as_user("karin").get("/api/shares/", {"direction": "sent"}).json()["results"]
    # Karin's other share: the identity share her referral to the exit program rests on.
    assert sorted(s["id"] for s in sent) == sorted([share.pk, world["malmo_probation_referral"].share_id])


def test_the_sender_revokes_a_share_and_the_recipient_loses_it_at_once(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    share = world["malmo_share"]
    section_url = f"/api/sections/probation/{world['malmo_probation_section'].pk}/"
    assert as_user("petra").get(section_url).status_code == 200
    assert send(as_user("petra"), "post", f"/api/shares/{share.pk}/revoke/").status_code == 404
    revoked = send(as_user("karin"), "post", f"/api/shares/{share.pk}/revoke/")
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert as_user("petra").get(section_url).status_code == 404
    assert as_user("petra").get(f"/api/shares/{share.pk}/").status_code == 404


# --------------------------------------------------------------------------------------------------
# Reports of concern


def test_the_sender_of_a_report_of_concern_reads_only_whether_it_was_received(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    report = world["malmo_concern"]
    url = f"/api/concerns/{report.pk}/"
    status_fields = set(access.partial_fields(ConcernReport, "view_status"))
    before = as_user("anders").get(url)
    assert before.status_code == 200
    assert set(before.json()) == status_fields
    assert before.json()["received_at"] is None

    erik = as_user("erik")
    full = erik.get(url)
    assert full.json()["concern"] == report.concern
    assert send(erik, "post", f"{url}receive/").json()["received_at"] is not None
    assert as_user("petra").get(url).json()["received_at"] is not None

    assessment = {"outcome": "investigation", "assessment": "Utredning inleds."}
    assert send(erik, "post", f"{url}assess/", assessment).status_code == 428
    assert send(erik, "post", f"{url}assess/", assessment, **{"If-Match": '"1-99"'}).status_code == 412
    current = erik.get(url)["ETag"]
    bad = send(erik, "post", f"{url}assess/", {"outcome": "maybe"}, **{"If-Match": current})
    assert bad.status_code == 400
    assert "outcome" in bad.json()
    assessed = send(erik, "post", f"{url}assess/", assessment, **{"If-Match": current})
    assert assessed.status_code == 200, assessed.content
    assert assessed.json()["outcome"] == "investigation"
    # What social services decided never reaches the sender.
    after = as_user("petra").get(url).json()
    assert set(after) == status_fields
    assert send(as_user("petra"), "post", f"{url}receive/").status_code == 404


def test_a_report_of_concern_filed_over_the_api_answers_with_its_status(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    noah = world["malmo_police_minor"]
    response = send(
        as_user("anders"),
        "post",
        "/api/concerns/",
        {
            "person": noah.pk,
            "receiving_agency": world["sara"].agency_id,
            "concern": "Ses med äldre gängmedlemmar.",
            "reporter_phone": "010-1",
        },
    )
    assert response.status_code == 201, response.content
    assert set(response.json()) == set(access.partial_fields(ConcernReport, "view_status"))
    wrong = send(
        as_user("anders"),
        "post",
        "/api/concerns/",
        {"person": noah.pk, "receiving_agency": world["karin"].agency_id, "concern": "x", "reporter_phone": "1"},
    )
    assert wrong.status_code == 400
    assert "receiving_agency" in wrong.json()


# --------------------------------------------------------------------------------------------------
# Aliases and guardians


def test_a_guardian_who_consented_stays_on_record(world: dict[str, Any], as_user: ClientFor) -> None:
    lina = world["malmo_minor_person"].guardians.get()
    response = as_user("sara").delete(f"/api/guardians/{lina.pk}/")
    assert response.status_code == 400
    assert response.json()["non_field_errors"]


def test_aliases_are_added_and_removed(world: dict[str, Any], as_user: ClientFor) -> None:
    minor = world["malmo_minor_person"]
    sara = as_user("sara")
    created = send(sara, "post", "/api/aliases/", {"person": minor.pk, "name": "Sammy", "kind": "alias"})
    assert created.status_code == 201, created.content
    duplicate = send(sara, "post", "/api/aliases/", {"person": minor.pk, "name": "sammy"})
    assert duplicate.status_code == 400
    assert "name" in duplicate.json()
    listed = sara.get("/api/aliases/", {"person": minor.pk}).json()["results"]
    assert [a["name"] for a in listed] == ["Sam", "Sammy"]
    assert sara.delete(f"/api/aliases/{created.json()['id']}/").status_code == 204
    assert sara.delete(f"/api/aliases/{created.json()['id']}/").status_code == 404


# --------------------------------------------------------------------------------------------------
# Creates that name a person, per persona (the matrix cannot express the 400 of a hidden person)


def _create_payloads(world: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    minor = world["malmo_minor_person"]
    kevin = _person(world, "sara", "Kevin")
    return {
        "social section": ("/api/sections/social/", {"person": kevin.pk, "notes": "Ny."}),
        "alias": ("/api/aliases/", {"person": minor.pk, "name": "Sammy"}),
        "guardian": ("/api/guardians/", {"person": minor.pk, "name": "Per Nordström", "relation": "father"}),
        "consent": (
            "/api/consents/",
            {
                "person": minor.pk,
                "given_on": str(today()),
                "recipients": [world["karin"].agency_id],
                "subjects": ["identity"],
                "guardians": [minor.guardians.get().pk],
            },
        ),
        "share": (
            "/api/shares/",
            {
                "person": minor.pk,
                "subject": "identity",
                "receiving_agency": world["karin"].agency_id,
                "legal_basis": "osl_10_2",
                "purpose": "Samordning",
                "note_to_recipient": "Identiteten.",
                "valid_until": str(today() + timedelta(days=10)),
            },
        ),
        "concern": (
            "/api/concerns/",
            {"person": minor.pk, "receiving_agency": world["sara"].agency_id, "concern": "Oro.", "reporter_phone": "1"},
        ),
    }


# Sami's record is Sara's (exit team): her team and Erik (the whole municipality) may add to it. Other
# caseworkers may create such records but cannot name Sami: 400 on "person". Roles without the right: 404.
CREATE_RESULTS = {
    "social section": {"sara": 201, "erik": 201, "nils": 400},
    "alias": {"sara": 201, "erik": 201, "petra": 400, "anders": 400, "karin": 400, "nils": 400},
    "guardian": {"sara": 201, "erik": 201, "petra": 400, "anders": 400, "karin": 400, "nils": 400},
    "consent": {"sara": 201, "erik": 201, "petra": 400, "anders": 400, "karin": 400, "nils": 400},
    "share": {"sara": 201, "erik": 201, "petra": 400, "anders": 400, "karin": 400, "nils": 400},
    "concern": {"sara": 201, "erik": 201, "petra": 400, "anders": 400, "karin": 400, "nils": 400},
}


@pytest.mark.parametrize("persona", PERSONA_NAMES)
@pytest.mark.parametrize("what", CREATE_RESULTS)
def test_creates_that_name_a_person_per_persona(
    what: str, persona: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    url, payload = _create_payloads(world)[what]
    response = send(as_user(persona), "post", url, payload)
    expected = CREATE_RESULTS[what].get(persona, 404)
    assert response.status_code == expected, response.content
    if expected == 400:
        assert set(response.json()) == {"person"}


# --------------------------------------------------------------------------------------------------
# Bad input: 400 with the field, never a 500


BAD_INPUT = [
    ("/api/sections/police/", {"person": MAX_ID + 1}, "person"),
    ("/api/sections/police/", {"person": "abc"}, "person"),
    ("/api/sections/police/", {"person": -1}, "person"),
    ("/api/sections/police/", {"person": MAX_ID}, "person"),
    ("/api/sections/police/", {"person": None}, "person"),
    ("/api/sections/police/", {"person": [1]}, "person"),
    ("/api/sections/police/", {"person": 1, "risk_level": "extreme"}, "risk_level"),
    ("/api/shares/", {"person": MAX_ID + 1}, "person"),
    ("/api/shares/", {"valid_until": "9999-12-31"}, "valid_until"),
    ("/api/shares/", {"valid_until": "0001-01-01"}, "valid_until"),
    ("/api/shares/", {"valid_until": "31/12/2025"}, "valid_until"),
    ("/api/shares/", {"legal_basis": "gut feeling"}, "legal_basis"),
    ("/api/shares/", {"receiving_agency": MAX_ID + 1}, "receiving_agency"),
    ("/api/consents/", {"given_on": "0001-01-01"}, "given_on"),
    ("/api/consents/", {"recipients": "all"}, "recipients"),
    ("/api/consents/", {"recipients": [MAX_ID + 1]}, "recipients"),
    ("/api/consents/", {"subjects": ["everything"]}, "subjects"),
    ("/api/concerns/", {"person": "x", "receiving_agency": MAX_ID * 2}, "receiving_agency"),
    ("/api/aliases/", {"person": MAX_ID + 1, "name": "x"}, "person"),
    ("/api/guardians/", {"person": 1, "name": "x", "relation": "uncle"}, "relation"),
]


@pytest.mark.parametrize(("url", "payload", "field"), BAD_INPUT, ids=[f"{u}{f}" for u, _p, f in BAD_INPUT])
def test_bad_input_is_a_400_naming_the_field(
    url: str, payload: dict[str, Any], field: str, world: dict[str, Any], as_user: ClientFor
) -> None:
    persona = {"/api/sections/police/": "petra", "/api/shares/": "karin"}.get(url, "sara")
    response = send(as_user(persona), "post", url, payload)
    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/api/sections/police/{big}/",
        "/api/sections/police/{big}/notes/",
        "/api/persons/{big}/",
        "/api/persons/{big}/photo/",
        "/api/consents/{big}/",
        "/api/shares/{big}/",
        "/api/concerns/{big}/",
        "/api/sections/probation/?person={big}",
        "/api/shares/?direction=sideways",
        "/api/consents/?person=abc",
    ],
)
def test_huge_ids_and_bad_filters_are_never_a_500(url: str, as_user: ClientFor) -> None:
    response = as_user("petra").get(url.format(big=MAX_ID * 10))
    assert response.status_code in (400, 404), response.status_code


def test_a_section_period_must_be_ordered(world: dict[str, Any], as_user: ClientFor) -> None:
    oskar = _person(world, "karin", "Oskar")
    response = send(
        as_user("karin"),
        "post",
        "/api/sections/probation/",
        {"person": oskar.pk, "period_start": "2026-05-01", "period_end": "2026-01-01"},
    )
    assert response.status_code == 400
    assert "period_end" in response.json()
    officer = send(as_user("karin"), "post", "/api/sections/probation/", {"person": oskar.pk, "probation_officer": 1})
    assert officer.status_code == 400
    assert "probation_officer" in officer.json()


# --------------------------------------------------------------------------------------------------
# Query counts: the same for 5 and for 50 extra rows


def _add_police_sections(world: dict[str, Any], count: int) -> None:
    for _ in range(count):
        person = services.person_create(actor=world["petra"], given_name="Q", family_name="Räkning", birth_year=2004)
        section = services.section_create(actor=world["petra"], person=person, kind="police", risk_level="low")
        services.note_add(actor=world["petra"], section=section, text="n")
        services.alias_add(actor=world["petra"], person=person, name="Q")


def _add_rows_of_sami(world: dict[str, Any], count: int) -> None:
    minor, sara = world["malmo_minor_person"], world["sara"]
    lina = minor.guardians.get(name="Lina Nordström")
    start = minor.guardians.count()
    for i in range(count):
        services.guardian_add(actor=sara, person=minor, name=f"G {start + i}", relation="other")
        services.alias_add(actor=sara, person=minor, name=f"A {start + i}")
        services.consent_record(
            actor=sara,
            person=minor,
            given_on=today(),
            recipients=[world["karin"].agency],
            subjects=["identity"],
            guardians=[lina],
        )
        services.share_create(
            actor=sara,
            person=minor,
            subject="identity",
            receiving_agency=world["karin"].agency,
            legal_basis="osl_10_2",
            purpose="p",
            note_to_recipient="n",
            valid_until=today(),
        )
        services.concern_file(
            actor=world["petra"],
            person=world["malmo_police_minor"],
            receiving_agency=sara.agency,
            concern="c",
            reporter_phone="1",
        )


LISTS = {
    "police sections": ("petra", "/api/sections/police/", _add_police_sections),
    "persons": ("petra", "/api/persons/", _add_police_sections),
    "guardians": ("sara", "/api/guardians/", _add_rows_of_sami),
    "aliases": ("sara", "/api/aliases/", _add_rows_of_sami),
    "consents": ("sara", "/api/consents/", _add_rows_of_sami),
    "shares": ("sara", "/api/shares/", _add_rows_of_sami),
    "concerns": ("sara", "/api/concerns/", _add_rows_of_sami),
}


@pytest.mark.parametrize("name", LISTS)
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
        assert len(response.json()["results"]) >= extra
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts


def test_journal_queries_do_not_grow_with_the_notes(world: dict[str, Any], as_user: ClientFor) -> None:
    section = world["malmo_police_section"]
    url = f"/api/sections/police/{section.pk}/notes/"
    client = as_user("anders")
    client.get(url)
    counts = []
    for extra in (5, 45):
        for _ in range(extra):
            services.note_add(actor=world["petra"], section=section, text="n")
        with max_queries(QUERY_LIMIT) as captured:
            assert client.get(url, {"page_size": 200}).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_demo_consent_is_sami_s(world: dict[str, Any]) -> None:
    consent = world["malmo_minor_consent"]
    assert isinstance(consent, Consent)
    assert consent.person_id == world["malmo_minor_person"].pk
