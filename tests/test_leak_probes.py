"""Issue 14, point 1: leak probes. For every persona and every route that opens one record, the probe walks the
ids of records of that kind which the persona may do nothing with (the access policy gives her no action on
them: they exist, asserted first) and expects 404 with nothing of the record in the answer.

The permission matrix proves each route on named scope objects; this walks the other records of the demo too,
so a route that checks the wrong thing for some records (an owner, a share, a partial view) is caught.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from django.db import models

from cases.models import Person
from gvi import access
from gvi.demo import PERSONA_NAMES
from gvi.retention.models import LegalHold
from gvi.retention.selectors import holds
from tests.matrix import ROWS, Row
from tests.test_permission_matrix import _request

# Hidden records tried per route and persona, at most (the demo has several of each kind out of any one reach).
SAMPLE = 10


def _detail_rows() -> list[Row]:
    """Each GET route that opens one record by its id, once."""
    seen: set[str] = set()
    rows = []
    for row in ROWS:
        if row.method == "GET" and row.subject and row.url_kwargs is None and row.route not in seen:
            seen.add(row.route)
            rows.append(row)
    return rows


def _hidden(user: Any, model: type[models.Model]) -> models.QuerySet[Any]:
    """The records of `model` the user may do nothing with: no action of her role reaches them. A legal hold is
    seen with the record it holds (gvi.retention.selectors.holds, from access.visible on the records)."""
    if model is LegalHold:
        return LegalHold.objects.exclude(pk__in=holds(user, active=None).values("pk")).order_by("pk")
    label = model._meta.label_lower
    actions = access.POLICY.get(user.role, {}).get(label, {})
    hidden = model._default_manager.all()
    for action in set(actions) - {"count"}:  # counting a record (reports) never opens it
        hidden = hidden.exclude(pk__in=access.visible(user, model, action).values("pk"))
    return hidden.order_by("pk")


def test_the_probe_covers_the_detail_routes() -> None:
    assert len(_detail_rows()) >= 80


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_hidden_records_are_404_and_name_nobody(persona: str, scope: dict[str, Any], verified_client: Any) -> None:
    user = scope[persona]
    client = verified_client(persona)
    names = {
        pk: (f"{given} {family}", f"{family}, {given}")
        for pk, given, family in Person.objects.values_list("pk", "given_name", "family_name")
    }
    tried, leaks = 0, []
    for row in _detail_rows():
        assert row.subject is not None
        model = type(scope[row.subject])
        for record in _hidden(user, model)[:SAMPLE]:
            assert model._default_manager.filter(pk=record.pk).exists()  # it exists: the 404 proves something
            probe = replace(row, subject="__probe__")
            response = _request(client, probe, {**scope, "__probe__": record})
            tried += 1
            body = response.content.decode(errors="replace") if not response.streaming else ""
            person_id = record.pk if isinstance(record, Person) else getattr(record, "person_id", None)
            if response.status_code != 404:
                leaks.append(f"{row.route} #{record.pk}: {response.status_code}")
            elif person_id in names and any(name in body for name in names[person_id]):
                leaks.append(f"{row.route} #{record.pk}: the 404 names the person")
    assert tried > 0
    print(f"\n{persona}: {tried} hidden ids probed")
    assert not leaks, leaks
