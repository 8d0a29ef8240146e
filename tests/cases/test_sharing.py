"""Sharing a section between agencies, end to end over HTTP: the page and the API answer alike.

The story the issue must show: Sara (social worker, the exit team) cannot open the police section of
Adam, by URL or by API id; Petra records Adam's consent and shares the section with Sara's team on that
basis; Sara sees exactly that section; Adam withdraws his consent and Sara gets 404 again. Every step
leaves its audit events. A share past its last valid day stops working without any task having run; the
nightly tidy only marks it ended. Nils and Maja (another program) see nothing of it at any step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import selectors, services
from cases.models import (
    Consent,
    Person,
    PersonGroupObjectPermission,
    PoliceSection,
    PoliceSectionGroupObjectPermission,
    Section,
    Share,
    ShareGroupObjectPermission,
)
from cases.tasks import tidy_expired_shares
from gvi import access
from gvi.audit.models import AuditAction, AuditEvent
from gvi.demo import identity_number

ClientFor = Callable[[str], Client]

OTHER_PROGRAM = ("nils", "maja")
# What Petra keeps in the section's free-text notes: never part of a summary.
SECRET_NOTES = "Källa: informatör K-17."


def page_url(section: Section) -> str:
    return reverse("cases:section-detail", kwargs={"kind": "police", "pk": section.pk})


def api_url(section: Section) -> str:
    return reverse("api:policesection-detail", kwargs={"pk": section.pk})


def looks(as_user: ClientFor, username: str, section: Section) -> tuple[int, int]:
    """The status codes a persona gets for the section's page and its API detail (a fresh login each time,
    so that it also works after travelling in time)."""
    client = as_user(username)
    return client.get(page_url(section)).status_code, client.get(api_url(section)).status_code


def assert_other_program_sees_nothing(as_user: ClientFor, section: Section) -> None:
    for username in OTHER_PROGRAM:
        assert looks(as_user, username, section) == (404, 404), username


def events(**filters: Any) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(**filters)


def section_events(section: Section, action: str, **filters: Any) -> QuerySet[AuditEvent]:
    return events(action=action, object_type="cases.policesection", object_id=str(section.pk), **filters)


def today() -> date:
    return timezone.localdate()


def record_consent(world: dict[str, Any], *subjects: str) -> Consent:
    """Adam's consent, recorded by Petra on the police record: Malmö stad may receive these parts."""
    return services.consent_record(
        actor=world["petra"],
        person=world["malmo_police_person"],
        given_on=today(),
        recipients=[world["sara"].agency],
        subjects=list(subjects or ("identity", "police")),
    )


def share_police_section(
    world: dict[str, Any],
    *,
    consent: Consent | None = None,
    legal_basis: str = "consent",
    scope: str = "full",
    valid_until: date | None = None,
    subject: str = "police",
    person: Person | None = None,
) -> Share:
    """Petra shares (Adam's) police section with Sara's team, Avhopparverksamheten at Malmö stad."""
    sara = world["sara"]
    return services.share_create(
        actor=world["petra"],
        person=person or world["malmo_police_person"],
        subject=subject,
        scope=scope,
        receiving_agency=sara.agency,
        receiving_team=sara.team,
        legal_basis=legal_basis,
        consent=consent,
        purpose="Samordning av avhopparstöd",
        note_to_recipient="Risknivån är polisens bedömning efter skjutningen; den ändras utan förvarning.",
        valid_until=valid_until or today() + timedelta(days=30),
    )


@contextmanager
def days_later(days: int) -> Iterator[None]:
    with time_machine.travel(timezone.now() + timedelta(days=days), tick=False):
        yield


def team_grants(world: dict[str, Any], share: Share) -> dict[str, bool]:
    """Which grant rows the share's recipient team holds on the section, the share and the person."""
    to_team = {"group_id": world["sara"].team.group_id}
    section = world["malmo_police_section"]
    return {
        "section": PoliceSectionGroupObjectPermission.objects.filter(content_object=section, **to_team).exists(),
        "share": ShareGroupObjectPermission.objects.filter(content_object=share, **to_team).exists(),
        "person": PersonGroupObjectPermission.objects.filter(content_object=share.person, **to_team).exists(),
    }


