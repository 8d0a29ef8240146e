"""Reading pages write their audit events together (gvi.audit.services.audit_batched)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from gvi.audit.services import audit_batched

READING = frozenset({"GET", "HEAD"})


class AuditBatchMiddleware:
    """A GET or HEAD writes its audit events in one INSERT after the view has answered and before the answer
    leaves: a person's page that shows eight kinds of record costs one query for its log, not eight. If that
    INSERT fails, the request fails, so nothing is shown unlogged."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in READING:
            return self.get_response(request)
        with audit_batched():
            return self.get_response(request)
