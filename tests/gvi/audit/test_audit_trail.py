"""The audit trail: every look at a person leaves exactly one trace, refusals are logged too, changes are
logged in the same transaction as the change, and the trail itself cannot be rewritten. Only the
auditor reads it, and reading or exporting it is itself audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import serializers
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from cases.models import Person
from cases.services import person_create, person_update
from gvi.audit.models import AuditAction, AuditEvent
from gvi.audit.services import audit_record
from gvi.audit.views import EXPORT_COLUMNS
from tests.conftest import max_queries, requires_postgres

ClientFor = Callable[[str], Client]

AUDIT_URL = "/audit/"
EXPORT_URL = "/audit/export.csv"
# Measured with a warmed-up process, the same for the demo's events and for 250 more:
# session, user, OTP device, count, page rows, the list's own audit event (the session is written at most once
# a minute).
AUDIT_LIST_QUERIES = 6

NON_AUDITORS = ("petra", "anders", "sara", "erik", "karin", "lena", "ada", "nils", "maja")


def events(**filters: Any) -> Any:
    return AuditEvent.objects.filter(**filters)


def person_events(person: Person, action: str, actor: Any) -> Any:
    return events(action=action, object_type="cases.person", object_id=str(person.pk), actor_id=actor.pk)


def shown_events(response: Any) -> list[AuditEvent]:
    return list(response.context["page"].object_list)


# --------------------------------------------------------------------------------------------------
# Reading persons leaves a trace


def test_opening_a_person_page_writes_exactly_one_view_event_with_ip_and_request_id(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    adam, petra = world["malmo_police_person"], world["petra"]

    response = as_user("petra").get(f"/persons/{adam.pk}/")

    assert response.status_code == 200
    event = person_events(adam, AuditAction.VIEW, petra).get()
    assert event.actor_username == "petra"
    assert (event.agency_id, event.program_id) == (petra.agency_id, petra.program_id)
    assert event.ip == "127.0.0.1"
    assert event.request_id
    assert event.request_id == response["X-Request-ID"]
    assert event.purpose == "casework"
    assert timezone.now() - event.occurred_at < timedelta(minutes=1)


def test_view_event_carries_the_proxys_request_id(world: dict[str, Any], as_user: ClientFor) -> None:
    adam = world["malmo_police_person"]
    as_user("petra").get(f"/persons/{adam.pk}/", headers={"X-Request-ID": "proxy-req-0001"})
    assert person_events(adam, AuditAction.VIEW, world["petra"]).get().request_id == "proxy-req-0001"


def test_a_malformed_request_id_is_replaced_not_stored(world: dict[str, Any], as_user: ClientFor) -> None:
    adam = world["malmo_police_person"]
    response = as_user("petra").get(f"/persons/{adam.pk}/", headers={"X-Request-ID": "bad id; DROP TABLE"})
    event = person_events(adam, AuditAction.VIEW, world["petra"]).get()
    assert event.request_id == response["X-Request-ID"]
    assert event.request_id != "bad id; DROP TABLE"
    assert event.request_id.isalnum()


def test_social_worker_probing_a_police_person_gets_404_and_a_deny_event_not_a_view(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    adam, sara = world["malmo_police_person"], world["sara"]

    response = as_user("sara").get(f"/persons/{adam.pk}/")

    assert response.status_code == 404
    # The page also tries the identity-only view a share could give; the one deny names what was asked for.
    deny = person_events(adam, AuditAction.DENY, sara).get()
    assert deny.detail == {"requested_action": "view"}
    assert deny.ip == "127.0.0.1"
    assert deny.request_id
    assert not person_events(adam, AuditAction.VIEW, sara).exists()


def test_probing_a_missing_person_is_logged_like_a_forbidden_one(world: dict[str, Any], as_user: ClientFor) -> None:
    missing_pk = Person.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    response = as_user("sara").get(f"/persons/{missing_pk}/")
    assert response.status_code == 404
    assert events(action=AuditAction.DENY, object_id=str(missing_pk), actor_id=world["sara"].pk).count() == 1


def test_a_list_writes_exactly_one_list_event_with_the_ids_shown(world: dict[str, Any], as_user: ClientFor) -> None:
    sara = world["sara"]
    response = as_user("sara").get("/persons/")
    shown = [str(p.pk) for p in response.context["page"].object_list]
    assert str(world["malmo_social_person"].pk) in shown

    listed = events(action=AuditAction.LIST, actor_id=sara.pk).get()

    assert listed.object_type == "cases.person"
    assert listed.object_ids == shown
    assert listed.ip == "127.0.0.1"
    assert listed.request_id == response["X-Request-ID"]
    assert not events(action=AuditAction.VIEW, actor_id=sara.pk).exists(), "a list is one event, not one per row"


def test_an_api_list_writes_exactly_one_list_event_with_the_ids_shown(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    erik = world["erik"]
    body = as_user("erik").get("/api/persons/").json()
    listed = events(action=AuditAction.LIST, actor_id=erik.pk).get()
    assert listed.object_ids == [str(p["id"]) for p in body["results"]]
    assert str(world["malmo_field_team_person"].pk) in listed.object_ids


# --------------------------------------------------------------------------------------------------
# Changes are logged with the change


def test_registering_a_person_writes_a_create_event(world: dict[str, Any], as_user: ClientFor) -> None:
    response = as_user("sara").post(
        "/persons/new/", {"given_name": "Noah", "family_name": "Svensson", "birth_year": 2006, "identity_number": ""}
    )
    assert response.status_code == 302
    person = Person.objects.get(created_by=world["sara"], given_name="Noah")
    created = person_events(person, AuditAction.CREATE, world["sara"]).get()
    assert created.purpose == "casework"
    assert created.ip == "127.0.0.1"
    assert created.request_id == response["X-Request-ID"]


def test_a_person_is_not_registered_when_its_create_event_cannot_be_written(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def audit_fails(**kwargs: Any) -> None:
        raise DatabaseError("audit table unavailable")

    before = Person.objects.count()
    monkeypatch.setattr("cases.services.persons.audit_record", audit_fails)
    with pytest.raises(DatabaseError):
        person_create(actor=world["sara"], given_name="Noah", family_name="Svensson", birth_year=2006)
    assert Person.objects.count() == before


def test_editing_a_person_writes_an_update_event_naming_the_fields_not_the_values(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    adam, petra = world["malmo_police_person"], world["petra"]
    form = {
        "given_name": adam.given_name,
        "family_name": "Karlsson-Berglund",
        "identity_number": adam.identity_number,
        "birth_year": adam.birth_year,
        "interpreter_language": "tigrinja",
        "version": adam.version,
    }

    response = as_user("petra").post(f"/persons/{adam.pk}/edit/", form)

    assert response.status_code == 302
    updated = person_events(adam, AuditAction.UPDATE, petra).get()
    assert updated.detail == {"fields": ["family_name", "interpreter_language"]}
    row = serializers.serialize("json", [updated])
    assert "Karlsson-Berglund" not in row
    assert "tigrinja" not in row


def test_a_change_is_undone_when_its_update_event_cannot_be_written(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    adam = world["malmo_police_person"]

    def audit_fails(**kwargs: Any) -> None:
        raise DatabaseError("audit table unavailable")

    monkeypatch.setattr("cases.services.persons.audit_record", audit_fails)
    with pytest.raises(DatabaseError):
        person_update(actor=world["petra"], person=adam, version=adam.version, family_name="Changed")
    adam.refresh_from_db()
    assert (adam.family_name, adam.version) == ("Karlsson", 1)


# --------------------------------------------------------------------------------------------------
# Append-only (PostgreSQL trigger)


def _raw(sql: str, params: list[Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@requires_postgres()
def test_nobody_can_rewrite_an_audit_event_on_postgresql(world: dict[str, Any]) -> None:
    event = audit_record(actor=world["petra"], action=AuditAction.VIEW, object_type="cases.person", object_id="1")
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE audit_auditevent SET actor_username = %s WHERE id = %s", ["mallory", event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(purpose="nothing to see")
    event.refresh_from_db()
    assert (event.actor_username, event.purpose) == ("petra", "")


@requires_postgres()
def test_nobody_can_delete_an_audit_event_on_postgresql(world: dict[str, Any]) -> None:
    event = audit_record(actor=world["petra"], action=AuditAction.VIEW, object_type="cases.person", object_id="1")
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@requires_postgres()
def test_appending_to_the_audit_trail_still_works_on_postgresql(world: dict[str, Any]) -> None:
    before = AuditEvent.objects.count()
    _raw(
        "INSERT INTO audit_auditevent (occurred_at, actor_username, action, object_type, object_id, object_ids, "
        "purpose, legal_basis, request_id, detail) VALUES (now(), 'petra', 'view', '', '', '[]', '', '', '', '{}')",
        [],
    )
    assert AuditEvent.objects.count() == before + 1


# --------------------------------------------------------------------------------------------------
# The auditor's list


def _old_event(world: dict[str, Any], days_ago: int, actor: str = "anders") -> AuditEvent:
    staff = world[actor]
    return AuditEvent.objects.create(
        occurred_at=timezone.now() - timedelta(days=days_ago),
        actor_id=staff.pk,
        actor_username=staff.username,
        agency_id=staff.agency_id,
        program_id=staff.program_id,
        action=AuditAction.EXPORT,
        object_type="cases.person",
        purpose="old report",
    )


def test_auditor_sees_the_programs_trail_and_reading_it_is_audited(world: dict[str, Any], as_user: ClientFor) -> None:
    olof = world["olof"]
    as_user("petra").get(f"/persons/{world['malmo_police_person'].pk}/")

    response = as_user("olof").get(AUDIT_URL)

    assert response.status_code == 200
    shown = shown_events(response)
    assert any(e.actor_username == "petra" and e.action == AuditAction.VIEW for e in shown)
    assert {e.program_id for e in shown} == {olof.program_id}
    own = events(action=AuditAction.LIST, actor_id=olof.pk, object_type="audit.auditevent").get()
    assert own.object_ids == [str(e.pk) for e in shown]


def test_auditor_filters_by_actor(world: dict[str, Any], as_user: ClientFor) -> None:
    as_user("sara").get("/persons/")
    response = as_user("olof").get(AUDIT_URL, {"actor": "SARA"})
    shown = shown_events(response)
    assert shown
    assert {e.actor_username for e in shown} == {"sara"}


def test_auditor_filters_by_action(world: dict[str, Any], as_user: ClientFor) -> None:
    as_user("sara").get(f"/persons/{world['malmo_police_person'].pk}/")
    response = as_user("olof").get(AUDIT_URL, {"action": "deny"})
    shown = shown_events(response)
    assert [(e.actor_username, e.object_id) for e in shown] == [("sara", str(world["malmo_police_person"].pk))]


def test_auditor_filters_by_date(world: dict[str, Any], as_user: ClientFor) -> None:
    old = _old_event(world, days_ago=10)
    olof = as_user("olof")
    today = timezone.localdate()

    recent = shown_events(olof.get(AUDIT_URL, {"date_from": (today - timedelta(days=1)).isoformat()}))
    back_then = shown_events(olof.get(AUDIT_URL, {"date_to": (today - timedelta(days=5)).isoformat()}))
    that_day = shown_events(
        olof.get(
            AUDIT_URL,
            {
                "date_from": (today - timedelta(days=10)).isoformat(),
                "date_to": (today - timedelta(days=10)).isoformat(),
            },
        )
    )

    assert recent
    assert old not in recent
    assert back_then == [old]
    assert that_day == [old]


def test_auditor_gets_a_form_error_when_the_start_date_is_after_the_end_date(as_user: ClientFor) -> None:
    today = timezone.localdate()
    response = as_user("olof").get(
        AUDIT_URL, {"date_from": today.isoformat(), "date_to": (today - timedelta(days=3)).isoformat()}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["The start date must be before the end date."]
    assert "The start date must be before the end date." in response.content.decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2024-13-45"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"action": "rm -rf"}, "action"),
        ({"actor": "x" * 151}, "actor"),
    ],
)
def test_auditor_gets_a_field_error_for_bad_filter_values_not_a_500(
    as_user: ClientFor, params: dict[str, str], field: str
) -> None:
    client = as_user("olof")
    client.raise_request_exception = False
    response = client.get(AUDIT_URL, params)
    assert response.status_code == 200
    assert field in response.context["form"].errors


def test_auditor_sees_nothing_of_another_program(world: dict[str, Any], as_user: ClientFor) -> None:
    as_user("nils").get("/persons/")
    assert events(actor_id=world["nils"].pk, action=AuditAction.LIST).exists()
    response = as_user("olof").get(AUDIT_URL, {"actor": "nils"})
    assert shown_events(response) == []


def test_bad_page_numbers_on_the_audit_list_still_give_a_page(as_user: ClientFor) -> None:
    olof = as_user("olof")
    for asked in ("abc", "0", "-1", "99999"):
        assert olof.get(AUDIT_URL, {"page": asked}).status_code == 200, asked


# --------------------------------------------------------------------------------------------------
# Export


def _csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_auditor_export_is_audited_and_starts_with_the_header_row(world: dict[str, Any], as_user: ClientFor) -> None:
    olof = world["olof"]
    as_user("sara").get(f"/persons/{world['malmo_police_person'].pk}/")

    response = as_user("olof").get(EXPORT_URL, {"action": "deny"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = _csv_rows(response)
    assert rows[0] == list(EXPORT_COLUMNS)
    assert [(r[1], r[2], r[4]) for r in rows[1:]] == [("sara", "deny", str(world["malmo_police_person"].pk))]
    exported = events(action=AuditAction.EXPORT, actor_id=olof.pk).get()
    assert exported.object_type == "audit.auditevent"
    assert exported.detail == {"filters": {"action": "deny"}}
    assert exported.ip == "127.0.0.1"
    assert exported.request_id == response["X-Request-ID"]


def test_export_neutralises_spreadsheet_formulas(world: dict[str, Any], as_user: ClientFor) -> None:
    """Values users choose (a login name, an id typed into a URL) must reach the auditor's sheet as text."""
    sara = world["sara"]
    audit_record(actor=sara, action=AuditAction.DENY, object_type="cases.person", object_id='=HYPERLINK("http:evil")')
    rows = _csv_rows(as_user("olof").get(EXPORT_URL, {"action": "deny"}))
    cells = [cell for row in rows[1:] for cell in row]
    assert any("HYPERLINK" in cell for cell in cells)
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells)


