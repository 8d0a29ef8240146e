"""The agency sections' retention categories (gvi.retention): a section is culled when its last entry (the
section's own change or its latest journal note, both kept in `updated_at`) is older than the rule."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gvi.retention.categories import Category, register


def _last_change(records: QuerySet[Any]) -> QuerySet[Any]:
    return records.annotate(last_entry=TruncDate("updated_at"))


def _person(section: Any) -> str:
    return str(section.person)


def _page(section: Any) -> str:
    return reverse("cases:section-detail", args=[section.kind, section.pk])


def register_categories() -> None:
    from cases.services.sections import section_cull

    clock = _("The section's last entry: its latest journal note or change.")
    register(
        Category(
            key="social_sections",
            label=_("Social-services sections"),
            model_label="cases.socialsection",
            clock=clock,
            default_months=60,
            last_entry=_last_change,
            cull=section_cull,
            title=_person,
            url=_page,
            related=("person",),
            setting="RETENTION_SOCIAL_MONTHS",
            # The Social Services Act: social-services files are culled five years after the last entry, not sooner.
            min_months=60,
        )
    )
    register(
        Category(
            key="police_sections",
            label=_("Police sections (intelligence)"),
            model_label="cases.policesection",
            clock=clock,
            default_months=36,
            last_entry=_last_change,
            cull=section_cull,
            title=_person,
            url=_page,
            related=("person",),
            setting="RETENTION_POLICE_MONTHS",
            min_months=1,
        )
    )
    register(
        Category(
            key="probation_sections",
            label=_("Probation sections"),
            model_label="cases.probationsection",
            clock=clock,
            default_months=60,
            last_entry=_last_change,
            cull=section_cull,
            title=_person,
            url=_page,
            related=("person",),
            setting="RETENTION_PROBATION_MONTHS",
        )
    )
