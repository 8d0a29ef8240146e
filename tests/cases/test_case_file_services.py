"""The case-file services directly: sections, append-only journal notes, guardians, consent, shares,
reports of concern and protected contact details, and the grant expiry the access policy applies.

Each rule is told as what a persona may or may not do; the pages and the API only pass these errors on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.http import Http404
from django.utils import timezone, translation

from cases import selectors, services
from cases.models import (
    ConcernReport,
    Consent,
    Guardian,
    Person,
    PoliceNote,
    PoliceSection,
    PoliceSectionGroupObjectPermission,
    Share,
)
from gvi import access
from gvi.accounts.models import Agency, Role, Staff
from tests.conftest import requires_postgres


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are compared as written (English source strings)."""
    with translation.override("en"):
        yield


def today() -> date:
    return timezone.localdate()


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def jonas(world: dict[str, Any]) -> Person:
    """Sara's record of Jonas: protected identity."""
    person = Person.objects.get(owner_agency=world["sara"].agency, given_name="Jonas", family_name="Pettersson")
    assert person.protected_identity
    return person


def agency(slug: str) -> Agency:
    return Agency.objects.get(slug=slug)


# --------------------------------------------------------------------------------------------------
# Sections: one of a kind per record, opened only by the agency that keeps that kind


def test_a_person_has_at_most_one_section_of_a_kind(world: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="already has this section"):
        services.section_create(actor=world["petra"], person=world["malmo_police_person"], kind="police")
    assert PoliceSection.objects.filter(person=world["malmo_police_person"]).count() == 1


def test_a_social_worker_cannot_open_a_police_section(world: dict[str, Any]) -> None:
    with pytest.raises(Http404):
        services.section_create(actor=world["sara"], person=world["malmo_social_person"], kind="police")
    assert not PoliceSection.objects.filter(person=world["malmo_social_person"]).exists()


def test_the_police_cannot_open_a_social_section_nor_a_section_on_another_agencys_record(
    world: dict[str, Any],
) -> None:
    police_minor = world["malmo_police_minor"]
    with pytest.raises(Http404):
        services.section_create(actor=world["petra"], person=police_minor, kind="social")
    with pytest.raises(Http404):
        services.section_create(actor=world["petra"], person=world["malmo_minor_person"], kind="police")


def test_a_section_kind_follows_the_agency_not_only_the_role(world: dict[str, Any]) -> None:
    """A police role misplaced in a municipality still opens no police section there."""
    misplaced = Staff.objects.create(
        username="misplaced",
        role=Role.POLICE_COORDINATOR,
        program=world["sara"].program,
        agency=world["sara"].agency,
    )
    person = services.person_create(actor=misplaced, given_name="Ivo", family_name="Berg", birth_year=2004)
    with pytest.raises(ValidationError, match="Only the agency that keeps this kind of section"):
        services.section_create(actor=misplaced, person=person, kind="police")


def test_the_owning_agency_updates_its_section(world: dict[str, Any]) -> None:
    section = world["malmo_police_section"]
    fresh = services.section_update(actor=world["petra"], section=section, version=section.version, risk_level="low")
    assert isinstance(fresh, PoliceSection)
    assert (fresh.risk_level, fresh.version) == ("low", section.version + 1)


def test_a_probation_officer_must_belong_to_the_agency(world: dict[str, Any]) -> None:
    section = world["malmo_probation_section"]
    with pytest.raises(ValidationError) as refused:
        services.section_update(
            actor=world["karin"], section=section, version=section.version, probation_officer=world["sara"]
        )
    assert "probation_officer" in errors_of(refused)


# --------------------------------------------------------------------------------------------------
# Journal notes: append-only; a correction is a new note of the same section


