"""Mapping's retention category (gvi.retention): a group membership is culled a set time after it stopped being
in force, whether it ended (valid to) or lapsed (its review date passed without a reconfirmation). London's Gangs
Matrix kept people on after they were removed (DOMAIN.md): here a lapsed membership leaves no copy behind."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce, Least, TruncDate
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gvi.retention.categories import Category, register


def _out_of_force(memberships: QuerySet[Any]) -> QuerySet[Any]:
    """The day it stopped being in force: its end, or its review date if that came first (a future date for a
    membership still in force, so never due)."""
    return memberships.annotate(last_entry=Least(Coalesce("valid_to", "review_due"), F("review_due")))


def _member(membership: Any) -> str:
    return f"{membership.person} – {membership.group}"


def _page(membership: Any) -> str:
    return reverse("mapping:group-detail", args=[membership.group_id])


def _incident_day(involvements: QuerySet[Any]) -> QuerySet[Any]:
    return involvements.annotate(last_entry=TruncDate("incident__occurred_at"))


def _involved(involvement: Any) -> str:
    return f"{involvement.person} – {involvement.incident}"


def _incident_page(involvement: Any) -> str:
    return reverse("mapping:incident-detail", args=[involvement.incident_id])


def register_categories() -> None:
    from gvi.mapping.services import involvement_cull, membership_cull

    register(
        Category(
            key="lapsed_memberships",
            label=_("Lapsed and ended group memberships"),
            model_label="mapping.groupmembership",
            clock=_("The day the membership ended, or lapsed because its review date passed unconfirmed."),
            default_months=3,
            last_entry=_out_of_force,
            cull=membership_cull,
            title=_member,
            url=_page,
            related=("person", "group"),
            setting="RETENTION_MAPPING_MONTHS",
            min_months=1,
        )
    )
    register(
        Category(
            key="incident_involvements",
            label=_("Persons involved in incidents"),
            model_label="mapping.incidentinvolvement",
            clock=_("The day of the incident. The incident itself is kept, without names, for the statistics."),
            default_months=60,
            last_entry=_incident_day,
            cull=involvement_cull,
            setting="RETENTION_INVOLVEMENT_MONTHS",
            min_months=1,
            title=_involved,
            url=_incident_page,
            related=("person", "incident"),
        )
    )
