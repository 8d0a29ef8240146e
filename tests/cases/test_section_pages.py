"""Agency sections on the pages: each agency sees its own section in full, a recipient only what was
shared (a summary has no journal), journal notes are append-only with corrections that refer to the old
note, edits never overwrite each other silently, and the pages run a bounded number of queries.

Personas: Petra (police coordinator), Sara (social worker, exit team), Erik (exit coordinator, same
team), Karin (probation officer).
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
from cases.models import ProbationSection, SocialNote, SocialSection
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]

# Measured with a warmed-up process and found the same for 5 and for 50 notes and shares (see the
# query-count tests): the person page of Karin's probation client (all its partials) and her probation
# section page (session, user, device, the section, audit, journal count and page, corrections, audits,
# may-change, owner agency, person, officer, session save).
PERSON_PAGE_QUERIES = 24
SECTION_PAGE_QUERIES = 15


def section_url(section: Any) -> str:
    return f"/persons/sections/{section.kind}/{section.pk}/"


def note_url(section: Any) -> str:
    return f"/persons/sections/{section.kind}/{section.pk}/notes/"


def edit_url(section: Any) -> str:
    return f"/persons/sections/{section.kind}/{section.pk}/edit/"


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


# --- Summary and full views ----------------------------------------------------------------------


def test_police_see_the_supervision_type_of_the_shared_probation_section_but_not_its_conditions(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    section = world["malmo_probation_section"]
    response = as_user("petra").get(section_url(section))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Parole (villkorlig frigivning)" in content
    assert "Shared by Kriminalvården Malmö" in content
    assert "Visar bara tillsynsform och period" in content  # the note to the recipient
    assert "Anmälningsplikt" not in content  # conditions
    assert "Inställde sig enligt plan." not in content  # journal
    assert 'data-testid="journal"' not in content
    assert 'name="text"' not in content  # no note form
    assert response.context["view"].full is False


def test_probation_officer_sees_her_section_in_full_with_its_journal(world: dict[str, Any], as_user: ClientFor) -> None:
    content = as_user("karin").get(section_url(world["malmo_probation_section"])).content.decode()
    assert "Anmälningsplikt varje måndag." in content
    assert "Inställde sig enligt plan." in content
    assert 'name="text"' in content
    assert "Shared by" not in content


def test_police_person_page_shows_the_linked_probation_summary_only(world: dict[str, Any], as_user: ClientFor) -> None:
    person = world["malmo_police_person"]
    content = as_user("petra").get(f"/persons/{person.pk}/").content.decode()
    assert 'data-testid="section-probation"' in content
    assert "Parole (villkorlig frigivning)" in content
    assert "Anmälningsplikt" not in content
    assert 'data-testid="section-police"' in content


def test_social_worker_sees_no_trace_of_the_police_section_on_her_record(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    person = world["malmo_social_person"]  # the same Adam Karlsson, Sara's own record
    content = as_user("sara").get(f"/persons/{person.pk}/").content.decode()
    assert 'data-testid="section-police"' not in content
    assert 'data-testid="section-probation"' not in content
    assert "Police section" not in content
    assert as_user("sara").get(section_url(world["malmo_police_section"])).status_code == 404


def test_police_section_lists_the_persons_group_memberships_for_the_police_only(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    section = world["malmo_police_section"]
    assert "Grupp Falken" in as_user("petra").get(section_url(section)).content.decode()
    # Shared in full with Sara's team, the section itself shows but the group map does not.
    services.share_create(
        actor=world["petra"],
        person=section.person,
        subject="police",
        scope="full",
        receiving_agency=world["sara"].agency,
        receiving_team=world["sara"].team,
        legal_basis="osl_10_2",
        purpose="Samordning",
        note_to_recipient="Risknivån och journalen.",
        valid_until=timezone.localdate() + timedelta(days=10),
    )
    response = as_user("sara").get(section_url(section))
    assert response.status_code == 200
    assert response.context["view"].full is True
    content = response.content.decode()
    assert "Uppgifter om hot mot personen" in content  # the shared journal
    assert "Grupp Falken" not in content
    assert 'name="text"' not in content  # a recipient adds no notes
    assert as_user("sara").get(note_url(section)).status_code == 404


def test_unknown_section_kind_is_404(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    assert client.get(f"/persons/sections/bogus/{world['malmo_police_section'].pk}/").status_code == 404
    assert client.get(f"/persons/{world['malmo_police_minor'].pk}/sections/bogus/new/").status_code == 404


# --- Opening and editing -------------------------------------------------------------------------


def test_police_open_a_section_once_per_record(world: dict[str, Any], as_user: ClientFor) -> None:
    person = world["malmo_police_minor"]
    client = as_user("petra")
    url = f"/persons/{person.pk}/sections/police/new/"
    response = client.post(url, {"risk_level": "elevated", "notes": "Ny."})
    assert response.status_code == 302
    assert "/persons/sections/police/" in response["Location"]
    again = client.post(url, {"risk_level": "low", "notes": ""})
    assert again.status_code == 200
    assert "already has this section" in again.content.decode()


def test_social_worker_cannot_open_a_police_section(world: dict[str, Any], as_user: ClientFor) -> None:
    person = world["malmo_minor_person"]
    assert as_user("sara").get(f"/persons/{person.pk}/sections/police/new/").status_code == 404


def test_probation_officer_choices_are_her_agencys_officers(world: dict[str, Any], as_user: ClientFor) -> None:
    response = as_user("karin").get(edit_url(world["malmo_probation_section"]))
    officers = list(response.context["form"].fields["probation_officer"].queryset)
    assert officers == [world["karin"]]


def test_period_end_before_start_is_a_field_error(world: dict[str, Any], as_user: ClientFor) -> None:
    section = world["malmo_probation_section"]
    response = as_user("karin").post(
        edit_url(section),
        {
            "supervision_type": "parole",
            "period_start": "2025-05-01",
            "period_end": "2025-04-01",
            "probation_officer": world["karin"].pk,
            "conditions": "x",
            "version": section.version,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["period_end"]


def test_stale_section_edit_shows_both_versions_and_loses_nothing(world: dict[str, Any], as_user: ClientFor) -> None:
    section = world["malmo_social_section"]
    read_version = section.version
    services.section_update(actor=world["erik"], section=section, version=read_version, notes="Eriks version.")
    response = as_user("sara").post(edit_url(section), {"notes": "Saras version.", "version": read_version})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Saved by someone else meanwhile" in content
    assert "Eriks version." in content
    assert "Saras version." in content  # her input is still in the form
    fresh = SocialSection.objects.get(pk=section.pk)
    assert fresh.notes == "Eriks version."
    # Saving again (the form now carries the current version) keeps her text.
    form_version = response.context["form"]["version"].value()
    assert int(form_version) == fresh.version
    saved = as_user("sara").post(edit_url(section), {"notes": "Saras version.", "version": form_version})
    assert saved.status_code == 302
    assert SocialSection.objects.get(pk=section.pk).notes == "Saras version."


# --- Journal notes -------------------------------------------------------------------------------


def test_a_correction_refers_to_the_old_note_which_stays_as_written(world: dict[str, Any], as_user: ClientFor) -> None:
    section, old = world["malmo_social_section"], world["malmo_social_note"]
    old_text = old.text
    client = as_user("sara")
    form = client.get(f"{note_url(section)}?corrects={old.pk}")
    assert form.status_code == 200
    assert form.context["form"].initial == {"text": old_text, "corrects": old.pk}
    response = client.post(note_url(section), {"text": "Rättelse: första samtalet gällde arbete.", "corrects": old.pk})
    assert response.status_code == 302
    correction = SocialNote.objects.get(corrects=old)
    assert correction.author == world["sara"]
    assert SocialNote.objects.get(pk=old.pk).text == old_text
    content = client.get(section_url(section)).content.decode()
    assert f"Corrects note {old.pk}" in content
    assert f"Corrected by note {correction.pk}" in content


def test_a_correction_must_refer_to_a_note_of_the_same_section(world: dict[str, Any], as_user: ClientFor) -> None:
    section = world["malmo_social_section"]
    other = SocialNote.objects.get(section=world["malmo_field_team_section"])  # another team's section
    before = SocialNote.objects.count()
    response = as_user("sara").post(note_url(section), {"text": "x", "corrects": other.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["corrects"]
    assert SocialNote.objects.count() == before
    assert as_user("sara").get(f"{note_url(section)}?corrects={other.pk}").status_code == 404


def test_an_empty_note_is_a_field_error(world: dict[str, Any], as_user: ClientFor) -> None:
    response = as_user("sara").post(note_url(world["malmo_social_section"]), {"text": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors["text"]


def test_notes_have_no_edit_or_delete_route(world: dict[str, Any], as_user: ClientFor) -> None:
    section, note = world["malmo_social_section"], world["malmo_social_note"]
    assert as_user("sara").get(f"{note_url(section)}{note.pk}/").status_code == 404


# --- Query counts --------------------------------------------------------------------------------


def _add_notes(section: ProbationSection, actor: Any, count: int) -> None:
    for number in range(count):
        services.note_add(actor=actor, section=section, text=f"Anteckning {number}")


def _add_shares(world: dict[str, Any], count: int) -> None:
    section = world["malmo_probation_section"]
    for _number in range(count):
        services.share_create(
            actor=world["karin"],
            person=section.person,
            subject="identity",
            receiving_agency=world["sara"].agency,
            legal_basis="osl_10_2",
            purpose="Samordning",
            note_to_recipient="Bara identiteten.",
            valid_until=timezone.localdate() + timedelta(days=30),
        )


def test_person_page_queries_are_bounded_by_notes_and_shares(world: dict[str, Any], as_user: ClientFor) -> None:
    section = world["malmo_probation_section"]
    client = as_user("karin")
    url = f"/persons/{section.person_id}/"
    client.get(url)  # warm up: permission ids are cached per process
    _add_notes(section, world["karin"], 5)
    _add_shares(world, 5)
    few = count_queries(client, url)
    _add_notes(section, world["karin"], 45)
    _add_shares(world, 45)
    with max_queries(PERSON_PAGE_QUERIES):
        many = count_queries(client, url)
    assert few == many


def test_section_page_queries_are_bounded_by_notes(world: dict[str, Any], as_user: ClientFor) -> None:
    section = world["malmo_probation_section"]
    client = as_user("karin")
    client.get(section_url(section))
    _add_notes(section, world["karin"], 5)
    few = count_queries(client, section_url(section))
    _add_notes(section, world["karin"], 45)
    with max_queries(SECTION_PAGE_QUERIES):
        many = count_queries(client, section_url(section))
    assert few == many
