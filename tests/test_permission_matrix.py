"""Runs every row of the permission matrix for every persona, over the shared scope objects."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

import tests.cases.matrix
import tests.cases.matrix_api
import tests.cases.matrix_merge
import tests.cases.matrix_parts
import tests.cases.matrix_search
import tests.cases.matrix_sections
import tests.cases.matrix_subject_access
import tests.cases.matrix_timeline
import tests.gvi.mapping.matrix
import tests.gvi.matrix
import tests.gvi.matrix_audit
import tests.gvi.matrix_emergency
import tests.gvi.matrix_notifications
import tests.gvi.matrix_retention
import tests.interventions.matrix_api
import tests.interventions.matrix_calendar
import tests.interventions.matrix_callins
import tests.interventions.matrix_enforcement_api
import tests.interventions.matrix_invitations
import tests.interventions.matrix_notifications
import tests.interventions.matrix_responses
import tests.interventions.matrix_rounds
import tests.outreach.matrix_api
import tests.outreach.matrix_caseload
import tests.outreach.matrix_cases
import tests.outreach.matrix_referrals
import tests.reports.matrix_api
import tests.reports.matrix_pages
from gvi.audit.models import AuditAction, AuditEvent
from gvi.demo import PERSONA_NAMES
from tests.matrix import NOT_FOUND, OK, ROWS, Filtered, Row

CASES = [(row, persona) for row in ROWS for persona in PERSONA_NAMES]


def test_out_of_scope_objects_exist(scope: dict[str, Any]) -> None:
    """The matrix proves something only if what it hides is really there."""
    for name in (
        *tests.cases.matrix.PERSON_SUBJECTS,
        *tests.cases.matrix_parts.SUBJECTS,
        *tests.cases.matrix_sections.SUBJECTS,
        *tests.cases.matrix_api.SUBJECTS,
        *tests.cases.matrix_merge.SUBJECTS,
        *tests.cases.matrix_search.SUBJECTS,
        *tests.cases.matrix_subject_access.SUBJECTS,
        *tests.cases.matrix_timeline.SUBJECTS,
        *tests.gvi.mapping.matrix.MAPPING_SUBJECTS,
        *tests.gvi.matrix_audit.SUBJECTS,
        *tests.gvi.matrix_notifications.SUBJECTS,
        *tests.gvi.matrix_emergency.SUBJECTS,
        *tests.gvi.matrix_retention.SUBJECTS,
        *tests.interventions.matrix_api.SUBJECTS,
        *tests.interventions.matrix_callins.SUBJECTS,
        *tests.interventions.matrix_invitations.SUBJECTS,
        *tests.interventions.matrix_notifications.SUBJECTS,
        *tests.interventions.matrix_calendar.SUBJECTS,
        *tests.interventions.matrix_enforcement_api.SUBJECTS,
        *tests.interventions.matrix_responses.SUBJECTS,
        *tests.interventions.matrix_rounds.SUBJECTS,
        *tests.outreach.matrix_api.SUBJECTS,
        *tests.outreach.matrix_caseload.SUBJECTS,
        *tests.outreach.matrix_cases.SUBJECTS,
        *tests.outreach.matrix_referrals.SUBJECTS,
        *tests.reports.matrix_api.SUBJECTS,
        *tests.reports.matrix_pages.SUBJECTS,
        "petra_token",
    ):
        obj = scope[name]
        assert type(obj)._default_manager.filter(pk=obj.pk).exists(), name


def _request(client: Any, row: Row, scope: dict[str, Any]) -> Any:
    kwargs = row.url_kwargs(scope) if row.url_kwargs else ({"pk": scope[row.subject].pk} if row.subject else {})
    url = reverse(row.route, kwargs=kwargs)
    data = row.data(scope) if row.data else {}
    headers = row.headers(scope) if row.headers else {}
    method = getattr(client, row.method.lower())
    if row.content_type == "application/json":
        return method(url, data=json.dumps(data), content_type="application/json", headers=headers)
    if row.method == "GET":
        return method(url, headers=headers)
    return method(url, data=data, headers=headers)


def _shown_ids(persona_id: int) -> set[str]:
    event = (
        AuditEvent.objects.filter(actor_id=persona_id, action__in=[AuditAction.LIST, AuditAction.SEARCH])
        .order_by("-id")
        .first()
    )
    assert event is not None, "a list must write one audit event with the ids it showed"
    return set(event.object_ids)


@pytest.mark.parametrize(("row", "persona"), CASES, ids=[f"{row.id}-{persona}" for row, persona in CASES])
def test_permission_matrix(row: Row, persona: str, scope: dict[str, Any], verified_client: Any) -> None:
    expected = row.expected[persona]
    response = _request(verified_client(persona), row, scope)
    if expected == NOT_FOUND:
        assert response.status_code == 404, response.status_code
        return
    assert response.status_code in (200, 201, 204, 302), (response.status_code, getattr(response, "content", b"")[:500])
    if response.status_code == 302:
        assert "/accounts/login" not in response["Location"]
    if isinstance(expected, Filtered):
        shown = _shown_ids(scope[persona].pk)
        must_show = {str(scope[name].pk) for name in expected.subjects}
        must_hide = {str(scope[name].pk) for name in row.list_subjects if name not in expected.subjects}
        assert must_show <= shown, f"missing {must_show - shown}"
        assert not (must_hide & shown), f"leaked {must_hide & shown}"
    else:
        assert expected == OK
