"""Reads of the reports app for pages and API alike. The reports' numbers are computed in reports/metrics.py
(through access.countable, never rows), shown through reports/suppression.py and defined in
reports/definitions.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from django.db.models import QuerySet

from gvi import access
from gvi.accounts.models import Staff
from reports.models import Report

# The archive's orders: newest period first (the default), or by when a report was ordered, finished, its status.
REPORT_SORTS: Final[Mapping[str, tuple[str, ...]]] = {
    "-period": ("-period_first", "kind", "-edition", "-id"),
    "period": ("period_first", "kind", "edition", "id"),
    "-ordered": ("-ordered_at", "-id"),
    "ordered": ("ordered_at", "id"),
    "-finished": ("-finished_at", "-id"),
    "finished": ("finished_at", "id"),
    "-status": ("-status", "-period_first", "-id"),
    "status": ("status", "-period_first", "-id"),
}


def reports(user: Staff, filters: Mapping[str, Any], sort: str = "-period") -> QuerySet[Report]:
    """The reports of the user's program that the user may see, filtered by kind, status and year. The list
    reads no report's numbers (Report.results can be large)."""
    items = access.visible(user, Report).select_related("ordered_by").defer("results")
    if "kind" in filters:
        items = items.filter(kind=filters["kind"])
    if "status" in filters:
        items = items.filter(status=filters["status"])
    if "year" in filters:
        items = items.filter(period_first__year=filters["year"])
    return items.order_by(*REPORT_SORTS[sort])
