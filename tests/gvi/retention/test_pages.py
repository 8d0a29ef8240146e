"""Retention's pages and API as the users meet them: Sara sees what of hers the next run culls and holds one;
Lena sets a rule; Olof reads every hold; bad input gets field errors and loses nothing; the pages run a fixed
number of queries however many records are due."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import SocialSection
from cases.services import persons as person_services
from cases.services import sections as section_services
from gvi.audit.models import AuditAction, AuditEvent
from gvi.retention.models import LegalHold, RetentionRule
from gvi.retention.selectors import next_run
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]
JSON = "application/json"

OVERVIEW_QUERIES = 15  # one count per culled category, whatever the data
DUE_QUERIES = 12
HOLD_LIST_QUERIES = 12


def old_sections(world: dict[str, Any], count: int, *, name: str = "Gammal") -> list[SocialSection]:
    """Sara's sections whose last entry is six years old: due at the next run."""
    sara = world["sara"]
    sections = []
    for n in range(count):
        person = person_services.person_create(actor=sara, given_name=f"{name}{n}", family_name="Test", birth_year=2000)
        section = section_services.section_create(actor=sara, person=person, kind="social")
        assert isinstance(section, SocialSection)
        sections.append(section)
    SocialSection.objects.filter(pk__in=[s.pk for s in sections]).update(
        updated_at=timezone.now() - timedelta(days=6 * 365)
    )
    return sections


