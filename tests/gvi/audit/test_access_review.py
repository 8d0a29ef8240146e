"""Access review: Olof, Malmö's auditor, sees who holds which grants and shares with their last use, and
revokes stale holders' own grants in bulk through access.revoke, each revoke audited. Afterwards the holder
gets 404 on the record. Only the auditor reviews and revokes; everyone else gets 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Person
from cases.services import person_create
from gvi.accounts.models import Role, Staff
from gvi.audit import access_review
from gvi.audit.access_review import Selection, grants_revoke_stale, holders
from gvi.audit.models import AuditAction, AuditEvent
from gvi.audit.services import audit_record
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]
NOT_AUDITORS = ("petra", "anders", "sara", "erik", "karin", "lena", "ada", "nils", "maja")
# Measured: session, user, OTP device, staff, last events, user grants (one UNION), group grants (one UNION),
# three share counts, the list's audit event, session save (savepoint, update, release).
ACCESS_REVIEW_QUERIES = 15


@pytest.fixture
def later(world: dict[str, Any]) -> Iterator[None]:
    """91 days on: everyone who has not used the system since the demo was built is stale; Sara works on."""
    with time_machine.travel(timezone.now() + timedelta(days=91), tick=False):
        audit_record(actor=world["sara"], action=AuditAction.VIEW, obj=world["malmo_social_person"], purpose="work")
        yield


def _by_name(user: Staff) -> dict[str, access_review.Holder]:
    return {h.staff.username: h for h in holders(user)}


def test_the_review_lists_the_programs_holders_with_their_grants_and_last_use(world: dict[str, Any]) -> None:
    found = _by_name(world["olof"])
    assert set(found) == {"petra", "anders", "sara", "erik", "karin", "lena", "olof", "ada", "malin"}
    karin = found["karin"]
    karin_persons = Person.objects.filter(created_by=world["karin"], program=world["karin"].program).count()
    assert karin.direct["cases.person"] == karin_persons == 2
    assert karin.team["cases.person"] >= karin_persons
    assert karin.agency["cases.person"] >= karin_persons
    assert karin.staff.role == Role.PROBATION_OFFICER
    last = AuditEvent.objects.filter(actor_id=world["karin"].pk).latest("occurred_at")
    assert karin.last_event_at == last.occurred_at
    assert not karin.stale
    assert found["olof"].direct == {}
    assert not found["olof"].stale
    # Sara made shares in the demo; shares to her team reach her
    assert found["sara"].shares_made + found["sara"].shares_received >= 1


def test_an_inactive_account_holding_grants_is_stale_at_once(world: dict[str, Any]) -> None:
    Staff.objects.filter(pk=world["malin"].pk).update(is_active=False)
    found = _by_name(world["olof"])
    assert found["malin"].stale
    assert not found["karin"].stale


def test_after_90_days_without_use_holders_are_stale(world: dict[str, Any], later: None) -> None:
    found = _by_name(world["olof"])
    assert found["karin"].stale
    assert not found["sara"].stale  # she worked today
    assert not found["lena"].stale  # holds nothing of her own


def test_bulk_revoke_removes_exactly_the_selected_grants_and_audits_each(
    world: dict[str, Any], later: None, as_user: ClientFor
) -> None:
    karin, olof = world["karin"], world["olof"]
    person = world["malmo_probation_person"]
    karin_client = as_user("karin")
    url = reverse("cases:person-detail", kwargs={"pk": person.pk})
    assert karin_client.get(url).status_code == 200  # (this look makes her no less stale: it is one event)
    Staff.objects.filter(pk=karin.pk).update(is_active=False)  # and her account is closed
    petra_person = world["malmo_police_person"]
    before_petra = _by_name(olof)["petra"].direct
    revoked_before = AuditEvent.objects.filter(action=AuditAction.REVOKE).count()
    revoked = grants_revoke_stale(
        actor=olof, selections=[Selection(karin.pk, "cases.person")], reason="access review: account closed"
    )
    assert revoked == 2
    events = AuditEvent.objects.filter(action=AuditAction.REVOKE).order_by("id")[revoked_before:]
    assert {(e.actor_id, e.object_type, e.object_id) for e in events} == {
        (olof.pk, "cases.person", str(p.pk)) for p in Person.objects.filter(created_by=karin, program=karin.program)
    }
    assert all(e.legal_basis == "access review: access review: account closed" for e in events)
    after = _by_name(olof)
    assert "cases.person" not in after["karin"].direct
    assert after["karin"].direct.get("cases.probationsection")  # not selected: kept
    assert after["petra"].direct == before_petra
    Staff.objects.filter(pk=karin.pk).update(is_active=True)
    assert as_user("karin").get(url).status_code == 404
    assert as_user("petra").get(reverse("cases:person-detail", kwargs={"pk": petra_person.pk})).status_code == 200


def test_revoking_a_holder_who_is_not_stale_is_refused(world: dict[str, Any], later: None) -> None:
    sara = world["sara"]
    with pytest.raises(ValidationError) as refused:
        grants_revoke_stale(actor=world["olof"], selections=[Selection(sara.pk, "cases.person")], reason="tidy")
    assert "grants" in refused.value.message_dict
    assert _by_name(world["olof"])["sara"].direct["cases.person"]
    with pytest.raises(ValidationError) as no_reason:
        grants_revoke_stale(actor=world["olof"], selections=[Selection(world["karin"].pk, "cases.person")], reason=" ")
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(ValidationError):
        Selection.parse("1:auth.user")


@pytest.mark.parametrize("persona", NOT_AUDITORS)
def test_nobody_else_revokes(world: dict[str, Any], later: None, persona: str) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        grants_revoke_stale(actor=world[persona], selections=[Selection(world["karin"].pk, "cases.person")], reason="x")


# --- Pages --------------------------------------------------------------------------------------------------


def test_the_access_review_page_runs_constant_queries(as_user: ClientFor, world: dict[str, Any]) -> None:
    client = as_user("olof")
    client.get("/audit/access-review/")
    with max_queries(ACCESS_REVIEW_QUERIES) as captured:
        response = client.get("/audit/access-review/")
    measured = len(captured.captured_queries)
    assert response.status_code == 200
    assert "karin" in {holder.staff.username for holder, _rows in response.context["holders"]}
    # more staff holding more grants: the same number of queries
    for n in range(5):
        worker = Staff.objects.create(
            username=f"worker{n}",
            role=Role.SOCIAL_WORKER,
            program=world["sara"].program,
            agency=world["sara"].agency,
            team=world["sara"].team,
        )
        person_create(actor=worker, given_name="Test", family_name=f"Person{n}", birth_year=2004, purpose="test")
    with max_queries(measured):
        assert client.get("/audit/access-review/").status_code == 200


def test_bulk_revoke_asks_for_confirmation_first(as_user: ClientFor, world: dict[str, Any], later: None) -> None:
    client = as_user("olof")
    karin = world["karin"]
    page = client.get("/audit/access-review/")
    assert f'value="{karin.pk}:cases.person"' in page.content.decode()
    assert f'value="{world["sara"].pk}:cases.person"' not in page.content.decode()  # not stale
    grants = [f"{karin.pk}:cases.person"]
    confirm = client.post("/audit/access-review/revoke/", {"grants": grants})
    assert confirm.status_code == 200
    assert confirm.context["chosen"][0]["records"] == 2
    assert _by_name(world["olof"])["karin"].direct["cases.person"] == 2  # nothing revoked yet
    no_reason = client.post("/audit/access-review/revoke/", {"grants": grants, "confirm": "1", "reason": ""})
    assert no_reason.status_code == 200
    assert "reason" in no_reason.context["form"].errors
    done = client.post("/audit/access-review/revoke/", {"grants": grants, "confirm": "1", "reason": "unused"})
    assert done.status_code == 302
    assert "cases.person" not in _by_name(world["olof"])["karin"].direct
    refused = client.post(
        "/audit/access-review/revoke/",
        {"grants": [f"{world['sara'].pk}:cases.person"], "confirm": "1", "reason": "x"},
        follow=True,
    )
    assert "Only a stale holder" in refused.content.decode()


@pytest.mark.parametrize("persona", NOT_AUDITORS)
def test_everyone_else_gets_404_on_the_access_review(as_user: ClientFor, world: dict[str, Any], persona: str) -> None:
    client = as_user(persona)
    assert client.get("/audit/access-review/").status_code == 404
    response = client.post(
        "/audit/access-review/revoke/", {"grants": [f"{world['karin'].pk}:cases.person"], "confirm": "1", "reason": "x"}
    )
    assert response.status_code == 404


# --- API ----------------------------------------------------------------------------------------------------


def test_the_api_lists_holders_and_revokes(as_api_user: ClientFor, world: dict[str, Any], later: None) -> None:
    client = as_api_user("olof")
    listed = client.get("/api/access-review/").json()
    karin = next(h for h in listed["results"] if h["username"] == "karin")
    assert karin["stale"] is True
    assert karin["grants"]["cases.person"]["direct"] == 2
    assert karin["last_event_at"] is not None
    bad = client.post("/api/access-review/revoke/", {"grants": [], "reason": ""}, content_type="application/json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"grants", "reason"}
    wrong = client.post(
        "/api/access-review/revoke/", {"grants": ["x:y"], "reason": "unused"}, content_type="application/json"
    )
    assert wrong.status_code == 400
    assert "grants" in wrong.json()
    ok = client.post(
        "/api/access-review/revoke/",
        {"grants": [f"{world['karin'].pk}:cases.person"], "reason": "unused"},
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert ok.json() == {"revoked": 2}


@pytest.mark.parametrize("persona", NOT_AUDITORS)
def test_the_access_review_api_answers_404_to_everyone_else(as_api_user: ClientFor, persona: str) -> None:
    client = as_api_user(persona)
    assert client.get("/api/access-review/").status_code == 404
    response = client.post(
        "/api/access-review/revoke/", {"grants": ["1:cases.person"], "reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 404