# --------------------------------------------------------------------------------------------------
# The story: 404, consent and share, exactly the shared section, consent withdrawn, 404 again


def test_social_worker_sees_a_police_section_only_while_a_consent_based_share_lasts(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    petra, sara = world["petra"], world["sara"]
    section, note = world["malmo_police_section"], world["malmo_police_note"]
    assert note.section_id == section.pk

    # 1. By URL and by API id: 404, each probe logged as a denial, nothing as a look.
    assert looks(as_user, "sara", section) == (404, 404)
    assert section_events(section, AuditAction.DENY, actor_id=sara.pk).count() == 2
    assert not section_events(section, AuditAction.VIEW, actor_id=sara.pk).exists()
    assert_other_program_sees_nothing(as_user, section)

    # 2. Adam consents; Petra shares the section with Sara's team on that basis.
    consent = record_consent(world, "identity", "police")
    assert events(action=AuditAction.CREATE, object_type="cases.consent", object_id=str(consent.pk)).exists()
    share = share_police_section(world, consent=consent)
    shared = events(action=AuditAction.SHARE, object_type="cases.share", object_id=str(share.pk)).get()
    assert (shared.actor_id, shared.legal_basis) == (petra.pk, "consent")
    assert shared.detail["section"] == section.pk
    assert shared.detail["to_team"] == sara.team.pk
    granted = section_events(section, AuditAction.GRANT, legal_basis="consent").get()
    assert granted.detail == {
        "to": [f"accounts.team:{sara.team.pk}"],
        "permissions": ["view_policesection"],
        "until": share.expires_at.isoformat(),
    }

    # 3. Sara sees the section: its risk level and its journal, on the page and over the API.
    client = as_user("sara")
    page = client.get(page_url(section))
    assert page.status_code == 200
    content = page.content.decode()
    assert "High" in content
    assert note.text in content
    api = client.get(api_url(section))
    assert api.status_code == 200
    body = api.json()
    assert (body["id"], body["risk_level"]) == (section.pk, "high")
    assert section_events(section, AuditAction.VIEW, actor_id=sara.pk).count() == 2
    # Exactly that section: Petra's other police sections stay hidden, and so does it from Malin's team.
    assert looks(as_user, "sara", world["malmo_shared_police_section"]) == (404, 404)
    on_her_record = selectors.person_sections(sara, world["malmo_social_person"])
    assert [(v.kind, v.section.pk, v.full) for v in on_her_record if v.kind == "police"] == [
        ("police", section.pk, True)
    ]
    assert looks(as_user, "malin", section) == (404, 404)
    assert_other_program_sees_nothing(as_user, section)

    # 4. Adam withdraws his consent: the share ends at once and Sara is back to 404.
    services.consent_revoke(actor=petra, consent=consent)
    revoked = events(action=AuditAction.REVOKE, object_type="cases.consent", object_id=str(consent.pk)).get()
    assert (revoked.actor_id, revoked.legal_basis) == (petra.pk, "consent")
    share.refresh_from_db()
    assert share.ended_reason == Share.Ended.CONSENT_REVOKED
    share_ends = events(action=AuditAction.REVOKE, object_type="cases.share", object_id=str(share.pk))
    assert [e.detail["reason"] for e in share_ends if "reason" in e.detail] == ["consent_revoked"]
    denied_before = section_events(section, AuditAction.DENY, actor_id=sara.pk).count()
    assert looks(as_user, "sara", section) == (404, 404)
    assert section_events(section, AuditAction.DENY, actor_id=sara.pk).count() == denied_before + 2
    assert_other_program_sees_nothing(as_user, section)


def test_a_share_on_a_consent_that_does_not_cover_the_section_is_refused(world: dict[str, Any]) -> None:
    consent = record_consent(world, "identity")
    with pytest.raises(ValidationError) as refused:
        share_police_section(world, consent=consent)
    assert "consent" in refused.value.message_dict
    assert not Share.objects.filter(person=world["malmo_police_person"], receiving_agency=world["sara"].agency)


# --------------------------------------------------------------------------------------------------
# Expiry: at read time, no task needed; the tidy task only marks it ended


def test_a_share_past_its_last_valid_day_gives_404_without_any_task_having_run(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    section = world["malmo_police_section"]
    share = share_police_section(world, legal_basis="osl_10_2", valid_until=today() + timedelta(days=1))
    assert looks(as_user, "sara", section) == (200, 200)

    with days_later(2):
        assert looks(as_user, "sara", section) == (404, 404)
        share.refresh_from_db()
        assert share.ended_at is None, "no task ran: the share is still on record as not ended"
        assert all(team_grants(world, share).values()), "the grant rows are still there"

    # Back to today: the same share and grants work again, so it was the expiry that closed them.
    assert looks(as_user, "sara", section) == (200, 200)

    with days_later(2):
        tidy_expired_shares.delay(world["sara"].program_id)
        share.refresh_from_db()
        assert share.ended_reason == Share.Ended.EXPIRED
        assert share.ended_by == access.system_actor(world["sara"].program)
        assert team_grants(world, share) == {"section": False, "share": False, "person": False}
        assert looks(as_user, "sara", section) == (404, 404)
        assert_other_program_sees_nothing(as_user, section)


# --------------------------------------------------------------------------------------------------
# Several shares, scopes and subjects


def test_withdrawing_the_consent_keeps_what_another_share_still_gives(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    """Two shares of the same section to the same team: ending one recomputes the grants from the other."""
    section, sara = world["malmo_police_section"], world["sara"]
    consent = record_consent(world, "identity", "police")
    on_consent = share_police_section(world, consent=consent, valid_until=today() + timedelta(days=30))
    on_osl = share_police_section(world, legal_basis="osl_10_2", valid_until=today() + timedelta(days=60))

    services.consent_revoke(actor=world["petra"], consent=consent)

    on_consent.refresh_from_db()
    on_osl.refresh_from_db()
    assert (on_consent.ended_reason, on_osl.ended_at) == (Share.Ended.CONSENT_REVOKED, None)
    assert looks(as_user, "sara", section) == (200, 200)
    grant = PoliceSectionGroupObjectPermission.objects.get(content_object=section, group_id=sara.team.group_id)
    assert grant.expires_at == on_osl.expires_at

    services.share_revoke(actor=world["petra"], share=on_osl)
    assert looks(as_user, "sara", section) == (404, 404)


def test_ending_the_full_share_leaves_the_summary_share_working(world: dict[str, Any], as_user: ClientFor) -> None:
    section, note = world["malmo_police_section"], world["malmo_police_note"]
    full = share_police_section(world, legal_basis="osl_10_2", scope="full")
    share_police_section(world, legal_basis="osl_10_2", scope="summary", valid_until=today() + timedelta(days=60))
    assert note.text in as_user("sara").get(page_url(section)).content.decode()

    services.share_revoke(actor=world["petra"], share=full)

    page = as_user("sara").get(page_url(section))
    assert page.status_code == 200
    assert note.text not in page.content.decode()


def test_a_summary_share_shows_the_section_without_its_journal_or_notes(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    petra = world["petra"]
    dino = Person.objects.get(owner_agency=petra.agency, given_name="Dino")
    section = services.section_create(actor=petra, person=dino, kind="police", risk_level="high", notes=SECRET_NOTES)
    note = services.note_add(actor=petra, section=section, text="Hot mot Dino efter bråket på Möllan.")
    share_police_section(world, legal_basis="osl_10_2", scope="summary", person=dino)
    client = as_user("sara")

    page = client.get(page_url(section))
    assert page.status_code == 200
    content = page.content.decode()
    assert "High" in content
    assert note.text not in content
    assert SECRET_NOTES not in content

    api = client.get(api_url(section))
    assert api.status_code == 200
    assert api.json()["risk_level"] == "high"
    assert note.text not in api.content.decode()
    assert SECRET_NOTES not in api.content.decode()
    assert section_events(section, AuditAction.VIEW, actor_id=world["sara"].pk).count() == 2
    assert_other_program_sees_nothing(as_user, section)


def test_an_identity_share_shows_name_and_birth_year_only(world: dict[str, Any], as_user: ClientFor) -> None:
    petra, sara = world["petra"], world["sara"]
    adam = world["malmo_police_person"]
    adam = services.person_update(
        actor=petra, person=adam, version=adam.version, phone="070-111 22 33", address="Storgatan 1, Malmö"
    )
    person_url = reverse("cases:person-detail", kwargs={"pk": adam.pk})
    assert as_user("sara").get(person_url).status_code == 404

    share_police_section(world, legal_basis="osl_10_2", subject="identity")

    response = as_user("sara").get(person_url)
    assert response.status_code == 200
    assert response.context["identity"] == {
        "id": adam.pk,
        "given_name": "Adam",
        "family_name": "Karlsson",
        "birth_year": 2003,
    }
    content = response.content.decode()
    assert "Adam" in content
    assert "2003" in content
    number = adam.identity_number or ""
    assert number
    for hidden in (number, number.replace("-", ""), "070-111 22 33", "Storgatan"):
        assert hidden not in content
    seen = events(action=AuditAction.VIEW, object_type="cases.person", object_id=str(adam.pk), actor_id=sara.pk)
    assert seen.get().detail == {"access": "view_identity"}
    # The identity alone opens no section.
    assert looks(as_user, "sara", world["malmo_police_section"]) == (404, 404)
    assert as_user("malin").get(person_url).status_code == 404
    for username in OTHER_PROGRAM:
        assert as_user(username).get(person_url).status_code == 404


# --------------------------------------------------------------------------------------------------
# OSL 10 kap. 18 a §: only for persons under 21


def test_osl_10_18a_is_refused_for_a_person_aged_21_or_more(world: dict[str, Any]) -> None:
    adam = world["malmo_police_person"]
    assert adam.birth_year == 2003
    assert not adam.surely_under(21)
    with pytest.raises(ValidationError) as refused:
        share_police_section(world, legal_basis="osl_10_18a", subject="identity")
    assert "legal_basis" in refused.value.message_dict
    assert not Share.objects.filter(person=adam, legal_basis="osl_10_18a").exists()


def _young_police_person(world: dict[str, Any], *, age: int, exact: bool) -> Person:
    born_year = today().year - age
    if exact:
        # Born on 1 January: exactly `age` years old all year.
        return services.person_create(
            actor=world["petra"],
            given_name="Elin",
            family_name="Ström",
            identity_number=identity_number(born_year, 1, 1, 468),
        )
    return services.person_create(actor=world["petra"], given_name="Elin", family_name="Ström", birth_year=born_year)


def test_osl_10_18a_is_accepted_for_a_person_under_21(world: dict[str, Any], as_user: ClientFor) -> None:
    young = _young_police_person(world, age=18, exact=True)
    services.section_create(actor=world["petra"], person=young, kind="police", risk_level="elevated")

    share = share_police_section(world, legal_basis="osl_10_18a", person=young, scope="summary")

    assert share.legal_basis == "osl_10_18a"
    assert events(action=AuditAction.SHARE, object_id=str(share.pk), legal_basis="osl_10_18a").exists()
    section = PoliceSection.objects.get(person=young)
    assert looks(as_user, "sara", section) == (200, 200)
    assert_other_program_sees_nothing(as_user, section)


@pytest.mark.parametrize(
    ("age", "exact", "accepted"),
    [
        (20, True, True),
        (21, True, False),
        # Only the birth year known: 19 or 20 this year, surely under 21.
        (20, False, True),
        # Only the birth year known: 20 or 21 this year, so it may be 21: refused.
        (21, False, False),
    ],
)
def test_osl_10_18a_age_limit_at_the_edges(world: dict[str, Any], age: int, exact: bool, accepted: bool) -> None:
    young = _young_police_person(world, age=age, exact=exact)
    if accepted:
        assert share_police_section(world, legal_basis="osl_10_18a", subject="identity", person=young).pk
    else:
        with pytest.raises(ValidationError) as refused:
            share_police_section(world, legal_basis="osl_10_18a", subject="identity", person=young)
        assert list(refused.value.message_dict) == ["legal_basis"]


def test_a_share_works_all_of_its_last_valid_day_and_stops_at_midnight(world: dict[str, Any]) -> None:
    """Valid until a day means to the end of that day, local time."""
    share = share_police_section(world, legal_basis="osl_10_2", valid_until=today())
    midnight = timezone.make_aware(datetime.combine(today() + timedelta(days=1), datetime.min.time()))
    assert share.expires_at == midnight
    assert share.is_active(midnight - timedelta(seconds=1))
    assert not share.is_active(midnight)
