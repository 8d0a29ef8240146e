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


# key, label, model, default rule, the operator's setting, the shortest rule a program may set (months)
SECTIONS = (
    # The Social Services Act: social-services files are culled five years after the last entry, not sooner.
    ("social_sections", _("Social-services sections"), "cases.socialsection", 60, "RETENTION_SOCIAL_MONTHS", 60),
    ("police_sections", _("Police sections (intelligence)"), "cases.policesection", 36, "RETENTION_POLICE_MONTHS", 1),
    ("probation_sections", _("Probation sections"), "cases.probationsection", 60, "RETENTION_PROBATION_MONTHS", 12),
)


def register_categories() -> None:
    from cases.services.sections import section_cull

    for key, label, model_label, default_months, setting, min_months in SECTIONS:
        register(
            Category(
                key=key,
                label=label,
                model_label=model_label,
                clock=_("The section's last entry: its latest journal note or change."),
                default_months=default_months,
                last_entry=_last_change,
                cull=section_cull,
                title=_person,
                url=_page,
                related=("person",),
                setting=setting,
                min_months=min_months,
            )
        )
