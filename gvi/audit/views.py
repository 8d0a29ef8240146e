"""The auditor's view of the trail: filtered, paginated, exportable (the export is audited too)."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.forms import AuditFilterForm
from gvi.audit.models import AuditAction, AuditEvent
from gvi.audit.selectors import audit_events
from gvi.audit.services import audit_record
from gvi.pages import audit_list, paginate
from gvi.spreadsheet import spreadsheet_safe

EXPORT_LIMIT = 100_000
EXPORT_COLUMNS = (
    "occurred_at",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "object_ids",
    "purpose",
    "legal_basis",
    "request_id",
    "ip",
)


def _filters(request: HttpRequest) -> tuple[AuditFilterForm, dict[str, object]]:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, filters


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, Staff)
    access.require(user, "view", AuditEvent)
    form, filters = _filters(request)
    page = paginate(request, audit_events(user=user, filters=filters))
    audit_list(request, AuditEvent, page, purpose="log review")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/event_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "crumbs": [(None, _("Audit trail"))]},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
def event_export(request: HttpRequest) -> StreamingHttpResponse:
    user = request.user
    assert isinstance(user, Staff)
    access.require(user, "export", AuditEvent)
    _form, filters = _filters(request)
    events = audit_events(user=user, filters=filters)[:EXPORT_LIMIT]
    audit_record(
        actor=user,
        action=AuditAction.EXPORT,
        object_type=AuditEvent._meta.label_lower,
        purpose="log review",
        detail={"filters": {k: str(v) for k, v in filters.items() if v}},
    )
    writer = csv.writer(_Echo())

    def rows():  # type: ignore[no-untyped-def]
        yield writer.writerow(EXPORT_COLUMNS)
        for event in events.iterator(chunk_size=2000):
            cells = [
                event.occurred_at.isoformat(),
                event.actor_username,
                event.action,
                event.object_type,
                event.object_id,
                " ".join(event.object_ids),
                event.purpose,
                event.legal_basis,
                event.request_id,
                event.ip or "",
            ]
            # Users choose some of these values (a probed URL becomes an object id): never a formula.
            yield writer.writerow([spreadsheet_safe(cell) for cell in cells])

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
