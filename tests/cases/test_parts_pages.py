"""The parts of a person record on the pages: contact details, photo, aliases, guardians, consents.

Sara (social worker, exit team) owns the records of Jonas (protected identity) and of Sami (a child,
guardian Lina, alias Sam, a consent to share with Kriminalvården). Erik (exit coordinator) sees the
municipality's records but is not the owning caseworker. Petra (police) holds an identity-only share of
Karin's record of Adam.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from cases import services
from cases.models import Consent, Guardian, Person, PersonAlias, Share, SocialSection
from gvi import access
from gvi.audit.models import AuditAction, AuditEvent
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
JONAS_ADDRESS = "Skyddad väg 1, 211 11 Malmö"
LINA_PHONE = "070-123 45 67"

# Queries of the person page (Sara on Sami, warmed up), measured and the same for 5 and for 50 aliases,
# guardians and consents: session, user, OTP device, the person, its view audit event, shares received,
# five section look-ups (three kinds × full/summary as the role allows), aliases, guardians, consents
# with their recipients and guardians (two prefetches), shares made, reports sent, the may-change check.
# The session is written at most once a minute, and a page's audit events in one INSERT
# (gvi.audit.middleware). A change that adds a query per row fails the 5-vs-50 test.
PERSON_PAGE_QUERIES = 22
# Each part page (Sara on Sami, warmed up): session, user, OTP device, the object (and its person), what the
# page shows (checkbox choices; the consent's recipients, guardians, recorder, may-change check and the count
# of shares on it), the audit events (one INSERT).
PART_PAGE_QUERIES = {
    "photo-edit": 5,
    "alias-add": 5,
    "alias-remove": 5,
    "guardian-add": 5,
    "guardian-remove": 5,
    "consent-create": 7,
    "consent-detail": 10,
    "consent-revoke": 6,
}
# The consent detail with shares on it: the above and the page of shares (its list audit event joins the
# page's one INSERT).
CONSENT_WITH_SHARES_QUERIES = 11


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """Uploads go to a temporary directory, never to the real media root."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def url(name: str, pk: int) -> str:
    paths = {
        "detail": "/persons/{pk}/",
        "edit": "/persons/{pk}/edit/",
        "photo": "/persons/{pk}/photo/",
        "photo-edit": "/persons/{pk}/photo/edit/",
        "alias-add": "/persons/{pk}/aliases/add/",
        "alias-remove": "/persons/aliases/{pk}/remove/",
        "guardian-add": "/persons/{pk}/guardians/add/",
        "guardian-remove": "/persons/guardians/{pk}/remove/",
        "consent-create": "/persons/{pk}/consents/new/",
        "consent-detail": "/persons/consents/{pk}/",
        "consent-document": "/persons/consents/{pk}/document/",
        "consent-revoke": "/persons/consents/{pk}/revoke/",
    }
    return paths[name].format(pk=pk)


def jonas(world: dict[str, Any]) -> Person:
    return world["malmo_jonas_section"].person


def with_contact(world: dict[str, Any]) -> Person:
    """Jonas, protected, with an address and phone recorded by Sara, the owning caseworker."""
    person = jonas(world)
    return services.person_update(
        actor=world["sara"], person=person, version=person.version, address=JONAS_ADDRESS, phone="070-999 99 99"
    )


def edit_data(person: Person, **changes: Any) -> dict[str, Any]:
    data = {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "identity_number": person.identity_number or "",
        "birth_year": person.birth_year,
        "interpreter_language": person.interpreter_language,
        "address": person.address,
        "phone": person.phone,
        "email": person.email,
        "version": person.version,
    }
    if person.protected_identity:
        data["protected_identity"] = "on"
    data.update(changes)
    return data


# --------------------------------------------------------------------------------------------------
# Contact details and protected identity


