"""Enforcement rounds, responses after incidents, the routine and the calendar over the API: the same policy,
services and audit as the pages.

The permission matrix runs every route for every persona (tests/interventions/matrix_enforcement_api.py);
here: the partial serializers return exactly the declared fields (Karin's round, Sara's response, with no
incident id), every change refuses the personas it is not theirs to make with 404 before it asks for If-Match
(428), a stale one is a 412 and changes nothing, bad input is a 400 naming the field (never a 500), the
filters, the audit events, and lists whose query count does not grow with the data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gvi import access
from gvi.accounts.models import Agency
from gvi.api import MAX_ID
from gvi.audit.models import AuditAction, AuditEvent
from gvi.demo import PERSONA_NAMES
from gvi.mapping.models import Incident
from gvi.mapping.services import group_create
from interventions import calendar
from interventions.models import (
    EnforcementAction,
    EnforcementRound,
    IncidentResponse,
    ResponseTask,
    ResponseTemplateItem,
)
from interventions.services import responses as response_services
from interventions.services import rounds as round_services
from tests.conftest import api_list_counts

ClientFor = Callable[[str], Client]
JSON = "application/json"
QUERY_LIMIT = 15  # DESIGN.md: every API list runs a bounded number of queries
ROUND_SUMMARY = set(access.partial_fields(EnforcementRound, "view_summary"))
RESPONSE_SUMMARY = set(access.partial_fields(IncidentResponse, "view_summary"))


@pytest.fixture
def as_user(as_api_user: ClientFor) -> ClientFor:
    return as_api_user


def send(client: Client, method: str, url: str, data: Any = None, **headers: str) -> Any:
    return getattr(client, method)(
        url, data=json.dumps(data if data is not None else {}), content_type=JSON, headers=headers
    )


def etag_of(record: Any) -> str:
    return f'"{record.pk}-{record.version}"'


def fresh[M](record: M) -> M:
    return type(record)._default_manager.get(pk=record.pk)  # type: ignore[attr-defined]


def last_list(user: Any) -> AuditEvent:
    event = AuditEvent.objects.filter(actor_id=user.pk, action=AuditAction.LIST).order_by("-id").first()
    assert event is not None
    return event


def today() -> str:
    return timezone.localdate().isoformat()


# --------------------------------------------------------------------------------------------------
# The partial views: exactly the declared fields


def test_karin_gets_only_the_round_summary(world: dict[str, Any], as_user: ClientFor) -> None:
    round_ = world["malmo_round"]
    karin = as_user("karin")
    rows = karin.get("/api/enforcement-rounds/").json()["results"]
    assert [row["id"] for row in rows] == [round_.pk]
    assert set(rows[0]) == ROUND_SUMMARY == {"id", "started_on", "status", "ended_on", "summary"}
    assert rows[0]["summary"] == round_.summary
    assert last_list(world["karin"]).detail == {"access": "view_summary"}
    detail = karin.get(f"/api/enforcement-rounds/{round_.pk}/")
    assert detail.status_code == 200
    assert set(detail.json()) == ROUND_SUMMARY
    assert "ETag" not in detail  # she changes nothing of the round
    for secret in ("group", "group_name", "reason", "incidents", "evaluation"):
        assert secret not in detail.json()
    # The ended round (Kriminalvården was not asked to act in it) is not hers at all.
    assert karin.get(f"/api/enforcement-rounds/{world['malmo_round_ended'].pk}/").status_code == 404
    # Her agency's action only, in full (it is hers to record).
    actions = karin.get("/api/enforcement-actions/").json()["results"]
    assert [row["id"] for row in actions] == [world["malmo_action_supervision"].pk]
    assert actions[0]["actor_name"] == world["karin"].agency.name
    assert karin.get(f"/api/enforcement-actions/{world['malmo_action_arrest'].pk}/").status_code == 404


def test_the_police_get_the_round_in_full_with_an_etag(world: dict[str, Any], as_user: ClientFor) -> None:
    round_ = world["malmo_round"]
    response = as_user("anders").get(f"/api/enforcement-rounds/{round_.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == etag_of(round_)
    data = response.json()
    assert data["group"] == world["malmo_other_group"].pk
    assert data["group_name"] == world["malmo_other_group"].name
    assert data["incidents"] == [world["malmo_incident"].pk]
    assert data["reason"] == round_.reason
    assert data["action_count"] == 3
    rows = as_user("petra").get("/api/enforcement-rounds/?status=active").json()["results"]
    assert [row["id"] for row in rows] == [round_.pk]
    assert rows[0]["action_count"] == 3
    actions = as_user("petra").get(f"/api/enforcement-actions/?round={round_.pk}").json()["results"]
    assert {row["id"] for row in actions} == {
        world[name].pk for name in ("malmo_action_arrest", "malmo_action_kronofogden", "malmo_action_supervision")
    }
    planned = as_user("petra").get(f"/api/enforcement-actions/?round={round_.pk}&status=planned").json()["results"]
    assert {row["id"] for row in planned} == {
        world["malmo_action_kronofogden"].pk,
        world["malmo_action_supervision"].pk,
    }
    kronofogden = next(row for row in planned if row["id"] == world["malmo_action_kronofogden"].pk)
    assert kronofogden["acting_agency"] is None
    assert kronofogden["external_agency"] == kronofogden["actor_name"] == "Kronofogden"


def test_sara_gets_only_the_response_summary_and_no_incident(world: dict[str, Any], as_user: ClientFor) -> None:
    response = world["malmo_response"]
    for name in ("sara", "erik", "karin"):
        client = as_user(name)
        rows = client.get("/api/incident-responses/").json()["results"]
        assert [row["id"] for row in rows] == [response.pk]
        assert set(rows[0]) == RESPONSE_SUMMARY
        assert "incident" not in rows[0]
        detail = client.get(f"/api/incident-responses/{response.pk}/")
        assert detail.status_code == 200
        data = detail.json()
        assert set(data) == RESPONSE_SUMMARY
        for secret in ("incident", "notes", "owner_agency", "task_total"):
            assert secret not in data
        assert data["district"] == response.district
        assert world["malmo_incident"].pk not in [value for key, value in data.items() if key != "id"]
    # The police see the incident behind it and the counts.
    full = as_user("petra").get(f"/api/incident-responses/{response.pk}/")
    assert full["ETag"] == etag_of(response)
    data = full.json()
    assert data["incident"] == world["malmo_incident"].pk
    assert data["task_total"] == ResponseTask.objects.filter(response=response).count()
    assert data["task_overdue"] >= 1


def test_tasks_of_each_agency_and_the_filters(world: dict[str, Any], as_user: ClientFor) -> None:
    response = world["malmo_response"]
    sara = as_user("sara")
    rows = sara.get("/api/response-tasks/").json()["results"]
    city = ResponseTask.objects.filter(response=response, owner_agency_id=world["sara"].agency_id)
    assert {row["id"] for row in rows} == set(city.values_list("pk", flat=True))
    assert len(rows) == 3
    overdue = sara.get("/api/response-tasks/?overdue=true").json()["results"]
    assert world["malmo_task_exit"].pk in {row["id"] for row in overdue}
    assert all(row["overdue"] and row["status"] == "open" for row in overdue)
    not_overdue = sara.get("/api/response-tasks/?overdue=false").json()["results"]
    assert {row["id"] for row in not_overdue} == {row["id"] for row in rows} - {row["id"] for row in overdue}
    done = sara.get("/api/response-tasks/?status=done").json()["results"]
    assert [row["id"] for row in done] == [world["malmo_task_crisis"].pk]
    exit_task = next(row for row in rows if row["id"] == world["malmo_task_exit"].pk)
    assert exit_task["assignee"] == world["sara"].pk
    assert exit_task["assignee_name"] == world["sara"].get_full_name()
    assert exit_task["response"] == response.pk
    assert as_user("sara").get(f"/api/response-tasks/?response={MAX_ID}").json()["results"] == []
    assert sara.get("/api/response-tasks/?overdue=maybe").status_code == 400
    # The police see every task of the response (another agency's by its status); Karin only Kriminalvården's.
    police = as_user("anders").get(f"/api/response-tasks/?response={response.pk}").json()["results"]
    assert len(police) == ResponseTask.objects.filter(response=response).count()
    karin = as_user("karin").get("/api/response-tasks/").json()["results"]
    assert [row["id"] for row in karin] == [world["malmo_task_probation"].pk]


TASK_STATUS = set(access.partial_fields(ResponseTask, "view_status"))
SOCIAL_NOTE = "Krisstöd till modern och två syskon till den skadade."
PROBATION_NOTE = "Skärpt tillsyn av klient Oskar Nyberg: besök två gånger i veckan."


def test_the_police_get_another_agencys_task_as_its_status_only(world: dict[str, Any], as_user: ClientFor) -> None:
    """Sara's and Karin's tasks reach the police as the declared partial view: never the note, the assignee or
    who resolved it. Their own tasks come in full; the filters work the same on both kinds."""
    response, sara = world["malmo_response"], world["sara"]
    exit_offer, probation = world["malmo_task_exit"], world["malmo_task_probation"]
    exit_offer = response_services.task_resolve(
        actor=sara, task=exit_offer, version=exit_offer.version, status="done", note=SOCIAL_NOTE
    )
    response_services.task_resolve(
        actor=world["karin"], task=probation, version=probation.version, status="not_needed", note=PROBATION_NOTE
    )
    own = world["malmo_task_police"]
    others = set(ResponseTask.objects.filter(response=response).exclude(owner_agency_id=own.owner_agency_id))
    for name in ("petra", "anders"):
        client = as_user(name)
        listed = client.get(f"/api/response-tasks/?response={response.pk}")
        body = json.dumps(listed.json(), ensure_ascii=False)
        for secret in (SOCIAL_NOTE, PROBATION_NOTE, sara.get_full_name(), world["karin"].get_full_name()):
            assert secret not in body, (name, secret)
        rows = {row["id"]: row for row in listed.json()["results"]}
        for task in others:
            assert set(rows[task.pk]) == TASK_STATUS, (name, task.title)
        assert rows[own.pk]["note"] == "Utfört."
        assert rows[exit_offer.pk]["status"] == "done"
        assert rows[exit_offer.pk]["resolved_at"]
        assert rows[exit_offer.pk]["owner_agency"] == sara.agency_id
        # The filters reach both kinds of row.
        done = client.get(f"/api/response-tasks/?response={response.pk}&status=done").json()["results"]
        assert exit_offer.pk in {row["id"] for row in done}
        assert own.pk in {row["id"] for row in done}
        overdue = client.get(f"/api/response-tasks/?response={response.pk}&overdue=true").json()["results"]
        assert {row["id"] for row in overdue} == {
            t.pk for t in others if t.status == "open" and t.deadline < timezone.now()
        }
        # One task: the partial payload, no ETag (the police change nothing of it).
        one = client.get(f"/api/response-tasks/{exit_offer.pk}/")
        assert one.status_code == 200
        assert set(one.json()) == TASK_STATUS
        assert one.json()["title"] == exit_offer.title
        assert "ETag" not in one
        viewed = AuditEvent.objects.filter(actor_id=world[name].pk, action=AuditAction.VIEW).latest("id")
        assert (viewed.object_id, viewed.detail) == (str(exit_offer.pk), {"access": "view_status"})
        full = client.get(f"/api/response-tasks/{own.pk}/")
        assert full.json()["note"] == "Utfört."
        assert "ETag" in full
    # The owning agencies read their notes.
    assert as_user("sara").get(f"/api/response-tasks/{exit_offer.pk}/").json()["note"] == SOCIAL_NOTE
    assert as_user("karin").get(f"/api/response-tasks/{probation.pk}/").json()["note"] == PROBATION_NOTE
    assert as_user("karin").get(f"/api/response-tasks/{exit_offer.pk}/").status_code == 404


# --------------------------------------------------------------------------------------------------
# Every change: 404 for the refused personas before If-Match; 428 without it; 412 when stale


def _round_end(world: dict[str, Any]) -> dict[str, Any]:
    return {"ended_on": today(), "evaluation": "Lugnt."}


CHANGES: list[tuple[str, str, str, Callable[[dict[str, Any]], Any], frozenset[str]]] = [
    ("patch", "/api/enforcement-rounds/{pk}/", "malmo_round", lambda w: {"summary": "Ny."}, frozenset({"petra"})),
    ("post", "/api/enforcement-rounds/{pk}/end/", "malmo_round", _round_end, frozenset({"petra"})),
    (
        "patch",
        "/api/enforcement-actions/{pk}/",
        "malmo_action_kronofogden",
        lambda w: {"description": "Ny."},
        frozenset({"petra"}),
    ),
    ("delete", "/api/enforcement-actions/{pk}/", "malmo_action_kronofogden", lambda w: None, frozenset({"petra"})),
    (
        "post",
        "/api/enforcement-actions/{pk}/result/",
        "malmo_action_supervision",
        lambda w: {"status": "not_done", "result": "Nej."},
        frozenset({"karin"}),
    ),
    (
        "post",
        "/api/enforcement-actions/{pk}/result/",
        "malmo_action_kronofogden",
        lambda w: {"status": "not_done", "result": "Nej."},
        frozenset({"petra"}),
    ),
    ("patch", "/api/incident-responses/{pk}/", "malmo_response", lambda w: {"notes": "Ny."}, frozenset({"petra"})),
    ("post", "/api/incident-responses/{pk}/close/", "malmo_response", lambda w: None, frozenset({"petra"})),
    (
        "post",
        "/api/response-tasks/{pk}/assign/",
        "malmo_task_exit",
        lambda w: {"assignee": None},
        frozenset({"sara", "erik"}),
    ),
    (
        "post",
        "/api/response-tasks/{pk}/resolve/",
        "malmo_task_probation",
        lambda w: {"status": "done"},
        frozenset({"karin"}),
    ),
]


@pytest.mark.parametrize(
    ("method", "url", "subject", "body", "allowed"), CHANGES, ids=[f"{c[0]} {c[1]} {c[2]}" for c in CHANGES]
)
def test_every_change_refuses_before_it_asks_for_if_match(
    world: dict[str, Any],
    as_user: ClientFor,
    method: str,
    url: str,
    subject: str,
    body: Callable[[dict[str, Any]], Any],
    allowed: frozenset[str],
) -> None:
    record = world[subject]
    target = url.format(pk=record.pk)
    before = fresh(record)
    for name in PERSONA_NAMES:
        client = as_user(name)
        without = send(client, method, target, body(world))
        if name in allowed:
            assert without.status_code == 428, (name, without.status_code)
            stale = send(client, method, target, body(world), **{"If-Match": f'"{record.pk}-{before.version - 1}"'})
            assert stale.status_code == 412, (name, stale.status_code)
        else:
            assert without.status_code == 404, (name, without.status_code)
            # A right ETag does not help the refused either.
            refused = send(client, method, target, body(world), **{"If-Match": etag_of(before)})
            assert refused.status_code == 404, (name, refused.status_code)
    after = fresh(record)
    assert after.version == before.version
    assert after.updated_at == before.updated_at


def test_a_stale_edit_is_refused_and_changes_nothing(world: dict[str, Any], as_user: ClientFor) -> None:
    round_ = world["malmo_round"]
    url = f"/api/enforcement-rounds/{round_.pk}/"
    anders_read = as_user("anders").get(url)["ETag"]
    petra = as_user("petra")
    first = send(petra, "patch", url, {"summary": "Första."}, **{"If-Match": anders_read})
    assert first.status_code == 200
    assert first["ETag"] != anders_read
    again = send(petra, "patch", url, {"summary": "Andra."}, **{"If-Match": anders_read})
    assert again.status_code == 412
    assert fresh(round_).summary == "Första."
    # The round ends today once no action is planned after today.
    for key in ("malmo_action_kronofogden", "malmo_action_supervision"):
        action = fresh(world[key])
        round_services.action_update(
            actor=world["petra"], action=action, version=action.version, acted_on=timezone.localdate()
        )
    # A double submit of the end: the second, with the old ETag, is a 412; with the new one a 400 (ended).
    end = f"/api/enforcement-rounds/{round_.pk}/end/"
    ended = send(petra, "post", end, _round_end(world), **{"If-Match": first["ETag"]})
    assert ended.status_code == 200
    assert ended.json()["status"] == "ended"
    assert send(petra, "post", end, _round_end(world), **{"If-Match": first["ETag"]}).status_code == 412
    twice = send(petra, "post", end, _round_end(world), **{"If-Match": ended["ETag"]})
    assert twice.status_code == 400
    assert "non_field_errors" in twice.json()


def test_task_assign_and_resolve_through_the_api(world: dict[str, Any], as_user: ClientFor) -> None:
    task = world["malmo_task_exit"]
    erik = as_user("erik")
    url = f"/api/response-tasks/{task.pk}/"
    etag = erik.get(url)["ETag"]
    assigned = send(erik, "post", url + "assign/", {"assignee": world["erik"].pk}, **{"If-Match": etag})
    assert assigned.status_code == 200
    assert assigned.json()["assignee"] == world["erik"].pk
    taken_back = send(erik, "post", url + "assign/", {"assignee": None}, **{"If-Match": assigned["ETag"]})
    assert taken_back.status_code == 200
    assert taken_back.json()["assignee"] is None
    resolved = send(
        erik,
        "post",
        url + "resolve/",
        {"status": "not_needed", "note": "Ingen ville."},
        **{"If-Match": taken_back["ETag"]},
    )
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "not_needed"
    assert resolved.json()["overdue"] is False
    stored = fresh(task)
    assert stored.status == ResponseTask.Status.NOT_NEEDED
    assert stored.resolved_by_id == world["erik"].pk


def test_closing_a_response_once_its_tasks_are_resolved(world: dict[str, Any], as_user: ClientFor) -> None:
    response = world["malmo_response"]
    petra = as_user("petra")
    url = f"/api/incident-responses/{response.pk}/close/"
    refused = send(petra, "post", url, None, **{"If-Match": etag_of(response)})
    assert refused.status_code == 400
    assert "non_field_errors" in refused.json()
    assert fresh(response).status == IncidentResponse.Status.OPEN
    owners = {world[name].agency_id: world[name] for name in ("sara", "karin")}
    for task in ResponseTask.objects.filter(response=response, status=ResponseTask.Status.OPEN):
        response_services.task_resolve(
            actor=owners[task.owner_agency_id], task=task, version=task.version, status="done"
        )
    closed = send(petra, "post", url, None, **{"If-Match": etag_of(response)})
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["task_overdue"] == 0


# --------------------------------------------------------------------------------------------------
# Bad input: 400 with the field, never a 500


def _errors(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, (response.status_code, response.content[:500])
    data: dict[str, Any] = response.json()
    return data


def test_round_and_action_bad_input(world: dict[str, Any], as_user: ClientFor) -> None:
    petra = as_user("petra")
    round_ = world["malmo_round"]
    rounds_before = EnforcementRound.objects.count()
    # Unknown, hidden (Örebro's) and overflowing ids name their field.
    for group in (MAX_ID, world["orebro_group"].pk):
        assert "group" in _errors(send(petra, "post", "/api/enforcement-rounds/", {"group": group, "reason": "x"}))
    assert "group" in _errors(send(petra, "post", "/api/enforcement-rounds/", {"group": MAX_ID + 1, "reason": "x"}))
    bad_incidents = {"group": world["malmo_group"].pk, "reason": "x", "incidents": [MAX_ID]}
    assert "incidents" in _errors(send(petra, "post", "/api/enforcement-rounds/", bad_incidents))
    no_reason = {"group": world["malmo_group"].pk, "reason": "  "}
    assert "reason" in _errors(send(petra, "post", "/api/enforcement-rounds/", no_reason))
    future = {"group": world["malmo_group"].pk, "reason": "x", "started_on": "2999-01-01"}
    assert "started_on" in _errors(send(petra, "post", "/api/enforcement-rounds/", future))
    assert EnforcementRound.objects.count() == rounds_before
    # The end before the start, and without an evaluation.
    end = f"/api/enforcement-rounds/{round_.pk}/end/"
    before_start = (round_.started_on - timedelta(days=1)).isoformat()
    errors = _errors(
        send(petra, "post", end, {"ended_on": before_start, "evaluation": ""}, **{"If-Match": etag_of(round_)})
    )
    assert set(errors) == {"ended_on", "evaluation"}
    assert fresh(round_).status == EnforcementRound.Status.ACTIVE
    # Actions: the municipality never acts; an unknown round, an agency outside the program, a date before the
    # round, an unknown kind.
    actions_before = EnforcementAction.objects.count()
    base = {"round": round_.pk, "kind": "search", "acted_on": today()}
    municipality = {**base, "acting_agency": world["sara"].agency_id}
    assert "acting_agency" in _errors(send(petra, "post", "/api/enforcement-actions/", municipality))
    orebro_police = Agency.objects.get(slug="polisen-orebro")
    outside = {**base, "acting_agency": orebro_police.pk}
    assert "acting_agency" in _errors(send(petra, "post", "/api/enforcement-actions/", outside))
    assert "acting_agency" in _errors(send(petra, "post", "/api/enforcement-actions/", base))  # neither given
    unknown_round = {**base, "round": MAX_ID, "acting_agency": world["petra"].agency_id}
    assert "round" in _errors(send(petra, "post", "/api/enforcement-actions/", unknown_round))
    ended_round = {**base, "round": world["malmo_round_ended"].pk, "acting_agency": world["petra"].agency_id}
    assert "non_field_errors" in _errors(send(petra, "post", "/api/enforcement-actions/", ended_round))
    early = {**base, "acted_on": "2001-01-01", "acting_agency": world["petra"].agency_id}
    assert "acted_on" in _errors(send(petra, "post", "/api/enforcement-actions/", early))
    assert "kind" in _errors(send(petra, "post", "/api/enforcement-actions/", {**base, "kind": "raid"}))
    assert EnforcementAction.objects.count() == actions_before
    # A result needs the result; a done action not in the future.
    supervision = world["malmo_action_supervision"]
    result = f"/api/enforcement-actions/{supervision.pk}/result/"
    karin = as_user("karin")
    tag = {"If-Match": etag_of(supervision)}
    assert "result" in _errors(send(karin, "post", result, {"status": "done", "result": ""}, **tag))
    assert "acted_on" in _errors(send(karin, "post", result, {"status": "done", "result": "Klart."}, **tag))
    assert "status" in _errors(send(karin, "post", result, {"status": "planned", "result": "Klart."}, **tag))
    assert fresh(supervision).status == EnforcementAction.Status.PLANNED
    # A done action no longer changes, nor is it removed.
    arrest = world["malmo_action_arrest"]
    assert "non_field_errors" in _errors(
        send(
            petra,
            "patch",
            f"/api/enforcement-actions/{arrest.pk}/",
            {"description": "x"},
            **{"If-Match": etag_of(arrest)},
        )
    )
    assert "non_field_errors" in _errors(
        send(petra, "delete", f"/api/enforcement-actions/{arrest.pk}/", None, **{"If-Match": etag_of(arrest)})
    )


def test_response_task_and_routine_bad_input(world: dict[str, Any], as_user: ClientFor) -> None:
    petra = as_user("petra")
    responses_before = IncidentResponse.objects.count()
    assert "incident" in _errors(send(petra, "post", "/api/incident-responses/", {"incident": MAX_ID}))
    assert "incident" in _errors(send(petra, "post", "/api/incident-responses/", {"incident": "١٢"}))
    taken = {"incident": world["malmo_incident"].pk}  # answered already
    assert "incident" in _errors(send(petra, "post", "/api/incident-responses/", taken))
    assert IncidentResponse.objects.count() == responses_before
    # Tasks: an unknown response or agency, a deadline before the incident, no title.
    response = world["malmo_response"]
    tasks_before = ResponseTask.objects.count()
    base = {
        "response": response.pk,
        "title": "Extra",
        "agency": world["sara"].agency_id,
        "deadline": (timezone.now() + timedelta(days=1)).isoformat(),
    }
    assert "response" in _errors(send(petra, "post", "/api/response-tasks/", {**base, "response": MAX_ID}))
    assert "agency" in _errors(send(petra, "post", "/api/response-tasks/", {**base, "agency": MAX_ID}))
    orebro = Agency.objects.get(slug="orebro-kommun")
    assert "agency" in _errors(send(petra, "post", "/api/response-tasks/", {**base, "agency": orebro.pk}))
    early = (response.occurred_at - timedelta(hours=1)).isoformat()
    assert "deadline" in _errors(send(petra, "post", "/api/response-tasks/", {**base, "deadline": early}))
    assert "deadline" in _errors(send(petra, "post", "/api/response-tasks/", {**base, "deadline": "0001-01-01T00:00"}))
    assert "title" in _errors(send(petra, "post", "/api/response-tasks/", {**base, "title": " "}))
    assert ResponseTask.objects.count() == tasks_before
    # Assign to someone outside the task's agency; resolve as not needed without saying why.
    exit_task = world["malmo_task_exit"]
    sara = as_user("sara")
    tag = {"If-Match": etag_of(exit_task)}
    url = f"/api/response-tasks/{exit_task.pk}/"
    for stranger in (world["karin"].pk, world["nils"].pk, MAX_ID):
        assert "assignee" in _errors(send(sara, "post", url + "assign/", {"assignee": stranger}, **tag))
    assert "assignee" in _errors(send(sara, "post", url + "assign/", {}, **tag))
    assert "note" in _errors(send(sara, "post", url + "resolve/", {"status": "not_needed", "note": " "}, **tag))
    assert "status" in _errors(send(sara, "post", url + "resolve/", {"status": "open"}, **tag))
    crisis = world["malmo_task_crisis"]  # done already
    done = send(
        sara, "post", f"/api/response-tasks/{crisis.pk}/resolve/", {"status": "done"}, **{"If-Match": etag_of(crisis)}
    )
    assert "non_field_errors" in _errors(done)
    assert fresh(exit_task).version == exit_task.version
    # The routine: an agency of another program, hours out of range.
    lena = as_user("lena")
    items_before = ResponseTemplateItem.objects.count()
    item = {"title": "Ny", "agency": world["sara"].agency_id, "deadline_hours": 24}
    assert "agency" in _errors(send(lena, "post", "/api/response-routine/", {**item, "agency": orebro.pk}))
    assert "deadline_hours" in _errors(send(lena, "post", "/api/response-routine/", {**item, "deadline_hours": 0}))
    assert "title" in _errors(send(lena, "post", "/api/response-routine/", {**item, "title": ""}))
    assert ResponseTemplateItem.objects.count() == items_before
    routine_item = world["malmo_routine_item"]
    patch = send(lena, "patch", f"/api/response-routine/{routine_item.pk}/", {"agency": orebro.pk})
    assert "agency" in _errors(patch)
    assert fresh(routine_item).agency_id == routine_item.agency_id
    # Not JSON at all.
    assert as_user("petra").post("/api/response-tasks/", data="{not json", content_type=JSON).status_code == 400


def test_calendar_range_bad_input(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("sara")
    start = timezone.localdate()
    for query, field in (
        (f"start={start}&end={start - timedelta(days=1)}", "end"),
        (f"start={start}&end={start + timedelta(days=92)}", "end"),
        ("start=2024-02-30", "start"),
        ("start=0001-01-01&end=0001-01-02", "start"),
        (f"start={start}&end=tomorrow", "end"),
    ):
        assert field in _errors(client.get(f"/api/calendar-events/?{query}")), query
    assert client.get(f"/api/calendar-events/?start={start}&end={start + timedelta(days=91)}").status_code == 200


# --------------------------------------------------------------------------------------------------
# Writes through the API, with their audit


def test_petra_starts_a_round_and_asks_kriminalvarden_to_act(world: dict[str, Any], as_user: ClientFor) -> None:
    petra = as_user("petra")
    created = send(
        petra,
        "post",
        "/api/enforcement-rounds/",
        {"group": world["malmo_group"].pk, "reason": "Ny skjutning.", "summary": "Fyra veckor."},
    )
    assert created.status_code == 201
    round_id = created.json()["id"]
    assert created["ETag"] == f'"{round_id}-1"'
    assert created.json()["started_on"] == today()
    action = send(
        petra,
        "post",
        "/api/enforcement-actions/",
        {
            "round": round_id,
            "kind": "supervision",
            "acted_on": today(),
            "acting_agency": world["karin"].agency_id,
            "description": "Tätare besök.",
        },
    )
    assert action.status_code == 201
    assert action.json()["actor_name"] == world["karin"].agency.name
    # Kriminalvården now holds the round's summary and its action.
    karin = as_user("karin")
    assert set(karin.get(f"/api/enforcement-rounds/{round_id}/").json()) == ROUND_SUMMARY
    recorded = send(
        karin,
        "post",
        f"/api/enforcement-actions/{action.json()['id']}/result/",
        {"status": "done", "result": "Två besök."},
        **{"If-Match": action["ETag"]},
    )
    assert recorded.status_code == 200
    assert recorded.json()["status"] == "done"
    assert AuditEvent.objects.filter(
        actor_id=world["petra"].pk, action=AuditAction.CREATE, object_type="interventions.enforcementround"
    ).exists()


def test_petra_opens_a_response_and_adds_a_task(world: dict[str, Any], as_user: ClientFor) -> None:
    incident = (
        Incident.objects.filter(owner_agency_id=world["petra"].agency_id, response__isnull=True)
        .order_by("-occurred_at")
        .first()
    )
    assert incident is not None
    petra = as_user("petra")
    opened = send(petra, "post", "/api/incident-responses/", {"incident": incident.pk})
    assert opened.status_code == 201
    data = opened.json()
    assert data["incident"] == incident.pk
    assert (
        data["task_total"]
        == ResponseTemplateItem.objects.filter(program_id=world["petra"].program_id, active=True).count()
    )
    deadline = (timezone.now() + timedelta(days=2)).isoformat()
    task = send(
        petra,
        "post",
        "/api/response-tasks/",
        {"response": data["id"], "title": "Extra samtal", "agency": world["sara"].agency_id, "deadline": deadline},
    )
    assert task.status_code == 201
    assert task.json()["owner_agency"] == world["sara"].agency_id
    # Sara sees the new task and the summary of the new response.
    assert task.json()["id"] in {row["id"] for row in as_user("sara").get("/api/response-tasks/").json()["results"]}
    assert set(as_user("sara").get(f"/api/incident-responses/{data['id']}/").json()) == RESPONSE_SUMMARY


def test_the_routine_is_kept_per_program(world: dict[str, Any], as_user: ClientFor) -> None:
    maja = as_user("maja")
    orebro = Agency.objects.get(slug="orebro-kommun")
    created = send(
        maja, "post", "/api/response-routine/", {"title": "Samtal", "agency": orebro.pk, "deadline_hours": 12}
    )
    assert created.status_code == 201
    item = ResponseTemplateItem.objects.get(pk=created.json()["id"])
    assert item.program_id == world["maja"].program_id
    assert item.order > 1  # after the last
    assert as_user("lena").get(f"/api/response-routine/{item.pk}/").status_code == 404
    assert maja.get(f"/api/response-routine/{world['malmo_routine_item'].pk}/").status_code == 404
    updated = send(maja, "patch", f"/api/response-routine/{item.pk}/", {"active": False, "deadline_hours": 6})
    assert updated.status_code == 200
    assert (updated.json()["active"], updated.json()["deadline_hours"]) == (False, 6)
    assert fresh(item).title == "Samtal"
    assert send(maja, "delete", f"/api/response-routine/{item.pk}/").status_code == 204
    assert not ResponseTemplateItem.objects.filter(pk=item.pk).exists()
    # The police read Malmö's routine; they do not keep it.
    rows = as_user("anders").get("/api/response-routine/").json()["results"]
    assert world["malmo_routine_item"].pk in {row["id"] for row in rows}
    assert send(as_user("petra"), "post", "/api/response-routine/", {"title": "x"}).status_code == 404


# --------------------------------------------------------------------------------------------------
# The calendar


def test_calendar_events_are_the_callers_with_one_audit_event(world: dict[str, Any], as_user: ClientFor) -> None:
    first = timezone.localdate() - timedelta(days=10)
    last = first + timedelta(days=40)
    for name in ("petra", "sara", "karin", "olof"):
        response = as_user(name).get(f"/api/calendar-events/?start={first}&end={last}&page_size=200")
        assert response.status_code == 200
        rows = response.json()["results"]
        expected = calendar.events(world[name], first, last)
        assert [row["uid"] for row in rows] == [event.uid for event in expected]
        event = last_list(world[name])
        assert event.object_type == "calendar"
        assert event.object_ids == [e.uid for e in expected]
        assert event.detail["count"] == len(expected)
        for row in rows:
            assert set(row) == {"uid", "kind", "title", "start", "all_day", "place", "url", "detail", "overdue"}
    sara_rows = as_user("sara").get(f"/api/calendar-events/?start={first}&end={last}").json()["results"]
    exit_task = next(row for row in sara_rows if row["uid"] == f"task-{world['malmo_task_exit'].pk}")
    assert exit_task["overdue"] is True
    assert exit_task["detail"] == world["malmo_task_exit"].title
    assert exit_task["kind"] == "task"
    karin_kinds = {
        row["kind"] for row in as_user("karin").get(f"/api/calendar-events/?start={first}&end={last}").json()["results"]
    }
    assert "action" in karin_kinds
    assert not as_user("olof").get(f"/api/calendar-events/?start={first}&end={last}").json()["results"]
    # Without days: the next 30 days.
    default = as_user("petra").get("/api/calendar-events/?page_size=200").json()["results"]
    today_ = timezone.localdate()
    assert [row["uid"] for row in default] == [
        e.uid for e in calendar.events(world["petra"], today_, today_ + timedelta(days=29))
    ]


# --------------------------------------------------------------------------------------------------
# Query counts do not grow with the data


def _more(world: dict[str, Any], count: int) -> None:
    petra, karin = world["petra"], world["karin"]
    for i in range(count):
        group = group_create(actor=world["anders"], name=f"Grupp Mer {count}-{i}", district="Fosie")
        round_ = round_services.round_start(actor=petra, group=group, reason="Mer.", summary="Mer.")
        round_services.action_add(
            actor=petra, round_=round_, kind="supervision", acted_on=timezone.localdate(), acting_agency=karin.agency
        )
    incidents = Incident.objects.filter(owner_agency_id=petra.agency_id, response__isnull=True).order_by("-id")
    for incident in list(incidents[:count]):
        response_services.response_open(actor=petra, incident=incident)


LISTS = [
    ("petra", "/api/enforcement-rounds/?page_size=100"),
    ("karin", "/api/enforcement-rounds/?page_size=100"),
    ("petra", "/api/enforcement-actions/?page_size=100"),
    ("karin", "/api/enforcement-actions/?page_size=100"),
    ("petra", "/api/incident-responses/?page_size=100"),
    ("sara", "/api/incident-responses/?page_size=100"),
    ("petra", "/api/response-tasks/?page_size=200"),
    ("sara", "/api/response-tasks/?page_size=200"),
    ("lena", "/api/response-routine/?page_size=100"),
    ("petra", "/api/calendar-events/?page_size=200"),
]


def _counts(as_user: ClientFor) -> dict[str, tuple[int, int]]:
    return api_list_counts(as_user, LISTS, QUERY_LIMIT)


def test_list_queries_do_not_grow_with_the_data(world: dict[str, Any], as_user: ClientFor) -> None:
    _more(world, 2)
    few = _counts(as_user)
    _more(world, 8)
    many = _counts(as_user)
    for key, (queries, shown) in few.items():
        assert many[key][0] == queries, (key, queries, many[key][0])
        if "routine" not in key and "calendar" not in key:
            assert many[key][1] >= shown + 8, key
