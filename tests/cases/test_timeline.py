"""The person timeline: each persona sees, for the same person, exactly what the visibility table gives
them; what they may not see is absent from the page and from the API, and both run the same number of
queries for a short and a long history.

Personas: Petra (police coordinator), Sara (social worker, exit team), Karin (probation officer),
Nils (social worker in Örebro, another program).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cases import services
from cases.models import Share
from gvi.audit.models import AuditAction, AuditEvent
from gvi.mapping import services as mapping_services
from gvi.timeline import timeline_items
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]

POLICE_NOTE = "Uppgifter om hot mot personen efter skjutningen i Rosengård."
SOCIAL_NOTES = ("Första samtal. Vill ha hjälp med boende.", "Har fått tid hos Arbetsförmedlingen.")
PROBATION_NOTE = "Inställde sig enligt plan."
PROBATION_CONDITIONS = "Anmälningsplikt varje måndag."
FIELD_TEAM_NOTE = "Träffad på fritidsgården."
OREBRO_NOTE = "Första kontakt."
CONCERN_TEXT = "Tolvåring sedd som springpojke åt Grupp Falken."
GROUP = "Grupp Falken"

# Measured with a warmed-up process, the same for 5 and for 50 notes, aliases and memberships (Petra on
# the police Adam): session, user, OTP device, the person, its view audit event, the linked records, the
# person records, one query per kind of section (police, social, probation: in full or as a summary), the
# police journal (the only section seen in full), aliases, guardians, consents, shares, reports sent,
# memberships, involvements, call-in invitations, custom notifications, the list audit event, and the session
# save (a savepoint, an UPDATE and a release). The API runs the same queries.
PAGE_QUERIES = 24
API_QUERIES = 24


def timeline_url(person: Any) -> str:
    return f"/persons/{person.pk}/timeline/"


def api_url(person: Any) -> str:
    return f"/api/persons/{person.pk}/timeline/"


def page_text(client: Client, person: Any, query: str = "") -> str:
    response = client.get(timeline_url(person) + query)
    assert response.status_code == 200
    return response.content.decode()


def api_items(client: Client, person: Any) -> list[dict[str, Any]]:
    response = client.get(api_url(person), {"page_size": 200})
    assert response.status_code == 200
    return response.json()["results"]


def share_police_section_with_sara(world: dict[str, Any], *, scope: str = "full") -> Share:
    """Petra records Adam's consent and shares his police section with Sara's team on it."""
    petra, sara = world["petra"], world["sara"]
    adam = world["malmo_police_person"]
    consent = services.consent_record(
        actor=petra,
        person=adam,
        given_on=timezone.localdate(),
        recipients=[sara.agency],
        subjects=["identity", "police"],
    )
    return services.share_create(
        actor=petra,
        person=adam,
        subject="police",
        scope=scope,
        receiving_agency=sara.agency,
        receiving_team=sara.team,
        legal_basis="consent",
        consent=consent,
        purpose="Samordning av stöd",
        note_to_recipient="Polisens bild av hotet mot Adam.",
        valid_until=timezone.localdate() + timedelta(days=30),
    )


# --- What each persona sees ----------------------------------------------------------------------


def test_police_see_memberships_the_police_journal_and_the_shared_probation_summary(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    html = page_text(as_user("petra"), world["malmo_police_person"])
    assert GROUP in html
    assert "source:" in html
    assert POLICE_NOTE in html
    assert "Police section opened" in html
    # Karin's probation summary share, linked to the police record: the summary, never the conditions.
    assert "Probation section opened by Kriminalvården Malmö, shared with you" in html
    assert "Parole" in html
    assert "Summary only" in html
    assert PROBATION_NOTE not in html
    assert PROBATION_CONDITIONS not in html
    assert "received from Kriminalvården Malmö" in html
    for text in (*SOCIAL_NOTES, FIELD_TEAM_NOTE, OREBRO_NOTE):
        assert text not in html


def test_social_worker_sees_her_section_and_journal_but_nothing_of_the_police(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    client = as_user("sara")
    person = world["malmo_social_person"]
    html = page_text(client, person)
    assert "Social-services section opened" in html
    for text in SOCIAL_NOTES:
        assert text in html
    for text in (POLICE_NOTE, GROUP, "Police section", PROBATION_NOTE, "source:"):
        assert text not in html
    payload = str(api_items(client, person))
    assert SOCIAL_NOTES[0] in payload
    assert POLICE_NOTE not in payload
    assert GROUP not in payload


def test_a_consent_based_share_brings_the_police_section_to_the_social_worker_but_never_the_memberships(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    share = share_police_section_with_sara(world)
    assert share.recipient_person == world["malmo_social_person"]
    client = as_user("sara")
    html = page_text(client, world["malmo_social_person"])
    assert "Police section opened by Polisen Malmö, shared with you" in html
    assert POLICE_NOTE in html
    assert "Police section received from Polisen Malmö" in html
    assert SOCIAL_NOTES[0] in html
    assert GROUP not in html
    assert "source:" not in html
    # The police's own consent record and the registration of their record are not shared.
    assert "Consent given" not in html
    assert "Record registered by Polisen Malmö" not in html
    items = api_items(client, world["malmo_social_person"])
    payload = str(items)
    assert POLICE_NOTE in payload
    assert GROUP not in payload
    assert not [item for item in items if item["category"] in ("membership", "incident")]


def test_a_summary_share_shows_the_section_but_not_its_journal(world: dict[str, Any], as_user: ClientFor) -> None:
    share_police_section_with_sara(world, scope="summary")
    html = page_text(as_user("sara"), world["malmo_social_person"])
    assert "Police section opened by Polisen Malmö, shared with you" in html
    assert "Risk level: High" in html
    assert POLICE_NOTE not in html


def test_an_ended_share_takes_the_shared_items_away_from_the_recipient(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    share = share_police_section_with_sara(world)
    services.share_revoke(actor=world["petra"], share=share)
    html = page_text(as_user("sara"), world["malmo_social_person"])
    assert POLICE_NOTE not in html
    assert "Police section" not in html
    # The sender sees that it made the share and that it ended.
    police_html = page_text(as_user("petra"), world["malmo_police_person"])
    assert "Police section shared with Malmö stad (Avhopparverksamheten)" in police_html
    assert "Share ended: Revoked" in police_html


def test_probation_officer_sees_her_share_to_the_police_and_her_journal_only(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    html = page_text(as_user("karin"), world["malmo_probation_person"])
    assert PROBATION_NOTE in html
    assert "Probation section shared with Polisen Malmö (Sluta skjut-gruppen)" in html
    for text in (POLICE_NOTE, GROUP, *SOCIAL_NOTES, "source:"):
        assert text not in html


def test_consent_revoked_and_the_share_it_ended_are_on_the_senders_timeline(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    jonas = world["malmo_revoked_share"].person
    html = page_text(as_user("sara"), jonas)
    assert "Consent given" in html
    assert "Consent revoked" in html
    assert "Share ended: Consent revoked" in html


def test_the_sender_of_a_report_of_concern_sees_its_status_not_its_text(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    client = as_user("petra")
    noah = world["malmo_police_minor"]
    html = page_text(client, noah)
    assert "Report of concern sent to Malmö stad" in html
    assert "Report of concern received" not in html
    services.concern_receive(actor=world["erik"], report=world["malmo_concern"])
    html = page_text(client, noah)
    assert "Report of concern received by Malmö stad" in html
    assert CONCERN_TEXT not in html
    assert CONCERN_TEXT not in str(api_items(client, noah))


def test_aliases_and_guardians_are_on_the_timeline_without_contact_details(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    html = page_text(as_user("sara"), world["malmo_minor_person"])
    assert "Nickname added: Sam" in html
    assert "Guardian recorded: Lina Nordström (Mother)" in html
    assert "070-123 45 67" not in html


@pytest.mark.parametrize("persona", ["nils", "karin", "lena", "olof", "ada"])
def test_nobody_outside_the_owning_agency_opens_the_police_timeline(
    world: dict[str, Any], as_user: ClientFor, persona: str
) -> None:
    client = as_user(persona)
    person = world["malmo_police_person"]
    assert client.get(timeline_url(person)).status_code == 404
    assert client.get(api_url(person)).status_code == 404


def test_nils_sees_his_own_record_and_nothing_of_malmos(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("nils")
    html = page_text(client, world["orebro_person"])
    assert OREBRO_NOTE in html
    for text in (POLICE_NOTE, GROUP, *SOCIAL_NOTES, PROBATION_NOTE, "Malmö"):
        assert text not in html
    for name in ("malmo_social_person", "malmo_field_team_person", "malmo_minor_person"):
        assert client.get(timeline_url(world[name])).status_code == 404


def test_an_identity_only_viewer_gets_404(world: dict[str, Any], as_user: ClientFor) -> None:
    """Petra sees only the identity of Kriminalvården's record (through Karin's share): no timeline."""
    client = as_user("petra")
    person = world["malmo_probation_person"]
    assert client.get(f"/persons/{person.pk}/").status_code == 200
    assert client.get(timeline_url(person)).status_code == 404
    assert client.get(api_url(person)).status_code == 404


def test_every_item_names_its_agency_and_record_and_has_a_unique_key(world: dict[str, Any]) -> None:
    share_police_section_with_sara(world)
    for persona, person in (
        ("petra", "malmo_police_person"),
        ("sara", "malmo_social_person"),
        ("karin", "malmo_probation_person"),
        ("sara", "malmo_minor_person"),
    ):
        items = timeline_items(world[persona], [world[person].pk, *_linked(world, persona, person)])
        assert items
        keys = [item.key for item in items]
        assert len(keys) == len(set(keys))
        assert all(item.owner_agency_id and item.person_id for item in items)
        assert [item.when for item in items] == sorted((item.when for item in items), reverse=True)
    # The same items come back with the same keys.
    again = timeline_items(world["petra"], [world["malmo_police_person"].pk])
    assert [i.key for i in again] == [i.key for i in timeline_items(world["petra"], [world["malmo_police_person"].pk])]


def _linked(world: dict[str, Any], persona: str, person: str) -> list[int]:
    from cases.selectors import person_record_ids

    return person_record_ids(world[persona], world[person])[1:]


# --- Filter, pagination, audit -------------------------------------------------------------------


def test_the_category_filter_shows_one_category(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    html = page_text(client, world["malmo_police_person"], "?category=journal")
    assert POLICE_NOTE in html
    assert GROUP not in html
    response = client.get(api_url(world["malmo_police_person"]), {"category": "membership"})
    assert response.status_code == 200
    assert {item["category"] for item in response.json()["results"]} == {"membership"}


def test_an_unknown_category_is_a_form_error_not_a_server_error(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("sara")
    person = world["malmo_social_person"]
    # Memberships exist, but not on this user's timeline: the choice is not offered.
    for category in ("membership", "nonsense"):
        html = page_text(client, person, f"?category={category}")
        assert "Choose one of the listed categories" in html
        assert SOCIAL_NOTES[0] not in html
    api = client.get(api_url(person), {"category": "membership"})
    assert api.status_code == 400
    assert "category" in api.json()
    assert client.get(api_url(person), {"page": "x"}).status_code == 400


def test_the_timeline_is_paginated_and_each_page_is_audited_with_the_keys_shown(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    petra, person = world["petra"], world["malmo_police_person"]
    section = world["malmo_police_section"]
    for n in range(55):
        services.note_add(actor=petra, section=section, text=f"Anteckning {n}")
    client = as_user("petra")
    html = page_text(client, person)
    assert "Page 1 of 2" in html
    event = AuditEvent.objects.filter(actor_id=petra.pk, action=AuditAction.LIST).latest("id")
    assert event.object_type == "timeline"
    assert len(event.object_ids) == 50
    assert event.detail["shown_on"] == f"cases.person:{person.pk}"
    assert all(f'data-key="{key}"' in html for key in event.object_ids)
    page_two = page_text(client, person, "?page=2")
    assert "Page 2 of 2" in page_two
    response = client.get(api_url(person))
    body = response.json()
    assert len(body["results"]) == 50
    assert body["next"]
    api_event = AuditEvent.objects.filter(actor_id=petra.pk, action=AuditAction.LIST).latest("id")
    assert api_event.object_ids == [item["key"] for item in body["results"]]
    assert set(body["results"][0]) == {"key", "when", "date_only", "category", "title", "detail", "url", "owner_agency"}


def test_the_empty_state_says_so(world: dict[str, Any], as_user: ClientFor) -> None:
    person = services.person_create(actor=world["sara"], given_name="Ny", family_name="Person", birth_year=2001)
    html = page_text(as_user("sara"), person)
    assert "Record registered by Malmö stad" in html
    assert "There is nothing on this timeline" not in html
    assert "Choose one of the listed categories" in page_text(as_user("sara"), person, "?category=journal")


# --- Query counts ------------------------------------------------------------------------------------


def _grow(world: dict[str, Any], count: int, *, start: int = 0) -> None:
    """`count` more notes, aliases and memberships on the police Adam."""
    petra, anders = world["petra"], world["anders"]
    person, section, group = world["malmo_police_person"], world["malmo_police_section"], world["malmo_group"]
    today = timezone.localdate()
    for n in range(start, start + count):
        services.note_add(actor=petra, section=section, text=f"Anteckning {n}")
        services.alias_add(actor=petra, person=person, name=f"Alias {n}")
        mapping_services.membership_add(
            actor=anders,
            group=group,
            person=person,
            confidence="possible",
            source="tips",
            valid_from=today - timedelta(days=400 + n),
            valid_to=today - timedelta(days=300 + n),
            last_confirmed=today - timedelta(days=300 + n),
        )


def _count(client: Client, url: str, limit: int) -> int:
    client.get(url)  # warm up: per-process caches (permission ids, content types)
    with max_queries(limit) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(("url", "limit"), [(timeline_url, PAGE_QUERIES), (api_url, API_QUERIES)], ids=["page", "api"])
def test_the_timeline_runs_the_same_number_of_queries_for_5_and_50_items_of_each_kind(
    world: dict[str, Any], as_user: ClientFor, url: Callable[[Any], str], limit: int
) -> None:
    client = as_user("petra")
    target = url(world["malmo_police_person"])
    _grow(world, 5)
    few = _count(client, target, limit)
    _grow(world, 45, start=5)
    assert _count(client, target, limit) == few


def test_date_only_events_show_their_day_without_a_made_up_time(world: dict[str, Any], as_user: ClientFor) -> None:
    """A consent is given on a day: the page shows that day and no "00:00"; the API says it is date-only."""
    jonas = world["malmo_revoked_share"].person
    consent = jonas.consents.get()
    client = as_user("sara")
    html = client.get(f"/persons/{jonas.pk}/timeline/").content.decode()
    given = consent.given_on.isoformat()
    assert f'<time datetime="{given}" class="text-body-secondary">{given}</time>' in html
    assert f"{given} 00:00" not in html
    items = client.get(f"/api/persons/{jonas.pk}/timeline/").json()["results"]
    given_item = next(item for item in items if item["key"] == f"cases.consent:{consent.pk}:given")
    assert given_item["date_only"] is True
    registered = next(item for item in items if item["key"] == f"cases.person:{jonas.pk}:registered")
    assert registered["date_only"] is False
