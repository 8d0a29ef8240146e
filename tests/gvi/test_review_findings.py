"""Regressions for the defects a security review found: audit gaps and 500s on extreme input."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from gvi.accounts import services as account_services
from gvi.accounts.models import Role
from gvi.audit.models import AuditAction, AuditEvent
from gvi.mapping.models import GroupMembership
from tests.gvi.mapping.test_import_export import csv_bytes, incident_row, upload


def _persons_listed(actor_id: int, since: int) -> set[str]:
    events = AuditEvent.objects.filter(
        id__gt=since, actor_id=actor_id, object_type="cases.person", action__in=[AuditAction.LIST, AuditAction.EXPORT]
    )
    return {pk for event in events for pk in event.object_ids}


def _last_event_id() -> int:
    last = AuditEvent.objects.order_by("-id").first()
    return last.pk if last else 0


def test_start_page_audits_the_persons_it_names(world: dict[str, Any], verified_client: Any) -> None:
    since = _last_event_id()
    page = verified_client("petra").get("/")
    shown = {str(p.pk) for p in page.context["panels"][0][1]["persons"]}
    assert shown
    assert shown <= _persons_listed(world["petra"].pk, since)


def test_reviews_due_page_audits_the_persons_it_names(world: dict[str, Any], verified_client: Any) -> None:
    since = _last_event_id()
    verified_client("anders").get(reverse("mapping:reviews-due"))
    lapsed = GroupMembership.objects.filter(group__owner_agency=world["anders"].agency).order_by("review_due").first()
    assert lapsed is not None
    assert str(lapsed.person_id) in _persons_listed(world["anders"].pk, since)


def test_person_picker_on_the_membership_form_is_audited(world: dict[str, Any], verified_client: Any) -> None:
    since = _last_event_id()
    response = verified_client("petra").get(reverse("mapping:membership-create", args=[world["malmo_group"].pk]))
    assert response.status_code == 200
    assert str(world["malmo_police_person"].pk) in _persons_listed(world["petra"].pk, since)


def test_membership_export_is_audited_against_the_persons(world: dict[str, Any], verified_client: Any) -> None:
    since = _last_event_id()
    response = verified_client("petra").get(reverse("mapping:export-memberships", kwargs={"fmt": "csv"}))
    assert response.status_code == 200
    assert b"".join(response.streaming_content)
    assert str(world["malmo_police_person"].pk) in _persons_listed(world["petra"].pk, since)


def test_an_admins_change_of_role_is_audited_and_ends_sessions(world: dict[str, Any], verified_client: Any) -> None:
    client = verified_client("sara")
    sara = world["sara"]
    before = {field: getattr(sara, field) for field in account_services.ACCESS_FIELDS}
    sara.role = Role.EXIT_COORDINATOR
    sara.save()
    account_services.staff_access_changed(actor=world["ada"], staff=sara, before=before)
    event = AuditEvent.objects.filter(actor_id=world["ada"].pk, action=AuditAction.UPDATE, object_id=str(sara.pk)).get()
    assert event.detail["fields"] == ["role"]
    assert client.get("/").status_code == 302


def test_only_an_admin_records_access_changes(world: dict[str, Any]) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        account_services.staff_access_changed(actor=world["petra"], staff=world["sara"], before={})


def test_mfa_reset_stops_the_users_tokens(world: dict[str, Any]) -> None:
    _token, raw = account_services.api_token_issue(actor=world["anders"], name="t", session_verified=True)
    account_services.staff_mfa_reset(actor=world["ada"], staff=world["anders"])
    assert Client().get("/api/persons/", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


@pytest.mark.parametrize(
    "url",
    [
        "/mapping/incidents/?date_to=9999-12-31",
        "/mapping/incidents/?date_from=0001-01-01",
        "/mapping/export/incidents.csv?date_to=9999-12-31",
        "/api/incidents/?date_to=9999-12-31",
        "/api/memberships/?group=99999999999999999999",
    ],
)
def test_extreme_filters_never_give_500(url: str, verified_client: Any) -> None:
    client = verified_client("petra")
    client.raise_request_exception = False
    assert client.get(url).status_code in (200, 400)


@pytest.mark.parametrize("url", ["/audit/?date_from=0001-01-01", "/audit/export.csv?date_to=9999-12-31"])
def test_extreme_audit_filters_never_give_500(url: str, verified_client: Any) -> None:
    client = verified_client("olof")
    client.raise_request_exception = False
    assert client.get(url).status_code == 200


def test_incident_in_year_one_is_a_field_error_on_the_api(verified_client: Any) -> None:
    client = verified_client("petra")
    client.raise_request_exception = False
    response = client.post(
        "/api/incidents/",
        {"kind": "shooting", "occurred_at": "0001-01-01T00:00:00", "place": "x"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "occurred_at" in response.json()


def test_incident_in_year_one_is_a_rejected_import_row(world: dict[str, Any], verified_client: Any) -> None:
    rows = [incident_row(i) for i in range(3)]
    rows[1]["occurred_at"] = "0001-01-01 00:00"
    client = verified_client("petra")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = upload(client, "mapping:import-incidents", "incidents.csv", csv_bytes(rows))
    assert response.status_code == 200
    assert response.context["result"].rejected_lines == [3]
