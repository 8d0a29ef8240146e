"""Security review of issues 7 and 8 (agency sections, journals, consent, shares, reports of concern,
timeline, search, duplicates, merge, subject access export): reproductions of defects found, and
guarantees that had no test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

ClientFor = Callable[[str], Client]

HUGE = "9" * 25


def _no_raise(client: Client) -> Client:
    client.raise_request_exception = False
    return client


# --- Bad input: never a 500 ---------------------------------------------------------------------


def test_note_correction_with_a_unicode_digit_is_404_not_500(world: dict[str, Any], as_user: ClientFor) -> None:
    section = world["malmo_social_section"]
    client = _no_raise(as_user("sara"))
    response = client.get(f"/persons/sections/social/{section.pk}/notes/?corrects=%C2%B2")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/persons/concerns/{HUGE}/",
        f"/persons/shares/{HUGE}/",
        f"/persons/shares/{HUGE}/link/",
        f"/persons/sections/police/{HUGE}/",
        f"/persons/subject-access/{HUGE}/",
        f"/persons/{HUGE}/timeline/",
        f"/persons/{HUGE}/",
        f"/persons/consents/{HUGE}/",
    ],
)
def test_huge_ids_on_the_new_pages_are_404_not_500(world: dict[str, Any], as_user: ClientFor, url: str) -> None:
    client = _no_raise(as_user("petra"))
    assert client.get(url).status_code == 404


def test_huge_ids_in_posted_fields_are_not_500(world: dict[str, Any], as_user: ClientFor) -> None:
    keep = world["malmo_police_person"]
    petra = _no_raise(as_user("petra"))
    response = petra.post(f"/persons/{keep.pk}/merge/", {"action": "choose", "remove": HUGE})
    assert response.status_code < 500
    share = world["malmo_share"]
    response = petra.post(f"/persons/shares/{share.pk}/link/", {"action": "link", "person": HUGE})
    assert response.status_code < 500
    section = world["malmo_police_section"]
    response = petra.post(f"/persons/sections/police/{section.pk}/notes/", {"text": "x", "corrects": HUGE})
    assert response.status_code < 500
    response = petra.get(f"/persons/sections/police/{section.pk}/notes/?corrects={HUGE}")
    assert response.status_code == 404
    sara = _no_raise(as_user("sara"))
    person = world["malmo_social_person"]
    response = sara.post(
        f"/persons/{person.pk}/shares/new/",
        {"subject": "identity", "receiving_agency": HUGE, "receiving_team": HUGE, "consent": HUGE},
    )
    assert response.status_code < 500


# --- Existence of another team's record: the automatic link of a share ----------------------------


def _police_share_to_field_team(world: dict[str, Any]) -> Any:
    """Petra shares Adam Karlsson's identity with the municipality's field team (Malin's). The
    municipality's record with the same number is Sara's (exit team): Malin may not see it."""
    from datetime import timedelta

    from django.utils import timezone

    from cases import services
    from gvi.accounts.models import Team

    field_team = Team.objects.get(pk=world["malin"].team_id)
    return services.share_create(
        actor=world["petra"],
        person=world["malmo_police_person"],
        subject="identity",
        receiving_agency=world["sara"].agency,
        receiving_team=field_team,
        legal_basis="osl_10_2",
        purpose="Samordning",
        note_to_recipient="Bara identiteten.",
        valid_until=timezone.localdate() + timedelta(days=30),
    )


def test_a_share_never_reveals_to_its_recipient_a_record_of_their_agency_they_may_not_see(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    from gvi import access

    share = _police_share_to_field_team(world)
    sara_record = world["malmo_social_person"]
    malin = world["malin"]
    assert not access.can(malin, "view", sara_record)  # Sara's exit team's record, not Malin's
    client = as_user("malin")
    leaks = []
    if client.get(f"/api/shares/{share.pk}/").json()["recipient_person"] == sara_record.pk:
        leaks.append("API share detail names the record id")
    if f"/persons/{sara_record.pk}/" in client.get(f"/persons/shares/{share.pk}/").content.decode():
        leaks.append("share page links to the record")
    if f"/persons/{sara_record.pk}/" in client.get("/persons/shares/received/").content.decode():
        leaks.append("received list links to the record")
    assert leaks == []


# --- Merge ---------------------------------------------------------------------------------------


def test_merge_does_not_show_a_protected_address_to_a_caseworker_who_did_not_own_it(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    """Erik's record of a person with protected identity holds the address; Sara's record of the same
    person has none. Erik merges his record into Sara's: the protected address must stay hidden from
    Sara, who never was its owning caseworker."""
    from cases import services
    from cases.services.merge import person_merge

    erik, sara = world["erik"], world["sara"]
    hidden = services.person_create(
        actor=erik,
        given_name="Tove",
        family_name="Lind",
        birth_year=2004,
        protected_identity=True,
        address="Hemliga vägen 1, Malmö",
    )
    open_record = services.person_create(actor=sara, given_name="Tove", family_name="Lind", birth_year=2004)
    assert "Hemliga vägen" not in as_user("sara").get(f"/persons/{hidden.pk}/").content.decode()
    kept, _merge = person_merge(actor=erik, keep=open_record, remove=hidden, keep_version=open_record.version)
    page = as_user("sara").get(f"/persons/{kept.pk}/").content.decode()
    assert "Hemliga vägen" not in page


# --- Probation sections: the officer in charge -----------------------------------------------------


def test_a_probation_officer_taken_off_a_client_loses_the_section(world: dict[str, Any]) -> None:
    from cases import services
    from gvi import access
    from gvi.accounts.models import Role, Staff

    karin = world["karin"]
    per = Staff.objects.create(
        username="per-review",
        first_name="Per",
        last_name="Kvist",
        role=Role.PROBATION_OFFICER,
        program=karin.program,
        agency=karin.agency,
        team=karin.team,
    )
    section = world["malmo_probation_section"]
    section = services.section_update(actor=karin, section=section, version=section.version, probation_officer=per)
    assert access.can(per, "view", section)
    # A probation officer sees their own clients: handing the client over hands the section over.
    assert not access.can(karin, "view", section)
    section = services.section_update(actor=per, section=section, version=section.version, probation_officer=karin)
    assert access.can(karin, "view", section)
    assert not access.can(per, "view", section), "the former officer still reads the client's section and journal"
    assert not access.can(per, "change", section)


def test_merge_confirmation_counts_only_rows_the_merger_may_see(world: dict[str, Any], as_user: ClientFor) -> None:
    """A share the police made to the field team is linked to Sara's record (same identity number).
    Erik (exit team) may not see that share; the merge page must not tell him it exists."""
    from cases.models import Person, Share
    from gvi import access

    share = _police_share_to_field_team(world)
    erik = world["erik"]
    assert not access.can(erik, "view", share)
    remove = world["malmo_social_person"]
    keep = Person.objects.get(owner_agency_id=erik.agency_id, given_name="Liam", family_name="Eriksson")
    response = as_user("erik").post(f"/persons/{keep.pk}/merge/", {"action": "choose", "remove": remove.pk})
    assert response.status_code == 200
    shares_label = str(Share._meta.verbose_name_plural)
    rows = {what: moves for what, moves, _dropped in response.context["plan_rows"]}
    assert shares_label not in rows, f"the page counts a share Erik may not see: {rows}"


BROKEN_MULTIPART = (
    b'--xyz\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n'
    b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff"  # no closing boundary
)


def test_malformed_multipart_uploads_are_400_not_500(world: dict[str, Any], as_user: ClientFor) -> None:
    person = world["malmo_minor_person"]
    client = _no_raise(as_user("sara"))
    kinds = "multipart/form-data; boundary=xyz"
    for url in (
        f"/persons/{person.pk}/photo/edit/",
        f"/persons/{person.pk}/consents/new/",
        f"/api/persons/{person.pk}/photo/",
        "/api/consents/",
    ):
        method = client.put if url.endswith("/photo/") and url.startswith("/api/") else client.post
        response = method(url, data=BROKEN_MULTIPART, content_type=kinds)
        assert response.status_code < 500, url
    # A multipart body without a boundary.
    response = client.post(f"/persons/{person.pk}/consents/new/", data=b"x", content_type="multipart/form-data")
    assert response.status_code < 500


def test_bad_values_in_the_new_forms_are_not_500(world: dict[str, Any], as_user: ClientFor) -> None:
    sara = _no_raise(as_user("sara"))
    minor = world["malmo_minor_person"]
    response = sara.post(f"/persons/{minor.pk}/concern/new/", {"receiving_agency": HUGE, "concern": "x"})
    assert response.status_code < 500
    consent = world["malmo_minor_consent"]
    response = sara.post(f"/persons/consents/{consent.pk}/revoke/", {"revoked_on": "99999-01-01"})
    assert response.status_code < 500
    karin = _no_raise(as_user("karin"))
    section = world["malmo_probation_section"]
    response = karin.post(
        f"/persons/sections/probation/{section.pk}/edit/",
        {"supervision_type": "parole", "probation_officer": HUGE, "period_start": "0001-01-01", "version": HUGE},
    )
    assert response.status_code < 500
    concern = world["malmo_concern"]
    erik = _no_raise(as_user("erik"))
    response = erik.post(f"/persons/concerns/{concern.pk}/assess/", {"outcome": "x", "version": HUGE})
    assert response.status_code < 500
    response = erik.get(f"/persons/subject-access/{HUGE}/?page={HUGE}")
    assert response.status_code == 404


@pytest.mark.parametrize("field", ["recipients", "guardians"])
def test_consent_form_with_a_huge_id_is_a_form_error_not_500(
    world: dict[str, Any], as_user: ClientFor, field: str
) -> None:
    sara = _no_raise(as_user("sara"))
    minor = world["malmo_minor_person"]
    guardian = minor.guardians.first()
    data = {
        "given_on": "2026-01-01",
        "recipients": [world["karin"].agency_id],
        "subjects": ["identity"],
        "guardians": [guardian.pk],
    }
    data[field] = [HUGE]
    response = sara.post(f"/persons/{minor.pk}/consents/new/", data)
    assert response.status_code == 400


# --- Guarantees: the audit trail holds no case text or identity numbers ----------------------------


def test_journal_text_concern_text_and_identity_numbers_never_reach_the_audit_trail(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    import json

    from gvi.audit.models import AuditEvent

    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    section = world["malmo_social_section"]
    secret_note = "Berättade om hot från Grupp Falken"
    assert (
        as_user("sara").post(f"/persons/sections/social/{section.pk}/notes/", {"text": secret_note}).status_code == 302
    )
    minor = world["malmo_police_minor"]
    municipality = world["sara"].agency_id
    secret_concern = "Sedd med vapen vid skolan"
    response = as_user("petra").post(
        f"/persons/{minor.pk}/concern/new/",
        {"receiving_agency": municipality, "concern": secret_concern, "reporter_phone": "010-1"},
    )
    assert response.status_code == 302
    number = world["malmo_social_person"].identity_number
    as_user("sara").post("/persons/", {"term": number})
    as_user("sara").post("/api/persons/search/", {"term": number}, content_type="application/json")
    events = AuditEvent.objects.filter(id__gt=before)
    assert events.exists()
    dumped = json.dumps(list(events.values("purpose", "legal_basis", "detail", "object_id", "object_ids")))
    for secret in (secret_note, secret_concern, number, number[2:], number.replace("-", "")):
        assert secret not in dumped


def test_a_search_for_four_non_decimal_digits_is_not_500(world: dict[str, Any], as_user: ClientFor) -> None:
    """Ethiopic digits are str.isdigit() but not int()-able: the birth-year branch of the search must
    not crash (page, API, and the share-link and merge searches)."""
    term = "\u1369\u136a\u136b\u136c"
    sara = _no_raise(as_user("sara"))
    assert sara.post("/persons/", {"term": term}).status_code == 200
    response = sara.post("/api/persons/search/", {"term": term}, content_type="application/json")
    assert response.status_code == 200
