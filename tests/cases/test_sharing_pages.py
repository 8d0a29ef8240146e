"""Shares and reports of concern on the pages: a share needs a legal basis that holds (10:18 a only under
21, a consent that covers it, a last day not past); the sender sees and revokes it, the recipient sees
what was shared and links it to its own record, and the sender never learns about that link. The sender
of a report of concern sees that it was received, never what social services concluded.

Personas: Petra and Anders (police, Sluta skjut-gruppen), Sara (social worker) and Erik (exit
coordinator) at Malmö stad, Karin (probation officer).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services
from cases.models import ConcernReport, Share
from gvi.audit.models import AuditAction, AuditEvent
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]

# Measured with a warmed-up process, the same for 5 and for 50 shares: session, user, device, count,
# page rows, list audit event, session save (3).
SHARES_RECEIVED_QUERIES = 10


def share_form(world: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "subject": "identity",
        "scope": "summary",
        "receiving_agency": world["sara"].agency_id,
        "receiving_team": "",
        "legal_basis": "osl_10_2",
        "consent": "",
        "purpose": "Samordning",
        "note_to_recipient": "Bara identiteten.",
        "valid_until": (timezone.localdate() + timedelta(days=30)).isoformat(),
        **changes,
    }


# --- Making a share ------------------------------------------------------------------------------


def test_share_form_offers_identity_and_the_sections_the_sender_sees(world: dict[str, Any], as_user: ClientFor) -> None:
    person = world["malmo_probation_person"]
    response = as_user("karin").get(f"/persons/{person.pk}/shares/new/")
    assert response.status_code == 200
    form = response.context["form"]
    assert [value for value, _label in form.fields["subject"].choices] == ["identity", "probation"]
    agencies = {a.pk for a in form.fields["receiving_agency"].queryset}
    assert world["karin"].agency_id not in agencies
    assert world["petra"].agency_id in agencies
    assert form.initial["valid_until"] == timezone.localdate() + timedelta(days=90)


def test_osl_10_18a_is_refused_for_adam_born_2003(world: dict[str, Any], as_user: ClientFor) -> None:
    person = world["malmo_police_person"]  # Adam Karlsson, born 2003
    response = as_user("petra").post(f"/persons/{person.pk}/shares/new/", share_form(world, legal_basis="osl_10_18a"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "under 21" in errors["legal_basis"][0]
    assert not Share.objects.filter(person=person, receiving_agency=world["sara"].agency).exists()


def test_a_last_valid_day_in_the_past_is_a_field_error(world: dict[str, Any], as_user: ClientFor) -> None:
    person = world["malmo_police_person"]
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = as_user("petra").post(f"/persons/{person.pk}/shares/new/", share_form(world, valid_until=yesterday))
    assert response.status_code == 200
    assert response.context["form"].errors["valid_until"]


def test_a_consent_that_does_not_cover_the_recipient_is_a_field_error(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    person, consent = world["malmo_minor_person"], world["malmo_minor_consent"]  # covers Kriminalvården only
    response = as_user("sara").post(
        f"/persons/{person.pk}/shares/new/",
        share_form(world, receiving_agency=world["petra"].agency_id, legal_basis="consent", consent=consent.pk),
    )
    assert response.status_code == 200
    assert "does not cover" in response.context["form"].errors["consent"][0]


def test_a_share_is_made_and_shown_to_the_sender(world: dict[str, Any], as_user: ClientFor) -> None:
    person = world["malmo_police_person"]
    response = as_user("petra").post(
        f"/persons/{person.pk}/shares/new/", share_form(world, receiving_team=world["sara"].team_id)
    )
    assert response.status_code == 302
    share = Share.objects.get(person=person, receiving_agency=world["sara"].agency)
    assert response["Location"] == f"/persons/shares/{share.pk}/"
    content = as_user("petra").get(f"/persons/{person.pk}/").content.decode()
    assert f"/persons/shares/{share.pk}/" in content
    assert "Active" in content


# --- Reading, revoking and linking a share -------------------------------------------------------


def test_recipient_sees_what_was_shared_and_the_identity_but_no_contact_data(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    share = world["malmo_share"]
    response = as_user("petra").get(f"/persons/shares/{share.pk}/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Kriminalvården Malmö" in content
    assert "Adam Karlsson (2003)" in content
    assert share.note_to_recipient in content
    assert f"/persons/sections/probation/{world['malmo_probation_section'].pk}/" in content
    assert "/link/" in content
    assert "/revoke/" not in content
    assert share.person.identity_number not in content
    assert response.context["sender"] is False


def test_sender_sees_status_and_revoke_but_never_the_recipients_link(world: dict[str, Any], as_user: ClientFor) -> None:
    share = world["malmo_share"]
    assert share.recipient_person_id is not None  # the police's own record of Adam, linked by number
    content = as_user("karin").get(f"/persons/shares/{share.pk}/").content.decode()
    assert "Active" in content
    assert f"/persons/shares/{share.pk}/revoke/" in content
    assert "Our record" not in content
    assert f"/persons/{share.recipient_person_id}/" not in content


def test_revoking_asks_first_and_ends_the_recipients_access_at_once(world: dict[str, Any], as_user: ClientFor) -> None:
    share, section = world["malmo_share"], world["malmo_probation_section"]
    karin, petra = as_user("karin"), as_user("petra")
    confirm = karin.get(f"/persons/shares/{share.pk}/revoke/")
    assert confirm.status_code == 200
    assert Share.objects.get(pk=share.pk).ended_at is None
    assert karin.post(f"/persons/shares/{share.pk}/revoke/").status_code == 302
    assert Share.objects.get(pk=share.pk).status == Share.Ended.REVOKED
    assert petra.get(f"/persons/shares/{share.pk}/").status_code == 404
    assert petra.get(f"/persons/sections/probation/{section.pk}/").status_code == 404
    assert "Revoked" in karin.get(f"/persons/shares/{share.pk}/").content.decode()


def test_recipient_finds_and_links_its_own_record_then_unlinks(world: dict[str, Any], as_user: ClientFor) -> None:
    share, own = world["malmo_share"], world["malmo_police_person"]
    client = as_user("petra")
    url = f"/persons/shares/{share.pk}/link/"
    assert client.post(url, {"action": "unlink"}).status_code == 302
    assert Share.objects.get(pk=share.pk).recipient_person_id is None
    found = client.post(url, {"action": "search", "term": "Karlsson"})
    assert found.status_code == 200
    assert own in found.context["results"]
    event = AuditEvent.objects.filter(actor_id=world["petra"].pk).order_by("-id").first()
    assert event is not None
    assert event.action == AuditAction.SEARCH
    assert client.post(url, {"action": "link", "person": own.pk}).status_code == 302
    assert Share.objects.get(pk=share.pk).recipient_person_id == own.pk


def test_recipient_cannot_link_to_another_agencys_record(world: dict[str, Any], as_user: ClientFor) -> None:
    share = world["malmo_share"]
    response = as_user("petra").post(
        f"/persons/shares/{share.pk}/link/", {"action": "link", "person": world["malmo_social_person"].pk}
    )
    assert response.status_code == 200
    assert response.context["link_form"].errors["person"]


def test_shares_received_lists_the_active_ones_and_says_when_there_are_none(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    response = as_user("petra").get("/persons/shares/received/")
    assert world["malmo_share"] in response.context["page"].object_list
    assert as_user("petra").get("/persons/shares/received/?ended=1&sort=valid").status_code == 200
    empty = as_user("nils").get("/persons/shares/received/").content.decode()
    assert "Nothing is shared with you now" in empty


def test_shares_received_queries_are_bounded(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    url = "/persons/shares/received/"
    client.get(url)

    def share(count: int) -> None:
        person = world["malmo_probation_person"]
        for _number in range(count):
            services.share_create(
                actor=world["karin"],
                person=person,
                subject="identity",
                receiving_agency=world["petra"].agency,
                receiving_team=world["petra"].team,
                legal_basis="osl_10_2",
                purpose="Samordning",
                note_to_recipient="Bara identiteten.",
                valid_until=timezone.localdate() + timedelta(days=30),
            )

    share(4)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(url).context["page"].object_list) == 5
    share(45)
    with max_queries(SHARES_RECEIVED_QUERIES) as many:
        assert len(client.get(url).context["page"].object_list) == 50
    assert len(few.captured_queries) == len(many.captured_queries)


# --- Reports of concern --------------------------------------------------------------------------


def test_sender_sees_only_that_the_report_was_received_never_the_assessment(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    report = world["malmo_concern"]
    services.concern_assess(
        actor=world["sara"],
        report=report,
        version=report.version,
        outcome="investigation",
        assessment="HEMLIG-BEDÖMNING: utredning inleds.",
    )
    response = as_user("petra").get(f"/persons/concerns/{report.pk}/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "HEMLIG-BEDÖMNING" not in content
    assert "Investigation opened" not in content
    assert "springpojke" not in content  # not even the concern text is repeated
    assert "Malmö stad" in content
    assert set(response.context["status"]) == {"id", "created_at", "receiving_agency", "received_at"}
    assert response.context["status"]["received_at"] is not None
    person_page = as_user("petra").get(f"/persons/{report.person_id}/").content.decode()
    assert "Received" in person_page
    assert "HEMLIG-BEDÖMNING" not in person_page
    assert "HEMLIG-BEDÖMNING" in as_user("sara").get(f"/persons/concerns/{report.pk}/").content.decode()


def test_social_services_confirm_receipt_and_assess(world: dict[str, Any], as_user: ClientFor) -> None:
    report = world["malmo_concern"]
    erik = as_user("erik")
    listed = erik.get("/persons/concerns/")
    assert report in listed.context["page"].object_list
    assert erik.post(f"/persons/concerns/{report.pk}/receive/").status_code == 302
    received = ConcernReport.objects.get(pk=report.pk)
    assert received.received_at is not None
    assert received.received_by == world["erik"]
    response = erik.post(
        f"/persons/concerns/{report.pk}/assess/",
        {"outcome": "already_known", "assessment": "Känd sedan tidigare.", "version": received.version},
    )
    assert response.status_code == 302
    assert ConcernReport.objects.get(pk=report.pk).outcome == "already_known"


def test_stale_assessment_shows_both_versions(world: dict[str, Any], as_user: ClientFor) -> None:
    report = world["malmo_concern"]
    services.concern_assess(
        actor=world["erik"], report=report, version=report.version, outcome="investigation", assessment="Eriks."
    )
    response = as_user("sara").post(
        f"/persons/concerns/{report.pk}/assess/",
        {"outcome": "no_investigation", "assessment": "Saras.", "version": report.version},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Saved by someone else meanwhile" in content
    assert "Eriks." in content
    assert "Saras." in content
    assert ConcernReport.objects.get(pk=report.pk).assessment == "Eriks."


def test_police_file_a_report_about_a_child_and_return_to_the_person(world: dict[str, Any], as_user: ClientFor) -> None:
    child = world["malmo_police_minor"]
    response = as_user("anders").post(
        f"/persons/{child.pk}/concern/new/",
        {"receiving_agency": world["sara"].agency_id, "concern": "Sedd sent på kvällen.", "reporter_phone": "010-1"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/persons/{child.pk}/"
    assert ConcernReport.objects.filter(person=child, created_by=world["anders"]).exists()


def test_a_report_about_an_adult_is_a_form_error(world: dict[str, Any], as_user: ClientFor) -> None:
    adult = world["malmo_police_person"]
    response = as_user("petra").post(
        f"/persons/{adult.pk}/concern/new/",
        {"receiving_agency": world["sara"].agency_id, "concern": "x", "reporter_phone": "010-1"},
    )
    assert response.status_code == 200
    assert "18 or older" in response.content.decode()
    assert not ConcernReport.objects.filter(person=adult).exists()


def test_a_missing_phone_number_is_a_field_error(world: dict[str, Any], as_user: ClientFor) -> None:
    child = world["malmo_police_minor"]
    response = as_user("petra").post(
        f"/persons/{child.pk}/concern/new/", {"receiving_agency": "abc", "concern": "x", "reporter_phone": ""}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"receiving_agency", "reporter_phone"}


# --- Navigation ----------------------------------------------------------------------------------


def test_navigation_shows_shares_and_reports_to_the_roles_that_may_see_them(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    petra = as_user("petra").get("/persons/").content.decode()
    sara = as_user("sara").get("/persons/").content.decode()
    assert 'href="/persons/shares/received/"' in petra
    assert 'href="/persons/concerns/"' not in petra
    assert 'href="/persons/shares/received/"' in sara
    assert 'href="/persons/concerns/"' in sara