@pytest.mark.parametrize("user", NON_AUDITORS)
def test_only_the_auditor_may_read_or_export_the_trail(world: dict[str, Any], as_user: ClientFor, user: str) -> None:
    client = as_user(user)
    assert client.get(AUDIT_URL).status_code == 404
    assert client.get(EXPORT_URL).status_code == 404
    assert not events(actor_id=world[user].pk, action=AuditAction.EXPORT).exists()
    assert not events(actor_id=world[user].pk, object_type="audit.auditevent", action=AuditAction.LIST).exists()


# --------------------------------------------------------------------------------------------------
# Query count


def _count_queries(client: Client) -> int:
    client.get(AUDIT_URL)  # warm up per-process caches
    with max_queries(AUDIT_LIST_QUERIES) as captured:
        response = client.get(AUDIT_URL)
    assert response.status_code == 200
    assert len(shown_events(response)) == 50
    return len(captured.captured_queries)


def test_audit_list_runs_the_same_number_of_queries_however_long_the_trail(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    olof = as_user("olof")
    with_demo_trail = _count_queries(olof)
    petra = world["petra"]
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor_id=petra.pk,
            actor_username="petra",
            agency_id=petra.agency_id,
            program_id=petra.program_id,
            action=AuditAction.VIEW,
            object_type="cases.person",
            object_id=str(i),
        )
        for i in range(250)
    )
    with_long_trail = _count_queries(olof)
    assert with_demo_trail == with_long_trail == AUDIT_LIST_QUERIES
