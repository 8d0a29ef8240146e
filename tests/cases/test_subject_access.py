"""Subject access exports (registerutdrag): a draft of everything the agency holds about the person, a
secrecy review that withholds what secrecy protects, release of a PDF and a JSON kept through the storage
API, every step audited; only the agency that owns the record makes one.

Personas: Sara (social worker, exit team: her team's records), Erik (exit coordinator), Petra (police
coordinator), Nils (other program). WeasyPrint is slow: the PDF is rendered for real once; other releases
render a stand-in.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services
from cases.models import Person
from cases.models.disclosure import SubjectAccessExport
from cases.subject_access import LEGAL_BASIS, draft_items, local_files_only
from gvi.audit.models import AuditAction, AuditEvent
from gvi.concurrency import StaleVersion
from gvi.timeline import timeline_items
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]

# Measured with a warmed-up process, the same for 5 and for 50 journal notes: session, user, device, the
# export and its audit, the person, aliases, guardians, the timeline providers' reads (persons, sections
# and journals per kind, consents, shares, reports, memberships, involvements), the list audit, session.
REVIEW_PAGE_QUERIES = 25
FAKE_PDF = b"%PDF-1.4\n% stand-in\n%%EOF\n"


def review_url(export: SubjectAccessExport) -> str:
    return f"/persons/subject-access/{export.pk}/"


def create_url(person: Person) -> str:
    return f"/persons/{person.pk}/subject-access/new/"


def field(key: str) -> str:
    return key.replace(".", "-").replace(":", "-")


@pytest.fixture
def asa(world: dict[str, Any]) -> dict[str, Any]:
    """Sara's record of Åsa Öberg with a social section and two journal notes, one naming an informant."""
    sara = world["sara"]
    person = services.person_create(
        actor=sara, given_name="Åsa", family_name="Öberg", birth_year=2005, address="Storgatan 1, Malmö"
    )
    section = services.section_create(actor=sara, person=person, kind="social")
    seen = services.note_add(actor=sara, section=section, text="Träffade Ämir på torget")
    secret = services.note_add(actor=sara, section=section, text="Uppgiftslämnaren Kalle Kvist såg henne")
    return {"person": person, "section": section, "seen": seen, "secret": secret}


@pytest.fixture
def fake_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cases.services.subject_access.render_pdf", lambda *args, **kwargs: FAKE_PDF)


def note_key(note: Any) -> str:
    return f"{note._meta.label_lower}:{note.pk}"


def audited(export: SubjectAccessExport, action: AuditAction) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type="cases.subjectaccessexport", object_id=str(export.pk), action=action, legal_basis=LEGAL_BASIS
        )
    )