def test_a_correction_is_a_new_note_and_the_original_stays_as_written(world: dict[str, Any]) -> None:
    petra, section, original = world["petra"], world["malmo_police_section"], world["malmo_police_note"]
    text = original.text

    correction = services.note_add(
        actor=petra, section=section, text="Rättelse: hotet gällde brodern.", corrects=original
    )

    original.refresh_from_db()
    assert original.text == text
    assert correction.corrects == original
    assert list(original.corrections.all()) == [correction]
    view = selectors.section_for(petra, "police", section.pk, purpose="test")
    assert [n.pk for n in selectors.section_journal(petra, view)] == [correction.pk, original.pk]


def test_a_correction_must_refer_to_a_note_of_the_same_section(world: dict[str, Any]) -> None:
    petra = world["petra"]
    other_section = world["malmo_shared_police_section"]
    note_elsewhere = services.note_add(actor=petra, section=other_section, text="Sedd i Rosengård.")

    with pytest.raises(ValidationError) as refused:
        services.note_add(actor=petra, section=world["malmo_police_section"], text="Rättelse", corrects=note_elsewhere)
    assert errors_of(refused) == {"corrects": ["A correction must refer to a note of the same section."]}
    with pytest.raises(ValidationError):
        services.note_add(
            actor=petra, section=world["malmo_police_section"], text="Rättelse", corrects=world["malmo_social_note"]
        )


