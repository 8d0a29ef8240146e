"""Issue 14, point 1: changing a reference on save to a record the user may not see is refused.

For every API update (PUT / PATCH) whose body names another record, every persona who may change some record of
that kind tries to point it at records she may do nothing with (up to SAMPLE of them, which exist): the answer is
400 with the field's own error, the record reads the same afterwards, and the error names nobody. A reference
the API sets only at creation is ignored on update, and the record still reads the same. The schema test keeps
the table complete: an update operation with a new reference field fails it until the field is probed here.

References to the staff and agency directory (a speaker, a probation officer, an agency) are not records of the
access policy: they are checked against the user's own program and agency by the services, and tested there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from drf_spectacular.generators import SchemaGenerator

from cases.models import Person
from gvi import access
from gvi.demo import PERSONA_NAMES
from tests.test_leak_probes import _hidden

SAMPLE = 5


@dataclass(frozen=True)
class Reference:
    prefix: str  # /api/<prefix>/<id>/
    model: str  # the record changed
    field: str
    target: str  # the record the field names
    many: bool = False


REFERENCES = [
    Reference("contacts", "outreach.Contact", "exit_case", "outreach.ExitCase"),
    Reference("measures", "outreach.SupportMeasure", "exit_case", "outreach.ExitCase"),
    Reference("measures", "outreach.SupportMeasure", "relative", "outreach.Relative"),
    Reference("relatives", "outreach.Relative", "exit_case", "outreach.ExitCase"),
    Reference("memberships", "mapping.GroupMembership", "group", "mapping.Group"),
    Reference("memberships", "mapping.GroupMembership", "person", "cases.Person"),
    Reference("relations", "mapping.GroupRelation", "group", "mapping.Group"),
    Reference("relations", "mapping.GroupRelation", "other_group", "mapping.Group"),
    Reference("incidents", "mapping.Incident", "groups", "mapping.Group", many=True),
    Reference("call-ins", "interventions.CallIn", "groups", "mapping.Group", many=True),
    Reference("enforcement-rounds", "interventions.EnforcementRound", "incidents", "mapping.Incident", many=True),
    Reference("sections/police", "cases.PoliceSection", "person", "cases.Person"),
    Reference("sections/social", "cases.SocialSection", "person", "cases.Person"),
    Reference("sections/probation", "cases.ProbationSection", "person", "cases.Person"),
]

# Integer fields of update bodies that name no record, and directory references (see the module's docstring).
NOT_RECORDS = {"duration_minutes", "birth_year", "baseline_year", "months", "killed", "injured", "deadline_hours"}
NOT_RECORDS |= {"order", "version", "staff", "agencies", "agency"}
DIRECTORY = {"probation_officer"}


def _update_reference_fields(schema: dict[str, Any]) -> set[tuple[str, str]]:
    """(prefix, field) for each PUT / PATCH body field that holds an id or a list of ids."""
    components = schema["components"]["schemas"]
    found = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in ("put", "patch"):
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if not body:
                continue
            properties = components[body["$ref"].rsplit("/", 1)[1]].get("properties", {})
            for name, spec in properties.items():
                is_id = spec.get("type") == "integer" or spec.get("items", {}).get("type") == "integer"
                if is_id and not spec.get("readOnly") and name not in NOT_RECORDS | DIRECTORY:
                    found.add((path.removeprefix("/api/").removesuffix("/{id}/"), name))
    return found


def test_every_update_reference_is_probed() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert _update_reference_fields(schema) == {(ref.prefix, ref.field) for ref in REFERENCES}


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_a_reference_to_a_hidden_record_is_refused(persona: str, scope: dict[str, Any], verified_client: Any) -> None:
    user = scope[persona]
    client = verified_client(persona)
    names = [f"{given} {family}" for given, family in Person.objects.values_list("given_name", "family_name")]
    tried, failures = 0, []
    for ref in REFERENCES:
        model: type[models.Model] = apps.get_model(ref.model)
        target: type[models.Model] = apps.get_model(ref.target)
        record = access.visible(user, model, "change").order_by("pk").first()
        if record is None:
            continue
        url = f"/api/{ref.prefix}/{record.pk}/"
        before = client.get(url)
        assert before.status_code == 200, f"{url}: {before.status_code}"
        hidden = list(_hidden(user, target).values_list("pk", flat=True)[:SAMPLE])
        # Hidden ones exist for most kinds (asserted below); for a few the demo keeps none out of her reach.
        for pk in hidden:
            assert target._default_manager.filter(pk=pk).exists()
            body = {ref.field: [pk] if ref.many else pk}
            response = client.patch(
                url, data=json.dumps(body), content_type="application/json", HTTP_IF_MATCH=before["ETag"]
            )
            tried += 1
            after = client.get(url)
            text = response.content.decode()
            if response.status_code == 400:
                if ref.field not in response.json():
                    failures.append(f"{url} {ref.field}={pk}: 400 without the field's error: {text[:200]}")
            elif response.status_code != 200:
                failures.append(f"{url} {ref.field}={pk}: {response.status_code}")
            if after.json().get(ref.field) != before.json().get(ref.field):
                failures.append(f"{url} {ref.field}={pk}: changed to {after.json().get(ref.field)}")
            if response.status_code == 200:  # ignored on update: nothing else may have changed either
                before = after
            if response.status_code == 400 and any(name in text for name in names):
                failures.append(f"{url} {ref.field}={pk}: the answer names someone")
    assert not failures, failures
    if persona in ("petra", "sara"):  # the police coordinator and the social worker edit records with references
        assert tried >= SAMPLE, f"{persona}: only {tried} probes"
