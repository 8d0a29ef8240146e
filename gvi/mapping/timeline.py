"""The group map's timeline items for a person: memberships and incident involvements.

Mapping data is police intelligence: it reaches the timeline only through the access policy, so only the
police who may see the group (or incident) see the membership (or involvement), its source included. Two
queries whatever the number of items.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gvi import access
from gvi.accounts.models import Staff
from gvi.mapping.models import GroupMembership, IncidentInvolvement
from gvi.timeline import TimelineItem, register_timeline_provider, start_of_day

MEMBERSHIP, INCIDENT = "membership", "incident"
CATEGORIES = {MEMBERSHIP: gettext_lazy("Group memberships"), INCIDENT: gettext_lazy("Incidents")}


def mapping_items(user: Staff, person_ids: Sequence[int]) -> list[TimelineItem]:
    return [*_memberships(user, person_ids), *_involvements(user, person_ids)]


def _day(value: date) -> str:
    return date_format(value, "Y-m-d")


def _memberships(user: Staff, person_ids: Sequence[int]) -> Iterator[TimelineItem]:
    memberships = access.visible(user, GroupMembership).filter(person_id__in=person_ids).select_related("group")
    for membership in memberships:
        group = membership.group
        facts = [
            _("Confidence: %(confidence)s") % {"confidence": membership.get_confidence_display()},
            _("member from %(day)s") % {"day": _day(membership.valid_from)},
        ]
        if membership.valid_to is not None:
            facts.append(_("until %(day)s") % {"day": _day(membership.valid_to)})
        facts += [
            _("last confirmed %(day)s") % {"day": _day(membership.last_confirmed)},
            _("source: %(source)s") % {"source": membership.source},
        ]
        yield TimelineItem(
            key=f"{GroupMembership._meta.label_lower}:{membership.pk}",
            when=start_of_day(membership.valid_from),
            date_only=True,
            category=MEMBERSHIP,
            title=_("%(role)s of %(group)s") % {"role": membership.get_role_display(), "group": group.name},
            detail=" · ".join(facts),
            url=reverse("mapping:group-detail", args=[group.pk]),
            owner_agency_id=group.owner_agency_id,
            person_id=membership.person_id,
        )


def _involvements(user: Staff, person_ids: Sequence[int]) -> Iterator[TimelineItem]:
    involvements = access.visible(user, IncidentInvolvement).filter(person_id__in=person_ids).select_related("incident")
    for involvement in involvements:
        incident = involvement.incident
        place = ", ".join(part for part in (incident.place, incident.district) if part)
        yield TimelineItem(
            key=f"{IncidentInvolvement._meta.label_lower}:{involvement.pk}",
            when=incident.occurred_at,
            category=INCIDENT,
            title=_("%(kind)s: %(role)s")
            % {"kind": incident.get_kind_display(), "role": involvement.get_role_display()},
            detail=place,
            url=reverse("mapping:incident-detail", args=[incident.pk]),
            owner_agency_id=incident.owner_agency_id,
            person_id=involvement.person_id,
        )


def register() -> None:
    register_timeline_provider("mapping", mapping_items, categories=CATEGORIES)