def test_owning_caseworker_sees_the_contact_details_of_a_protected_identity(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    person = with_contact(world)
    page = as_user("sara").get(url("detail", person.pk))
    assert page.status_code == 200
    assert page.context["contact_visible"] is True
    assert "Skyddad väg 1" in page.content.decode()
    assert 'data-testid="contact-hidden"' not in page.content.decode()


def test_exit_coordinator_sees_the_protected_person_but_not_where_they_live(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    person = with_contact(world)
    page = as_user("erik").get(url("detail", person.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="contact-hidden"' in html
    assert "Skyddad väg 1" not in html
    assert "070-999 99 99" not in html


def test_edit_form_hides_protected_contact_fields_from_others_and_keeps_them_unchanged(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    person = with_contact(world)
    erik = as_user("erik")

    form = erik.get(url("edit", person.pk))
    assert form.status_code == 200
    assert not {"address", "phone", "email", "protected_identity"} & set(form.context["form"].fields)
    assert "Skyddad väg 1" not in form.content.decode()

    # Whatever is posted for them is not the form's to submit: not the contact details, not the protection.
    data = edit_data(person, interpreter_language="tigrinja", address="Elsewhere 2", phone="")
    del data["protected_identity"]
    response = erik.post(url("edit", person.pk), data)

    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.interpreter_language, person.address, person.phone) == ("tigrinja", JONAS_ADDRESS, "070-999 99 99")
    assert person.protected_identity


def test_owning_caseworker_edits_the_contact_details(world: dict[str, Any], as_user: ClientFor) -> None:
    person = with_contact(world)
    sara = as_user("sara")
    assert {"address", "phone", "email"} <= set(sara.get(url("edit", person.pk)).context["form"].fields)

    response = sara.post(url("edit", person.pk), edit_data(person, address="Ny gata 3", email="jonas@example.org"))

    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.address, person.email) == ("Ny gata 3", "jonas@example.org")
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=str(person.pk)).latest("id")
    assert event.detail == {"fields": ["address", "email"]}, "field names only, never the values"


def test_a_bad_e_mail_address_is_a_form_error(world: dict[str, Any], as_user: ClientFor) -> None:
    person = world["malmo_social_person"]
    response = as_user("sara").post(url("edit", person.pk), edit_data(person, email="not an address"))
    assert response.status_code == 200
    assert "email" in response.context["form"].errors


def test_registering_a_person_records_the_contact_details(world: dict[str, Any], as_user: ClientFor) -> None:
    response = as_user("sara").post(
        "/persons/new/",
        {"given_name": "Vera", "family_name": "Kontakt", "birth_year": 2004, "phone": "070-1", "address": "Gatan 1"},
    )
    assert response.status_code == 302
    person = Person.objects.get(given_name="Vera", family_name="Kontakt")
    assert (person.phone, person.address) == ("070-1", "Gatan 1")


def test_guardian_contact_details_are_hidden_like_the_persons(world: dict[str, Any], as_user: ClientFor) -> None:
    sami = world["malmo_minor_person"]
    services.person_update(actor=world["sara"], person=sami, version=sami.version, protected_identity=True)

    sara_page = as_user("sara").get(url("detail", sami.pk)).content.decode()
    erik_page = as_user("erik").get(url("detail", sami.pk)).content.decode()

    assert "Lina Nordström" in sara_page
    assert LINA_PHONE in sara_page
    assert "Lina Nordström" in erik_page
    assert LINA_PHONE not in erik_page
    assert 'data-testid="guardian-contact-hidden"' in erik_page


# --------------------------------------------------------------------------------------------------
# Photo


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_png_that_is_really_text_is_refused_and_nothing_is_stored(
    world: dict[str, Any], as_user: ClientFor, media: Path
) -> None:
    sami = world["malmo_minor_person"]
    response = as_user("sara").post(url("photo-edit", sami.pk), {"photo": upload("face.png", b"just some text\n")})

    assert response.status_code == 400
    assert "This file type is not accepted. Upload one of: JPEG, PNG." in response.context["form"].errors["photo"]
    sami.refresh_from_db()
    assert not sami.photo
    assert stored_files(media) == []


def test_a_photo_over_5_mb_is_refused(world: dict[str, Any], as_user: ClientFor, media: Path) -> None:
    sami = world["malmo_minor_person"]
    big = PNG + b"\x00" * (5 * 1024 * 1024)
    response = as_user("sara").post(url("photo-edit", sami.pk), {"photo": upload("big.png", big)})
    assert response.status_code == 400
    assert "too large" in response.context["form"].errors["photo"][0]
    assert stored_files(media) == []


def test_photo_upload_is_served_inline_to_those_who_see_the_record_and_audited(
    world: dict[str, Any], as_user: ClientFor, media: Path
) -> None:
    sami = world["malmo_minor_person"]
    saved = as_user("sara").post(url("photo-edit", sami.pk), {"photo": upload("sami.jpeg", JPEG, "image/jpeg")})
    assert saved.status_code == 302
    sami.refresh_from_db()
    assert sami.photo.name.endswith(".jpg")
    assert "Sami" not in sami.photo.name, "the stored name must not tell whose photo it is"

    page = as_user("sara").get(url("detail", sami.pk)).content.decode()
    assert f'src="{url("photo", sami.pk)}"' in page

    for user in ("sara", "erik"):
        response = as_user(user).get(url("photo", sami.pk))
        assert response.status_code == 200, user
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"].startswith("inline")
        assert response["Cache-Control"] == "private, no-store"
        assert response.getvalue() == JPEG
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, actor_username="erik", object_id=str(sami.pk), purpose="photo"
    ).exists()
    for outsider in ("petra", "karin", "lena", "nils", "ada"):
        assert as_user(outsider).get(url("photo", sami.pk)).status_code == 404, outsider


def test_a_shared_identity_does_not_show_the_photo(world: dict[str, Any], as_user: ClientFor, media: Path) -> None:
    """Petra's team holds an identity share of Karin's record of Adam: name and birth year, no photo."""
    adam = world["malmo_probation_person"]
    services.person_photo_set(actor=world["karin"], person=adam, upload=upload("adam.png", PNG))
    petra = as_user("petra")

    identity_page = petra.get(url("detail", adam.pk))
    assert identity_page.status_code == 200
    assert set(identity_page.context["identity"]) == {"id", "given_name", "family_name", "birth_year"}
    assert url("photo", adam.pk) not in identity_page.content.decode()
    assert petra.get(url("photo", adam.pk)).status_code == 404
    assert as_user("karin").get(url("photo", adam.pk)).status_code == 200


def test_no_photo_is_404(world: dict[str, Any], as_user: ClientFor) -> None:
    assert as_user("sara").get(url("photo", world["malmo_minor_person"].pk)).status_code == 404


def test_removing_the_photo_asks_first(world: dict[str, Any], as_user: ClientFor, media: Path) -> None:
    sami = world["malmo_minor_person"]
    services.person_photo_set(actor=world["sara"], person=sami, upload=upload("sami.png", PNG))
    sara = as_user("sara")

    confirm = sara.get(url("photo-edit", sami.pk), {"remove": "1"})
    assert confirm.status_code == 200
    assert 'name="remove" value="1"' in confirm.content.decode()
    sami.refresh_from_db()
    assert sami.photo

    done = sara.post(url("photo-edit", sami.pk), {"remove": "1"})

    assert done.status_code == 302
    sami.refresh_from_db()
    assert not sami.photo
    assert sara.get(url("photo", sami.pk)).status_code == 404


# --------------------------------------------------------------------------------------------------
# Aliases


def test_alias_added_on_the_person_page_is_listed(world: dict[str, Any], as_user: ClientFor) -> None:
    sami = world["malmo_minor_person"]
    sara = as_user("sara")
    page = sara.get(url("detail", sami.pk)).content.decode()
    assert f'action="{url("alias-add", sami.pk)}"' in page

    response = sara.post(url("alias-add", sami.pk), {"name": "Sammy", "kind": "nickname"})

    assert response.status_code == 302
    assert PersonAlias.objects.filter(person=sami, name="Sammy", kind="nickname").exists()
    assert "Sammy" in sara.get(url("detail", sami.pk)).content.decode()


def test_the_same_alias_twice_is_a_form_error(world: dict[str, Any], as_user: ClientFor) -> None:
    sami = world["malmo_minor_person"]
    response = as_user("sara").post(url("alias-add", sami.pk), {"name": "sam", "kind": "alias"})
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["The person already has this alias."]
    assert sami.aliases.count() == 1


def test_an_unknown_alias_kind_is_a_form_error_not_a_500(world: dict[str, Any], as_user: ClientFor) -> None:
    sami = world["malmo_minor_person"]
    response = as_user("sara").post(url("alias-add", sami.pk), {"name": "X", "kind": "codename"})
    assert response.status_code == 400
    assert "kind" in response.context["form"].errors


def test_removing_an_alias_asks_first(world: dict[str, Any], as_user: ClientFor) -> None:
    alias = world["malmo_minor_person"].aliases.get(name="Sam")
    erik = as_user("erik")

    assert erik.get(url("alias-remove", alias.pk)).status_code == 200
    assert PersonAlias.objects.filter(pk=alias.pk).exists()
    assert erik.post(url("alias-remove", alias.pk)).status_code == 302
    assert not PersonAlias.objects.filter(pk=alias.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.DELETE, object_id=str(alias.pk)).exists()


def test_another_teams_alias_cannot_be_removed(world: dict[str, Any], as_user: ClientFor) -> None:
    alias = world["malmo_minor_person"].aliases.get(name="Sam")
    for outsider in ("malin", "petra", "nils"):
        assert as_user(outsider).post(url("alias-remove", alias.pk)).status_code == 404, outsider
    assert PersonAlias.objects.filter(pk=alias.pk).exists()


# --------------------------------------------------------------------------------------------------
# Guardians


def test_guardian_is_added_to_a_child(world: dict[str, Any], as_user: ClientFor) -> None:
    sami = world["malmo_minor_person"]
    response = as_user("sara").post(
        url("guardian-add", sami.pk), {"name": "Omar Nordström", "relation": "father", "phone": "070-2"}
    )
    assert response.status_code == 302
    assert sami.guardians.filter(name="Omar Nordström", relation="father", phone="070-2").exists()


def test_an_adult_gets_no_guardian(world: dict[str, Any], as_user: ClientFor) -> None:
    adam = world["malmo_social_person"]
    response = as_user("sara").post(url("guardian-add", adam.pk), {"name": "X", "relation": "mother"})
    assert response.status_code == 400
    assert "Guardians are recorded only for a person under 18." in response.context["form"].non_field_errors()
    assert not adam.guardians.exists()


def test_a_guardian_who_consented_cannot_be_removed_and_the_page_says_why(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    lina = world["malmo_minor_person"].guardians.get(name="Lina Nordström")
    response = as_user("sara").post(url("guardian-remove", lina.pk))
    assert response.status_code == 400
    assert "This guardian gave a recorded consent and stays on record with it." in response.content.decode()
    assert Guardian.objects.filter(pk=lina.pk).exists()


def test_a_guardian_without_consent_is_removed_after_confirmation(world: dict[str, Any], as_user: ClientFor) -> None:
    sami = world["malmo_minor_person"]
    guardian = services.guardian_add(actor=world["sara"], person=sami, name="Omar", relation="father")
    sara = as_user("sara")
    assert sara.get(url("guardian-remove", guardian.pk)).status_code == 200
    assert Guardian.objects.filter(pk=guardian.pk).exists()
    assert sara.post(url("guardian-remove", guardian.pk)).status_code == 302
    assert not Guardian.objects.filter(pk=guardian.pk).exists()


# --------------------------------------------------------------------------------------------------
# Consents


def consent_form(world: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "given_on": timezone.localdate().isoformat(),
        "recipients": [world["petra"].agency_id],
        "subjects": ["identity", "social"],
        "guardians": [],
        "note": "",
    }
    data.update(changes)
    return data


def test_consent_form_offers_the_programs_other_agencies_and_the_childs_guardians(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    sami = world["malmo_minor_person"]
    form = as_user("sara").get(url("consent-create", sami.pk)).context["form"]
    offered = set(form.fields["recipients"].queryset)
    assert offered == {world["petra"].agency, world["karin"].agency}, "not the owning agency, not another program"
    assert list(form.fields["guardians"].queryset) == list(sami.guardians.all())
    assert form["given_on"].value() == timezone.localdate()


def test_consent_for_a_child_without_a_guardian_is_a_form_error(world: dict[str, Any], as_user: ClientFor) -> None:
    sami = world["malmo_minor_person"]
    before = Consent.objects.filter(person=sami).count()

    response = as_user("sara").post(url("consent-create", sami.pk), consent_form(world))

    assert response.status_code == 400
    assert "guardian (vårdnadshavare) consented" in response.context["form"].errors["guardians"][0]
    assert Consent.objects.filter(person=sami).count() == before


def test_consent_to_another_programs_agency_is_refused(world: dict[str, Any], as_user: ClientFor) -> None:
    adam = world["malmo_social_person"]
    response = as_user("sara").post(
        url("consent-create", adam.pk), consent_form(world, recipients=[world["nils"].agency_id])
    )
    assert response.status_code == 400
    assert "recipients" in response.context["form"].errors
    assert not Consent.objects.filter(person=adam).exists()


def test_consent_with_its_signed_document_is_recorded_and_the_document_downloaded_by_those_who_see_it(
    world: dict[str, Any], as_user: ClientFor, media: Path
) -> None:
    sami = world["malmo_minor_person"]
    lina = sami.guardians.get(name="Lina Nordström")
    sara = as_user("sara")

    response = sara.post(
        url("consent-create", sami.pk),
        consent_form(world, guardians=[lina.pk], document=upload("signed.pdf", PDF, "application/pdf")),
    )

    assert response.status_code == 302
    consent = Consent.objects.filter(person=sami).latest("id")
    assert response["Location"] == url("consent-detail", consent.pk)
    assert list(consent.guardians.all()) == [lina]
    assert consent.subjects == ["identity", "social"]
    detail = sara.get(url("consent-detail", consent.pk)).content.decode()
    assert url("consent-document", consent.pk) in detail
    download = as_user("erik").get(url("consent-document", consent.pk))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")
    assert download.getvalue() == PDF
    assert AuditEvent.objects.filter(
        actor_username="erik", object_id=str(consent.pk), purpose="consent document"
    ).exists()
    for outsider in ("malin", "petra", "karin", "nils", "olof"):
        assert as_user(outsider).get(url("consent-document", consent.pk)).status_code == 404, outsider


def test_a_consent_document_that_is_not_a_pdf_or_image_is_refused(
    world: dict[str, Any], as_user: ClientFor, media: Path
) -> None:
    adam = world["malmo_social_person"]
    response = as_user("sara").post(
        url("consent-create", adam.pk), consent_form(world, document=upload("signed.pdf", b"MZ\x90\x00 exe"))
    )
    assert response.status_code == 400
    assert "This file type is not accepted" in response.context["form"].errors["document"][0]
    assert not Consent.objects.filter(person=adam).exists()
    assert stored_files(media) == []


def test_a_consent_without_a_document_has_none_to_download(world: dict[str, Any], as_user: ClientFor) -> None:
    consent = world["malmo_minor_consent"]
    assert as_user("sara").get(url("consent-document", consent.pk)).status_code == 404


def shared_on_consent(world: dict[str, Any]) -> tuple[Consent, Share]:
    """Adam consents to the police receiving his social-services section; Sara shares it on that consent."""
    sara, adam = world["sara"], world["malmo_social_person"]
    consent = services.consent_record(
        actor=sara,
        person=adam,
        given_on=timezone.localdate() - timedelta(days=3),
        recipients=[world["petra"].agency],
        subjects=["social"],
    )
    share = services.share_create(
        actor=sara,
        person=adam,
        subject="social",
        scope="full",
        receiving_agency=world["petra"].agency,
        legal_basis="consent",
        consent=consent,
        purpose="Samordning",
        note_to_recipient="Hela avsnittet.",
        valid_until=timezone.localdate() + timedelta(days=30),
    )
    return consent, share


def test_consent_detail_lists_the_shares_made_on_it(world: dict[str, Any], as_user: ClientFor) -> None:
    consent, share = shared_on_consent(world)
    response = as_user("sara").get(url("consent-detail", consent.pk))
    assert response.status_code == 200
    assert [s.pk for s in response.context["page"].object_list] == [share.pk]
    event = AuditEvent.objects.filter(action=AuditAction.LIST, actor_username="sara").latest("id")
    assert event.object_ids == [str(share.pk)]


def test_revoking_a_consent_asks_first_then_ends_its_shares(world: dict[str, Any], as_user: ClientFor) -> None:
    consent, share = shared_on_consent(world)
    section = world["malmo_social_section"]
    assert access.visible(world["petra"], SocialSection).filter(pk=section.pk).exists()
    sara = as_user("sara")

    confirm = sara.get(url("consent-revoke", consent.pk))
    assert confirm.status_code == 200
    assert confirm.context["ending"] == 1
    assert "1 active share made on it ends at once." in confirm.content.decode()
    consent.refresh_from_db()
    assert consent.is_active

    done = sara.post(url("consent-revoke", consent.pk), {"revoked_on": ""})

    assert done.status_code == 302
    consent.refresh_from_db()
    share.refresh_from_db()
    assert consent.revoked_on == timezone.localdate()
    assert (share.ended_reason, share.ended_by) == (Share.Ended.CONSENT_REVOKED, world["sara"])
    assert not access.visible(world["petra"], SocialSection).filter(pk=section.pk).exists()
    assert as_user("petra").get(f"/persons/sections/social/{section.pk}/").status_code == 404


def test_a_revocation_date_before_the_consent_is_a_form_error(world: dict[str, Any], as_user: ClientFor) -> None:
    consent = world["malmo_minor_consent"]
    too_early = (consent.given_on - timedelta(days=1)).isoformat()
    response = as_user("sara").post(url("consent-revoke", consent.pk), {"revoked_on": too_early})
    assert response.status_code == 400
    assert "revoked_on" in response.context["form"].errors
    consent.refresh_from_db()
    assert consent.is_active


def test_revoking_twice_changes_nothing(world: dict[str, Any], as_user: ClientFor) -> None:
    consent = world["malmo_minor_consent"]
    sara = as_user("sara")
    assert sara.post(url("consent-revoke", consent.pk), {"revoked_on": ""}).status_code == 302
    consent.refresh_from_db()
    first = consent.revoked_at
    assert sara.post(url("consent-revoke", consent.pk), {"revoked_on": "not a date"}).status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at == first


# --------------------------------------------------------------------------------------------------
# Query counts: the person page and each part page are bounded


def measure(client: Client, path: str, limit: int) -> int:
    client.get(path)  # warm up: per-process caches (permission ids, content types)
    with max_queries(limit) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured.captured_queries)


def top_up_parts(world: dict[str, Any], person: Person, total: int) -> None:
    """Aliases, guardians and consents (one guardian each) until the person has `total` of each."""
    sara = world["sara"]
    for i in range(person.aliases.count(), total):
        services.alias_add(actor=sara, person=person, name=f"Alias {i:03d}")
    for i in range(person.guardians.count(), total):
        services.guardian_add(actor=sara, person=person, name=f"Guardian {i:03d}", relation="other")
    guardians = list(person.guardians.order_by("id"))
    for i in range(person.consents.count(), total):
        services.consent_record(
            actor=sara,
            person=person,
            given_on=timezone.localdate(),
            recipients=[world["petra"].agency, world["karin"].agency],
            subjects=["identity", "social"],
            guardians=guardians[i % len(guardians) : i % len(guardians) + 2],
        )


def test_person_page_runs_the_same_queries_for_5_and_50_aliases_guardians_and_consents(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    sami = world["malmo_minor_person"]
    sara = as_user("sara")
    top_up_parts(world, sami, 5)
    with_few = measure(sara, url("detail", sami.pk), PERSON_PAGE_QUERIES)
    top_up_parts(world, sami, 50)
    with_many = measure(sara, url("detail", sami.pk), PERSON_PAGE_QUERIES)
    page = sara.get(url("detail", sami.pk))
    assert len(page.context["aliases"]) == len(page.context["guardians"]) == len(page.context["consents"]) == 50
    assert with_few == with_many == PERSON_PAGE_QUERIES


def test_consent_detail_runs_the_same_queries_for_one_share_and_a_page_of_them(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    consent, share = shared_on_consent(world)
    sara = as_user("sara")
    with_one = measure(sara, url("consent-detail", consent.pk), CONSENT_WITH_SHARES_QUERIES)
    for _i in range(60):
        services.share_create(
            actor=world["sara"],
            person=share.person,
            subject="social",
            scope="summary",
            receiving_agency=world["petra"].agency,
            legal_basis="consent",
            consent=consent,
            purpose="Samordning",
            note_to_recipient="Sammanfattning.",
            valid_until=share.valid_until,
        )
    with_many = measure(sara, url("consent-detail", consent.pk), CONSENT_WITH_SHARES_QUERIES)
    assert with_one == with_many == CONSENT_WITH_SHARES_QUERIES


@pytest.mark.parametrize("part", sorted(PART_PAGE_QUERIES))
def test_part_pages_run_a_fixed_number_of_queries(world: dict[str, Any], as_user: ClientFor, part: str) -> None:
    sami, consent = world["malmo_minor_person"], world["malmo_minor_consent"]
    top_up_parts(world, sami, 5)
    pk = {
        "alias-remove": sami.aliases.get(name="Sam").pk,
        "guardian-remove": sami.guardians.get(name="Lina Nordström").pk,
        "consent-detail": consent.pk,
        "consent-revoke": consent.pk,
    }.get(part, sami.pk)
    assert measure(as_user("sara"), url(part, pk), PART_PAGE_QUERIES[part]) == PART_PAGE_QUERIES[part]