def test_sara_sees_what_of_hers_is_due_and_holds_it(world: dict[str, Any], as_user: ClientFor) -> None:
    [section] = old_sections(world, 1)
    client = as_user("sara")
    page = client.get(reverse("retention:due", args=["social_sections"]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Gammal0 Test" in text
    assert next_run().isoformat() in text
    # Not Nils's due section in Örebro, nor the field team's.
    assert "Vera Lind" not in text

    form_url = reverse("retention:hold-place", args=["social_sections", section.pk])
    refused = client.post(form_url, {"reason": "kort"})
    assert refused.status_code == 200
    assert "at least 10 characters" in refused.content.decode()
    assert not LegalHold.objects.filter(object_id=section.pk, object_type="cases.socialsection").exists()

    placed = client.post(form_url, {"reason": "Överklagat beslut, mål 123-26."}, follow=True)
    assert placed.status_code == 200
    hold = LegalHold.objects.get(object_id=section.pk, object_type="cases.socialsection")
    assert hold.placed_by == world["sara"]
    assert "Överklagat beslut" in placed.content.decode()
    # Held: no longer due.
    assert "Gammal0 Test" not in client.get(reverse("retention:due", args=["social_sections"])).content.decode()

    lift_url = reverse("retention:hold-lift", args=[hold.pk])
    assert "Lift the hold" in client.get(lift_url).content.decode()
    client.post(lift_url, {"reason": "Domen har vunnit laga kraft."})
    hold.refresh_from_db()
    assert not hold.active
    assert hold.lift_reason == "Domen har vunnit laga kraft."


def test_lena_changes_a_rule_and_a_bad_one_gets_a_field_error(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("lena")
    url = reverse("retention:rule-edit", args=["social_sections"])
    refused = client.post(url, {"months": 24, "version": ""})
    assert refused.status_code == 200
    assert "from 60 to 1200" in refused.content.decode()
    assert not RetentionRule.objects.filter(program=world["lena"].program, category="social_sections").exists()
    saved = client.post(url, {"months": 84, "version": ""})
    assert saved.status_code == 302
    rule = RetentionRule.objects.get(program=world["lena"].program, category="social_sections")
    assert rule.months == 84
    overview = client.get(reverse("retention:overview")).content.decode()
    assert "The program&#x27;s own" in overview or "The program's own" in overview
    # A stale edit keeps the user's input and shows the rule as it is saved.
    client.post(url, {"months": 96, "version": rule.version})
    stale = client.post(url, {"months": 72, "version": rule.version})
    assert stale.status_code == 200
    assert "96 months" in stale.content.decode()
    assert RetentionRule.objects.get(pk=rule.pk).months == 96


def test_olof_reads_every_hold_of_his_program_and_lifts_none(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("olof")
    text = client.get(reverse("retention:hold-list")).content.decode()
    assert "K-123456-26" in text  # the police's hold
    assert "8.1-12345/2026" in text  # social services' hold
    assert "4321-26" not in text  # Örebro's
    assert "Lift" not in text
    assert client.get(reverse("retention:hold-lift", args=[world["malmo_hold"].pk])).status_code == 404


def test_the_overview_counts_what_the_next_run_culls(world: dict[str, Any], as_user: ClientFor) -> None:
    text = as_user("maja").get(reverse("retention:overview")).content.decode()
    # Örebro's demo section with a six-year-old last entry is due; nothing is said about which.
    assert "Vera" not in text
    rules = as_user("maja").get(reverse("api:retention-rules")).json()
    social = next(row for row in rules if row["category"] == "social_sections")
    assert (social["months"], social["rule"], social["due"]) == (60, "default", 1)
    audit = next(row for row in rules if row["category"] == "audit_events")
    assert (audit["culled"], audit["months"], audit["rule"]) == (False, None, "kept")


def test_the_pages_run_a_fixed_number_of_queries(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("sara")
    pages = {
        reverse("retention:overview"): OVERVIEW_QUERIES,
        reverse("retention:due", args=["social_sections"]): DUE_QUERIES,
        reverse("retention:hold-list"): HOLD_LIST_QUERIES,
    }
    old_sections(world, 1, name="Först")
    counts = {}
    for url, limit in pages.items():
        client.get(url)
        with max_queries(limit) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured.captured_queries)
    sections = old_sections(world, 30, name="Sedan")
    for section in sections[:10]:
        LegalHold.objects.create(
            program=section.program,
            category="social_sections",
            object_type="cases.socialsection",
            object_id=section.pk,
            reason="Pågående tillsyn hos IVO.",
            placed_by=world["sara"],
        )
    for url in pages:
        with max_queries(counts[url]) as captured:
            assert client.get(url).status_code == 200
        assert len(captured.captured_queries) == counts[url], url
    lena = as_user("lena")
    lena.get(reverse("retention:overview"))
    with max_queries(OVERVIEW_QUERIES):
        lena.get(reverse("retention:overview"))


def test_the_api_refuses_bad_input_with_field_errors(world: dict[str, Any], as_api_user: ClientFor) -> None:
    lena, erik = as_api_user("lena"), as_api_user("erik")
    url = reverse("api:retention-rule", args=["social_sections"])
    for body, field in (({"months": 12}, "months"), ({"months": "many"}, "months"), ({}, "months")):
        response = lena.patch(url, data=json.dumps(body), content_type=JSON)
        assert response.status_code == 400, body
        assert field in response.json()
    assert (
        lena.patch(
            reverse("api:retention-rule", args=["audit_events"]), data='{"months": 70}', content_type=JSON
        ).status_code
        == 404
    )
    holds = reverse("api:legalhold-list")
    section = world["malmo_field_team_section"]
    bodies: list[tuple[dict[str, Any], str]] = [
        ({"category": "social_sections", "object_id": section.pk, "reason": "kort"}, "reason"),
        ({"category": "social_sections", "object_id": "x", "reason": "Förundersökning pågår."}, "object_id"),
        ({"category": "social_sections", "object_id": 2**70, "reason": "Förundersökning pågår."}, "object_id"),
    ]
    for body, field in bodies:
        response = erik.post(holds, data=json.dumps(body), content_type=JSON)
        assert response.status_code == 400, body
        assert field in response.json()
    held = world["malmo_social_section"]
    again = erik.post(
        holds,
        data=json.dumps({"category": "social_sections", "object_id": held.pk, "reason": "Förundersökning pågår."}),
        content_type=JSON,
    )
    assert again.status_code == 400
    assert "reason" in again.json()
    lift = reverse("api:legalhold-lift", args=[world["malmo_hold"].pk])
    assert erik.post(lift, data="{}", content_type=JSON).status_code == 400
    assert world["malmo_hold"].active


def test_every_change_is_audited(world: dict[str, Any], as_api_user: ClientFor) -> None:
    erik = as_api_user("erik")
    section = world["malmo_field_team_section"]
    created = erik.post(
        reverse("api:legalhold-list"),
        data=json.dumps({"category": "social_sections", "object_id": section.pk, "reason": "Förundersökning pågår."}),
        content_type=JSON,
    )
    assert created.status_code == 201
    hold_id = created.json()["id"]
    erik.post(
        reverse("api:legalhold-lift", args=[hold_id]),
        data='{"reason": "Förundersökningen nedlagd."}',
        content_type=JSON,
    )
    events = AuditEvent.objects.filter(object_type="retention.legalhold", object_id=str(hold_id)).order_by("id")
    assert [(event.action, event.actor_username) for event in events] == [
        (AuditAction.CREATE, "erik"),
        (AuditAction.UPDATE, "erik"),
    ]


def test_a_culled_membership_is_gone_from_the_list_and_the_export(world: dict[str, Any], as_user: ClientFor) -> None:
    """No shadow copy (DOMAIN.md, the Gangs Matrix): after the cull neither the API list nor the CSV export shows
    the membership."""
    from datetime import date

    import time_machine

    from gvi.mapping.services import membership_add
    from gvi.retention.services import cull_program

    petra = world["petra"]
    with time_machine.travel(date(2024, 1, 10), tick=False):
        person = person_services.person_create(
            actor=petra, given_name="Zacharias", family_name="Förfallen", birth_year=2002
        )
        membership = membership_add(
            actor=petra,
            group=world["malmo_group"],
            person=person,
            confidence="confirmed",
            source="Spaning",
            valid_from=date(2024, 1, 10),
        )
    client = as_user("petra")
    export = reverse("mapping:export-memberships", args=["csv"])

    def shown() -> tuple[bool, bool]:
        listed = any(
            item["id"] == membership.pk
            for item in client.get(reverse("api:membership-list") + "?page_size=200").json()["results"]
        )
        exported = "Zacharias" in _content(client.get(export))
        return listed, exported

    assert shown() == (True, True)
    cull_program(petra.program)
    assert shown() == (False, False)


def _content(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()