def pdf_text(content: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: cannot read the PDF's text")
    path = tmp_path / "export.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    ).stdout.decode()


# --- The whole way through, on the pages ---------------------------------------------------------


def test_released_pdf_and_json_show_swedish_characters_and_omit_the_withheld_note(
    world: dict[str, Any], asa: dict[str, Any], as_user: ClientFor, tmp_path: Path
) -> None:
    client = as_user("sara")
    response = client.post(create_url(asa["person"]), {"requested_on": timezone.localdate().isoformat()})
    assert response.status_code == 302
    export = SubjectAccessExport.objects.get(person=asa["person"])
    assert response["Location"] == review_url(export)

    review = client.get(review_url(export))
    assert review.status_code == 200
    assert "Träffade Ämir på torget" in review.content.decode()
    secret = field(note_key(asa["secret"]))
    response = client.post(
        review_url(export), {"version": export.version, f"withhold-{secret}": "on", f"reason-{secret}": "informant"}
    )
    assert response.status_code == 302
    export.refresh_from_db()
    assert export.redactions == {note_key(asa["secret"]): "informant"}

    assert client.get(f"/persons/subject-access/{export.pk}/release/").status_code == 200
    assert client.post(f"/persons/subject-access/{export.pk}/release/").status_code == 302
    export.refresh_from_db()
    assert export.status == SubjectAccessExport.Status.RELEASED
    assert export.released_by == world["sara"]
    assert export.released_at is not None

    pdf = client.get(f"/persons/subject-access/{export.pk}/download/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(b"".join(pdf.streaming_content), tmp_path)  # type: ignore[attr-defined]
    assert "Åsa" in text
    assert "Öberg" in text
    assert "Träffade Ämir på torget" in text
    assert "Kalle" not in text
    assert "Uppgiftslämnaren" not in text
    assert "[Withheld" in text

    data = client.get(f"/persons/subject-access/{export.pk}/download/json/")
    assert data["Content-Type"] == "application/json"
    raw = b"".join(data.streaming_content).decode()  # type: ignore[attr-defined]
    document = json.loads(raw)
    assert "Träffade Ämir på torget" in raw
    assert "Öberg" in raw
    assert "Kalle" not in raw
    assert "Uppgiftslämnaren" not in raw
    assert {"withheld": "[Withheld: Protects an informant]"} in document["items"]

    # Every step audited with the legal basis.
    assert len(audited(export, AuditAction.CREATE)) == 1
    assert len(audited(export, AuditAction.UPDATE)) == 1
    exports = audited(export, AuditAction.EXPORT)
    assert sorted(event.detail["step"] for event in exports) == ["download", "download", "release"]
    # The audit names what was withheld, never its text.
    assert "Kalle" not in json.dumps([event.detail for event in AuditEvent.objects.all()], ensure_ascii=False)


def test_the_draft_holds_the_agency_s_own_record_only(world: dict[str, Any], asa: dict[str, Any]) -> None:
    sara = world["sara"]
    items = draft_items(sara, asa["person"])
    keys = [item.key for item in items]
    assert len(keys) == len(set(keys)), "every item has its own key"
    person = asa["person"]
    assert f"cases.person:{person.pk}:identity" in keys
    assert f"cases.person:{person.pk}:contact" in keys
    assert {note_key(asa["seen"]), note_key(asa["secret"])} <= set(keys)
    texts = [item.detail for item in items]
    assert "Träffade Ämir på torget" in texts
    # Items of other agencies' records (a share received, a report sent by another agency) stay out.
    sami = world["malmo_minor_person"]
    others = {i.key for i in timeline_items(sara, [sami.pk]) if i.owner_agency_id != sami.owner_agency_id}
    assert not others & {item.key for item in draft_items(sara, sami)}


# --- Who may make one ------------------------------------------------------------------------------


def test_petra_cannot_make_an_export_of_saras_record(world: dict[str, Any], as_user: ClientFor) -> None:
    sami = world["malmo_minor_person"]
    client = as_user("petra")
    assert client.get(create_url(sami)).status_code == 404
    assert client.post(create_url(sami), {"requested_on": "2025-01-02"}).status_code == 404
    with pytest.raises(Http404):
        services.subject_access_create(actor=world["petra"], person=sami, requested_on=date(2025, 1, 2))
    assert not SubjectAccessExport.objects.filter(person=sami).exists()


def test_nils_in_the_other_program_cannot_open_a_malmo_export(world: dict[str, Any], as_user: ClientFor) -> None:
    export = services.subject_access_create(
        actor=world["sara"], person=world["malmo_minor_person"], requested_on=timezone.localdate()
    )
    for persona in ("nils", "petra", "karin", "lena", "olof"):
        assert as_user(persona).get(review_url(export)).status_code == 404, persona
    assert as_user("erik").get(review_url(export)).status_code == 200


def test_a_request_in_the_future_is_a_form_error(world: dict[str, Any], as_user: ClientFor) -> None:
    sami = world["malmo_minor_person"]
    response = as_user("sara").post(create_url(sami), {"requested_on": "2999-01-01"})
    assert response.status_code == 400
    assert not SubjectAccessExport.objects.filter(person=sami).exists()


# --- The secrecy review ----------------------------------------------------------------------------


def test_a_marked_item_needs_a_reason(world: dict[str, Any], asa: dict[str, Any], as_user: ClientFor) -> None:
    export = services.subject_access_create(actor=world["sara"], person=asa["person"], requested_on=date(2025, 3, 1))
    secret = field(note_key(asa["secret"]))
    response = as_user("sara").post(review_url(export), {"version": export.version, f"withhold-{secret}": "on"})
    assert response.status_code == 400
    assert "Choose why this item is withheld." in response.content.decode()
    export.refresh_from_db()
    assert export.redactions == {}


def test_redaction_names_only_draft_items_and_listed_reasons(world: dict[str, Any], asa: dict[str, Any]) -> None:
    sara = world["sara"]
    export = services.subject_access_create(actor=sara, person=asa["person"], requested_on=date(2025, 3, 1))
    with pytest.raises(ValidationError):
        services.subject_access_redact(
            actor=sara, export=export, version=1, redactions={"cases.socialnote:0": "informant"}
        )
    with pytest.raises(ValidationError):
        services.subject_access_redact(
            actor=sara, export=export, version=1, redactions={note_key(asa["secret"]): "just because"}
        )


def test_a_stale_review_is_refused_not_lost(world: dict[str, Any], asa: dict[str, Any], as_user: ClientFor) -> None:
    sara, erik = world["sara"], world["erik"]
    export = services.subject_access_create(actor=sara, person=asa["person"], requested_on=date(2025, 3, 1))
    services.subject_access_redact(
        actor=erik, export=export, version=1, redactions={note_key(asa["secret"]): "informant"}
    )
    with pytest.raises(StaleVersion):
        services.subject_access_redact(actor=sara, export=export, version=1, redactions={})
    response = as_user("sara").post(review_url(export), {"version": 1})
    assert response.status_code == 409
    export.refresh_from_db()
    assert export.redactions == {note_key(asa["secret"]): "informant"}


def test_a_released_export_cannot_be_redacted_again(
    world: dict[str, Any], asa: dict[str, Any], as_user: ClientFor, fake_pdf: None
) -> None:
    sara = world["sara"]
    export = services.subject_access_create(actor=sara, person=asa["person"], requested_on=date(2025, 3, 1))
    export = services.subject_access_redact(actor=sara, export=export, version=export.version, redactions={})
    export = services.subject_access_release(actor=sara, export=export)
    secret = field(note_key(asa["secret"]))
    response = as_user("sara").post(
        review_url(export), {"version": export.version, f"withhold-{secret}": "on", f"reason-{secret}": "informant"}
    )
    assert response.status_code == 400
    assert "This export is released" in response.content.decode()
    with pytest.raises(ValidationError):
        services.subject_access_redact(actor=sara, export=export, version=export.version, redactions={})
    with pytest.raises(ValidationError):
        services.subject_access_release(actor=sara, export=export)
    assert as_user("sara").post(f"/persons/subject-access/{export.pk}/release/").status_code == 400
    export.refresh_from_db()
    assert export.redactions == {}


def test_a_draft_has_nothing_to_download(world: dict[str, Any], asa: dict[str, Any], as_user: ClientFor) -> None:
    export = services.subject_access_create(actor=world["sara"], person=asa["person"], requested_on=date(2025, 3, 1))
    assert as_user("sara").get(f"/persons/subject-access/{export.pk}/download/pdf/").status_code == 404
    assert as_user("sara").get(f"/persons/subject-access/{export.pk}/download/exe/").status_code == 404


def test_the_pdf_renderer_fetches_nothing_over_the_network() -> None:
    fetcher = local_files_only()
    with pytest.raises(ValueError, match="disallowed protocol"):
        fetcher.fetch("http://example.com/logo.png")
    with pytest.raises(ValueError, match="disallowed protocol"):
        fetcher.fetch("https://example.com/style.css")


# --- Query counts ------------------------------------------------------------------------------------


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_review_page_queries_are_bounded_by_the_number_of_items(
    world: dict[str, Any], asa: dict[str, Any], as_user: ClientFor
) -> None:
    sara = world["sara"]
    export = services.subject_access_create(actor=sara, person=asa["person"], requested_on=date(2025, 3, 1))
    client = as_user("sara")
    client.get(review_url(export))  # warm up: permission ids are cached per process
    for i in range(3):
        services.note_add(actor=sara, section=asa["section"], text=f"Note {i}")
    few = _count(client, review_url(export))
    for i in range(45):
        services.note_add(actor=sara, section=asa["section"], text=f"Note {i}")
    with max_queries(REVIEW_PAGE_QUERIES):
        many = _count(client, review_url(export))
    assert few == many, (few, many)


# --- The API -------------------------------------------------------------------------------------------


def test_api_draft_review_and_release(
    world: dict[str, Any], asa: dict[str, Any], as_user: ClientFor, fake_pdf: None
) -> None:
    client = as_user("sara")
    person = asa["person"]
    response = client.post(
        "/api/subject-access/", {"person": person.pk, "requested_on": "2025-03-01"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    pk, etag = body["id"], response["ETag"]
    keys = {item["key"] for item in body["items"]}
    secret = note_key(asa["secret"])
    assert secret in keys
    url = f"/api/subject-access/{pk}/"

    redact = {"redactions": {secret: "informant"}}
    assert client.post(f"{url}redact/", redact, content_type="application/json").status_code == 428
    stale = client.post(f"{url}redact/", redact, content_type="application/json", headers={"If-Match": '"0-0"'})
    assert stale.status_code == 412
    bad = client.post(
        f"{url}redact/", {"redactions": {secret: "nope"}}, content_type="application/json", headers={"If-Match": etag}
    )
    assert bad.status_code == 400
    done = client.post(f"{url}redact/", redact, content_type="application/json", headers={"If-Match": etag})
    assert done.status_code == 200
    assert next(item for item in done.json()["items"] if item["key"] == secret)["withheld"] == "informant"

    listed = client.get(f"/api/subject-access/?person={person.pk}").json()
    assert [row["id"] for row in listed["results"]] == [pk]

    released = client.post(f"{url}release/")
    assert released.status_code == 200
    assert released.json()["status"] == "released"
    again = client.post(
        f"{url}redact/", redact, content_type="application/json", headers={"If-Match": released["ETag"]}
    )
    assert again.status_code == 400
    data = client.get(f"{url}download/?fmt=json")
    assert data.status_code == 200
    raw = b"".join(data.streaming_content).decode()  # type: ignore[attr-defined]
    assert "Träffade Ämir på torget" in raw
    assert "Kalle" not in raw
    assert client.get(f"{url}download/?fmt=exe").status_code == 400
    assert as_user("petra").get(f"{url}download/?fmt=json").status_code == 404


def test_api_petra_cannot_make_an_export_of_saras_record(world: dict[str, Any], as_user: ClientFor) -> None:
    sami = world["malmo_minor_person"]
    response = as_user("petra").post(
        "/api/subject-access/", {"person": sami.pk, "requested_on": "2025-03-01"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "person" in response.json()
    assert as_user("lena").get("/api/subject-access/").status_code == 404


API_CREATE = {"sara": 201, "erik": 201, "petra": 400, "anders": 400, "karin": 400, "nils": 400}


@pytest.mark.parametrize("persona", ["petra", "anders", "sara", "erik", "karin", "lena", "olof", "ada", "nils", "maja"])
def test_api_create_per_persona(world: dict[str, Any], as_user: ClientFor, persona: str) -> None:
    """Sami is Sara's team's record: a caseworker who cannot change it gets the person field's 400 (the
    same as for a missing record); roles that make no exports get 404."""
    sami = world["malmo_minor_person"]
    response = as_user(persona).post(
        "/api/subject-access/", {"person": sami.pk, "requested_on": "2025-03-01"}, content_type="application/json"
    )
    assert response.status_code == API_CREATE.get(persona, 404)


def test_release_waits_until_every_item_has_been_reviewed(
    world: dict[str, Any], asa: dict[str, Any], as_user: ClientFor, fake_pdf: None
) -> None:
    """A note written after the review, or never reviewed at all, cannot slip out unreviewed."""
    sara = world["sara"]
    export = services.subject_access_create(actor=sara, person=asa["person"], requested_on=date(2025, 3, 1))
    with pytest.raises(ValidationError, match="secrecy review"):
        services.subject_access_release(actor=sara, export=export)
    export = services.subject_access_redact(actor=sara, export=export, version=export.version, redactions={})
    services.note_add(actor=sara, section=asa["section"], text="Ny uppgift om en annan person")
    with pytest.raises(ValidationError, match="secrecy review"):
        services.subject_access_release(actor=sara, export=export)
    page = as_user("sara").get(f"/persons/subject-access/{export.pk}/release/")
    assert 'data-testid="unreviewed"' in page.content.decode()
    assert as_user("sara").post(f"/persons/subject-access/{export.pk}/release/").status_code == 400
    export.refresh_from_db()
    assert export.status == SubjectAccessExport.Status.DRAFT
    export = services.subject_access_redact(actor=sara, export=export, version=export.version, redactions={})
    assert services.subject_access_release(actor=sara, export=export).status == SubjectAccessExport.Status.RELEASED
