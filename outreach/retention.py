"""The exit program's retention category (gvi.retention): an exit case is culled when its last entry (a change
of the case, or a contact, measure, relative or threat assessment written on it) is older than the rule."""

from __future__ import annotations

from typing import Any

from django.db.models import DateTimeField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gvi.retention.categories import Category, register
from outreach.models import Contact, Relative, SupportMeasure, ThreatAssessment

ENTRIES = (Contact, SupportMeasure, Relative, ThreatAssessment)


def _last_entry(cases: QuerySet[Any]) -> QuerySet[Any]:
    """The latest change of the case or of anything written on it (one subquery per kind of entry)."""
    latest = [
        Subquery(
            model._default_manager.filter(exit_case=OuterRef("pk")).order_by("-updated_at").values("updated_at")[:1],
            output_field=DateTimeField(),
        )
        for model in ENTRIES
    ]
    # GREATEST ignores NULLs on PostgreSQL but not on SQLite: a case without entries counts its own change.
    parts = [Coalesce(entry, "updated_at") for entry in latest]
    return cases.annotate(last_entry=TruncDate(Greatest("updated_at", *parts)))


def _person(case: Any) -> str:
    return str(case.person)


def _page(case: Any) -> str:
    return reverse("outreach:case-detail", args=[case.pk])


def register_categories() -> None:
    from outreach.services.cases import exit_case_cull

    register(
        Category(
            key="exit_cases",
            label=_("Exit cases"),
            model_label="outreach.exitcase",
            clock=_("The case's last entry: its latest change, contact, measure, relative or threat assessment."),
            default_months=60,
            last_entry=_last_entry,
            cull=exit_case_cull,
            title=_person,
            url=_page,
            related=("person",),
            setting="RETENTION_EXIT_CASE_MONTHS",
            min_months=60,
        )
    )
