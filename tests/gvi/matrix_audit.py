"""Permission-matrix rows for the log review and the access review (gvi/audit/views.py and api.py).

Olof, Malmö's auditor, is the only one who reads the checks, reviews findings, reads the access review and
revokes stale holders' grants: everyone else gets 404 on every route, Lena the program lead too (she must not
read the trail). A finding of Örebro's trail (an export by Nils) is 404 for everyone, Olof included. Each row
that needs a finding plants one: an export event, which the exports check lists. The revoke rows act on Malin,
whose account is closed for the row (an inactive account holding grants is stale).
"""

from __future__ import annotations

from typing import Any

from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction, AuditEvent
from tests.matrix import OK, Row, only, register

SUBJECTS: tuple[str, ...] = ("malin",)

OLOF = only({"olof": OK})
NOBODY = only({})


def _export_by(scope: dict[str, Any], username: str) -> AuditEvent:
    actor = scope[username]
    return AuditEvent.objects.create(
        actor_id=actor.pk,
        actor_username=actor.username,
        agency_id=actor.agency_id,
        program_id=actor.program_id,
        action=AuditAction.EXPORT,
        object_type="cases.person",
        purpose="matrix",
    )


def _malmo_finding(scope: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "exports", "event_id": _export_by(scope, "petra").pk}


def _orebro_finding(scope: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "exports", "event_id": _export_by(scope, "nils").pk}


def _review(_scope: dict[str, Any]) -> dict[str, Any]:
    return {"status": "reviewed-ok", "comment": "matrix", "version": 0}


def _stale_malin(scope: dict[str, Any]) -> dict[str, Any]:
    Staff.objects.filter(pk=scope["malin"].pk).update(is_active=False)
    return {"grants": [f"{scope['malin'].pk}:cases.person"], "reason": "matrix", "confirm": "1"}


register(
    Row("audit:log-review", "GET", None, OLOF),
    Row("audit:log-review-check", "GET", None, OLOF, url_kwargs=lambda s: {"kind": "exports"}),
    Row("audit:log-review-finding", "GET", None, OLOF, url_kwargs=_malmo_finding),
    Row("audit:log-review-finding", "POST", None, OLOF, url_kwargs=_malmo_finding, data=_review),
    Row("audit:log-review-finding", "GET", None, NOBODY, url_kwargs=_orebro_finding),
    Row("audit:log-review-finding", "POST", None, NOBODY, url_kwargs=_orebro_finding, data=_review),
    Row("audit:access-review", "GET", None, OLOF),
    Row("audit:access-review-revoke", "POST", None, OLOF, data=_stale_malin),
    Row("api:log-review", "GET", None, OLOF),
    Row("api:log-review-check", "GET", None, OLOF, url_kwargs=lambda s: {"kind": "exports"}),
    Row("api:log-review-finding", "GET", None, OLOF, url_kwargs=_malmo_finding),
    Row(
        "api:log-review-finding",
        "POST",
        None,
        OLOF,
        url_kwargs=_malmo_finding,
        data=_review,
        content_type="application/json",
    ),
    Row(
        "api:log-review-finding",
        "PATCH",
        None,
        OLOF,
        url_kwargs=_malmo_finding,
        data=_review,
        content_type="application/json",
    ),
    Row("api:log-review-finding", "GET", None, NOBODY, url_kwargs=_orebro_finding),
    Row(
        "api:log-review-finding",
        "POST",
        None,
        NOBODY,
        url_kwargs=_orebro_finding,
        data=_review,
        content_type="application/json",
    ),
    Row("api:access-review", "GET", None, OLOF),
    Row("api:access-review-revoke", "POST", None, OLOF, data=_stale_malin, content_type="application/json"),
)