def test_an_empty_note_is_refused(world: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        services.note_add(actor=world["petra"], section=world["malmo_police_section"], text="   ")
    assert list(errors_of(refused)) == ["text"]


def test_only_the_owning_agency_writes_in_a_section_even_when_it_is_shared(world: dict[str, Any]) -> None:
    petra, sara, section = world["petra"], world["sara"], world["malmo_police_section"]
    services.share_create(
        actor=petra,
        person=world["malmo_police_person"],
        subject="police",
        scope="full",
        receiving_agency=sara.agency,
        receiving_team=sara.team,
        legal_basis="osl_10_2",
        purpose="Samordning",
        note_to_recipient="Polisens bedömning.",
        valid_until=today() + timedelta(days=10),
    )
    assert access.can(sara, "view", section)
    with pytest.raises(Http404):
        services.note_add(actor=sara, section=section, text="Från socialtjänsten")
    with pytest.raises(Http404):
        services.section_update(actor=sara, section=section, version=section.version, risk_level="low")


@requires_postgres()
def test_a_journal_note_cannot_be_rewritten_on_postgresql(world: dict[str, Any]) -> None:
    note = world["malmo_police_note"]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        PoliceNote.objects.filter(pk=note.pk).update(text="Skrivet om i efterhand")
    note.refresh_from_db()
    assert note.text != "Skrivet om i efterhand"


# --------------------------------------------------------------------------------------------------
# Guardians and consent


def test_guardians_are_recorded_only_for_a_person_under_18(world: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="only for a person under 18"):
        services.guardian_add(actor=world["petra"], person=world["malmo_police_person"], name="Eva", relation="mother")
    guardian = services.guardian_add(
        actor=world["petra"], person=world["malmo_police_minor"], name="Eva Berglund", relation="mother"
    )
    assert guardian.person_id == world["malmo_police_minor"].pk


def test_consent_for_a_minor_needs_a_guardians_consent_too(world: dict[str, Any]) -> None:
    sara, minor = world["sara"], world["malmo_minor_person"]
    police = world["petra"].agency
    lina = Guardian.objects.get(person=minor)
    someone_elses = services.guardian_add(
        actor=world["petra"], person=world["malmo_police_minor"], name="Eva Berglund", relation="mother"
    )

    def record(guardians: list[Guardian]) -> Consent:
        return services.consent_record(
            actor=sara, person=minor, given_on=today(), recipients=[police], subjects=["identity"], guardians=guardians
        )

    with pytest.raises(ValidationError) as refused:
        record([])
    assert list(errors_of(refused)) == ["guardians"]
    with pytest.raises(ValidationError) as refused:
        record([someone_elses])
    assert errors_of(refused) == {"guardians": ["Choose guardians of this person."]}
    consent = record([lina])
    assert list(consent.guardians.all()) == [lina]


def test_guardian_who_consented_stays_on_record(world: dict[str, Any]) -> None:
    lina = Guardian.objects.get(person=world["malmo_minor_person"])
    assert lina.consents.exists()
    with pytest.raises(ValidationError, match="stays on record"):
        services.guardian_remove(actor=world["sara"], guardian=lina)


@pytest.mark.parametrize(
    ("recipient", "expected"),
    [
        ("malmo-stad", "Choose other agencies of this program."),  # Sara's own agency
        ("orebro-kommun", "Choose other agencies of this program."),  # another program
    ],
)
def test_consent_recipients_must_be_other_agencies_of_the_program(
    world: dict[str, Any], recipient: str, expected: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.consent_record(
            actor=world["sara"],
            person=world["malmo_social_person"],
            given_on=today(),
            recipients=[agency(recipient)],
            subjects=["identity"],
        )
    assert errors_of(refused) == {"recipients": [expected]}


def test_consent_needs_recipients_subjects_and_a_date_not_in_the_future(world: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        services.consent_record(
            actor=world["sara"],
            person=world["malmo_social_person"],
            given_on=today() + timedelta(days=1),
            recipients=[],
            subjects=["everything"],
        )
    assert set(errors_of(refused)) == {"given_on", "recipients", "subjects"}


def test_only_the_owning_agency_records_consent(world: dict[str, Any]) -> None:
    with pytest.raises(Http404):
        services.consent_record(
            actor=world["sara"],
            person=world["malmo_police_person"],
            given_on=today(),
            recipients=[world["sara"].agency],
            subjects=["police"],
        )


def test_revoking_a_consent_twice_changes_nothing(world: dict[str, Any]) -> None:
    consent = world["malmo_minor_consent"]
    first = services.consent_revoke(actor=world["sara"], consent=consent)
    revoked_at = first.revoked_at
    again = services.consent_revoke(actor=world["sara"], consent=Consent.objects.get(pk=consent.pk))
    assert again.revoked_at == revoked_at


# --------------------------------------------------------------------------------------------------
# Shares: what is refused, and why


def _share(world: dict[str, Any], **overrides: Any) -> Share:
    sara = world["sara"]
    fields: dict[str, Any] = {
        "actor": world["petra"],
        "person": world["malmo_police_person"],
        "subject": "police",
        "scope": "full",
        "receiving_agency": sara.agency,
        "receiving_team": sara.team,
        "legal_basis": "osl_10_2",
        "consent": None,
        "purpose": "Samordning",
        "note_to_recipient": "Polisens bedömning.",
        "valid_until": today() + timedelta(days=30),
    }
    return services.share_create(**{**fields, **overrides})


def _refusal(world: dict[str, Any], **overrides: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        _share(world, **overrides)
    return errors_of(refused)


def test_a_share_lasts_from_today_to_at_most_a_year(world: dict[str, Any]) -> None:
    assert _refusal(world, valid_until=today() - timedelta(days=1)) == {
        "valid_until": ["The last valid day cannot be in the past."]
    }
    assert _refusal(world, valid_until=today() + timedelta(days=400)) == {
        "valid_until": ["A share is valid for at most a year; renew it when it runs out."]
    }
    assert _share(world, valid_until=today()).valid_until == today()


def test_a_share_goes_to_another_agency_of_the_program(world: dict[str, Any]) -> None:
    own = world["petra"].agency
    assert _refusal(world, receiving_agency=own, receiving_team=None) == {
        "receiving_agency": ["Choose another agency of this program."]
    }
    assert _refusal(world, receiving_agency=agency("orebro-kommun"), receiving_team=None) == {
        "receiving_agency": ["Choose another agency of this program."]
    }


def test_the_receiving_team_belongs_to_the_receiving_agency(world: dict[str, Any]) -> None:
    assert _refusal(world, receiving_team=world["karin"].team) == {
        "receiving_team": ["The team must belong to the receiving agency."]
    }


def test_a_consent_based_share_needs_a_consent_that_covers_it(world: dict[str, Any]) -> None:
    petra, adam = world["petra"], world["malmo_police_person"]
    prison, municipality = world["karin"].agency, world["sara"].agency
    not_covering = "The consent does not cover this part for this agency, or it was revoked."

    assert _refusal(world, legal_basis="consent") == {"consent": ["Choose the consent this share rests on."]}
    to_prison = services.consent_record(
        actor=petra, person=adam, given_on=today(), recipients=[prison], subjects=["identity", "police"]
    )
    assert _refusal(world, legal_basis="consent", consent=to_prison) == {"consent": [not_covering]}
    identity_only = services.consent_record(
        actor=petra, person=adam, given_on=today(), recipients=[municipality], subjects=["identity"]
    )
    assert _refusal(world, legal_basis="consent", consent=identity_only) == {"consent": [not_covering]}
    covering = services.consent_record(
        actor=petra, person=adam, given_on=today(), recipients=[municipality], subjects=["police"]
    )
    services.consent_revoke(actor=petra, consent=covering)
    assert _refusal(world, legal_basis="consent", consent=covering) == {"consent": [not_covering]}
    assert _refusal(world, legal_basis="osl_10_2", consent=identity_only) == {
        "consent": ["A consent is named only when the legal basis is consent."]
    }


def test_a_share_states_its_purpose_note_and_basis(world: dict[str, Any]) -> None:
    assert set(_refusal(world, purpose=" ", note_to_recipient="", legal_basis="because")) == {
        "purpose",
        "note_to_recipient",
        "legal_basis",
    }


def test_only_sections_the_sender_sees_are_shared(world: dict[str, Any]) -> None:
    # Adam's police record has no social section; Karin's probation section is not the police's.
    assert "subject" in _refusal(world, subject="social")
    assert "subject" in _refusal(world, subject="probation")


def test_nobody_but_the_sender_revokes_a_share(world: dict[str, Any]) -> None:
    share = _share(world)
    with pytest.raises(Http404):
        services.share_revoke(actor=world["sara"], share=share)
    revoked = services.share_revoke(actor=world["anders"], share=share)
    assert revoked.ended_reason == Share.Ended.REVOKED


# --------------------------------------------------------------------------------------------------
# Reports of concern


def test_a_report_of_concern_is_about_a_child_and_goes_to_a_municipality(world: dict[str, Any]) -> None:
    petra = world["petra"]

    def file(person: Person, to: Agency) -> ConcernReport:
        return services.concern_file(
            actor=petra, person=person, receiving_agency=to, concern="Oro.", reporter_phone="010-567 00 00"
        )

    with pytest.raises(ValidationError) as refused:
        file(world["malmo_police_person"], world["sara"].agency)
    assert list(errors_of(refused)) == ["__all__"]
    with pytest.raises(ValidationError) as refused:
        file(world["malmo_police_minor"], world["karin"].agency)
    assert list(errors_of(refused)) == ["receiving_agency"]
    with pytest.raises(ValidationError) as refused:
        file(world["malmo_police_minor"], agency("orebro-kommun"))
    assert list(errors_of(refused)) == ["receiving_agency"]


def test_the_sender_sees_that_the_report_was_received_and_nothing_more(world: dict[str, Any]) -> None:
    petra, sara, report = world["petra"], world["sara"], world["malmo_concern"]
    status_fields = access.partial_fields(ConcernReport, "view_status")
    assert set(status_fields) == {"id", "created_at", "receiving_agency", "received_at"}
    assert not access.visible(petra, ConcernReport).filter(pk=report.pk).exists()

    services.concern_receive(actor=sara, report=report)
    report.refresh_from_db()
    services.concern_assess(
        actor=sara, report=report, version=report.version, outcome="investigation", assessment="Utredning inleds."
    )

    sent = selectors.concern_reports_sent(petra, world["malmo_police_minor"]).get()
    assert sent.pk == report.pk
    assert sent.received_at is not None
    assert {"concern", "assessment", "outcome", "received_by_id"} <= sent.get_deferred_fields()
    with pytest.raises(Http404):
        services.concern_assess(actor=petra, report=sent, version=sent.version, outcome="investigation", assessment="")


# --------------------------------------------------------------------------------------------------
# Protected identity: contact details are the owning caseworker's


def test_a_colleague_cannot_change_the_contact_details_of_a_protected_identity(world: dict[str, Any]) -> None:
    erik, sara, person = world["erik"], world["sara"], jonas(world)
    assert not services.contact_visible(erik, person)
    assert services.contact_visible(sara, person)

    with pytest.raises(ValidationError) as refused:
        services.person_update(actor=erik, person=person, version=person.version, phone="070-000 00 00")
    assert list(errors_of(refused)) == ["protected_identity"]
    # Nor may they lift the protection to see the contact details.
    with pytest.raises(ValidationError):
        services.person_update(actor=erik, person=person, version=person.version, protected_identity=False)

    # The colleague may change what they see; the owning caseworker the contact details too.
    person = services.person_update(actor=erik, person=person, version=person.version, interpreter_language="arabiska")
    person = services.person_update(actor=sara, person=person, version=person.version, phone="070-000 00 00")
    assert (person.interpreter_language, person.phone) == ("arabiska", "070-000 00 00")


def test_contact_details_of_an_unprotected_person_are_for_the_whole_scope(world: dict[str, Any]) -> None:
    person = world["malmo_social_person"]
    assert not person.protected_identity
    assert services.contact_visible(world["erik"], person)


# --------------------------------------------------------------------------------------------------
# The access policy: grants with an expiry


def _section_grant(world: dict[str, Any]) -> PoliceSectionGroupObjectPermission:
    return PoliceSectionGroupObjectPermission.objects.get(
        content_object=world["malmo_police_section"], group_id=world["sara"].team.group_id
    )


def _grant_to_saras_team(world: dict[str, Any], until: datetime | None) -> None:
    access.grant(
        world["malmo_police_section"],
        to=world["sara"].team,
        actions=["view"],
        basis="osl_10_2",
        actor=world["petra"],
        until=until,
    )


def test_a_grants_expiry_extends_but_never_shortens(world: dict[str, Any]) -> None:
    now = timezone.now()
    _grant_to_saras_team(world, now + timedelta(days=1))
    assert _section_grant(world).expires_at == now + timedelta(days=1)
    _grant_to_saras_team(world, now + timedelta(days=3))
    assert _section_grant(world).expires_at == now + timedelta(days=3)
    _grant_to_saras_team(world, now + timedelta(days=2))
    assert _section_grant(world).expires_at == now + timedelta(days=3)
    _grant_to_saras_team(world, None)
    assert _section_grant(world).expires_at is None
    _grant_to_saras_team(world, now + timedelta(days=1))
    assert _section_grant(world).expires_at is None


def test_an_expired_grant_is_invisible_at_read_time(world: dict[str, Any]) -> None:
    sara, section = world["sara"], world["malmo_police_section"]
    _grant_to_saras_team(world, timezone.now() + timedelta(hours=1))
    assert access.visible(sara, PoliceSection).filter(pk=section.pk).exists()

    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        assert not access.visible(sara, PoliceSection).filter(pk=section.pk).exists()
        assert not access.can(sara, "view", section)
        with pytest.raises(Http404):
            access.get_visible_or_404(sara, PoliceSection, section.pk)
        # Its journal follows it.
        assert not access.visible(sara, PoliceNote).filter(section=section).exists()
    assert _section_grant(world).expires_at is not None, "the row stays until the tidy task"


def test_an_expired_personal_grant_is_invisible_too(world: dict[str, Any]) -> None:
    karin, section = world["karin"], world["malmo_police_section"]
    access.grant(
        section, to=karin, actions=["view"], basis="osl_10_2", actor=world["petra"], until=timezone.now() - timedelta(1)
    )
    assert not access.visible(karin, PoliceSection).filter(pk=section.pk).exists()
    access.grant(section, to=karin, actions=["view"], basis="osl_10_2", actor=world["petra"])
    assert access.visible(karin, PoliceSection).filter(pk=section.pk).exists()
