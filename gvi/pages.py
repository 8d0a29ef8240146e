"""Helpers every page uses: pagination, sorting, the list audit event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import models
from django.http import HttpRequest

from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record

PAGE_SIZE = 50


def paginate[M: models.Model](request: HttpRequest, items: models.QuerySet[M], *, per_page: int = PAGE_SIZE) -> Page[M]:
    """One page of `items`; a bad or too large page number gives the nearest page, never an error."""
    paginator = Paginator(items, per_page)
    return paginator.get_page(request.GET.get("page"))


def chosen_sort(request: HttpRequest, sorts: Mapping[str, Sequence[str]], default: str) -> str:
    sort = request.GET.get("sort", default)
    return sort if sort in sorts else default


def audit_list(
    request: HttpRequest,
    model: type[models.Model],
    page: Page[Any],
    *,
    purpose: str,
    action: AuditAction = AuditAction.LIST,
    detail: dict[str, Any] | None = None,
) -> None:
    """A list or search writes one event with the ids it showed."""
    audit_record(
        actor=request.user,
        action=action,
        object_type=model._meta.label_lower,
        object_ids=[obj.pk for obj in page.object_list],
        purpose=purpose,
        detail=detail,
    )
