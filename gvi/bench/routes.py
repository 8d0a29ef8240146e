"""What the bench measures: the main lists (each with the access-filtered query its page runs) and the pages and
API routes of DESIGN.md's targets, with the record each detail route opens chosen per persona."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.urls import reverse

from gvi import access
from gvi.accounts.models import Staff

# The first page every list and API list shows (gvi/pages.py PAGE_SIZE, gvi/drf.py StandardPagination).
FIRST_PAGE = 50


@dataclass(frozen=True)
class ListSpec:
    """A main list: its model and the order its page shows by default (the app's own sort table). `reads`: how
    the list reads its rows from the policy when that is not `access.visible` (the contact list reads through
    the ids of a caseworker's few cases), so that the filtered query is timed as the app runs it."""

    key: str
    model_label: str
    ordering: tuple[str, ...]
    reads: Callable[[Staff, type[models.Model]], models.QuerySet[Any]] = access.visible

    def visible(self, user: Staff) -> models.QuerySet[Any]:
        return self.reads(user, self.model)

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)


def main_lists() -> list[ListSpec]:
    """The lists of the targets, ordered as their pages order them by default. The apps' sort tables are read
    here, not copied, so a changed default order is measured as it is."""
    from cases.selectors import PERSON_SORTS
    from gvi.mapping.selectors import GROUP_SORTS, INCIDENT_SORTS
    from interventions.selectors import CALL_IN_SORTS, NOTIFICATION_SORTS, ROUND_SORTS
    from outreach.selectors import CASE_SORTS
    from reports.selectors import REPORT_SORTS

    def meta_ordering(label: str) -> tuple[str, ...]:
        return tuple(str(o) for o in apps.get_model(label)._meta.ordering)

    return [
        ListSpec("person", "cases.person", PERSON_SORTS["name"]),
        ListSpec("group", "mapping.group", GROUP_SORTS["name"]),
        ListSpec("incident", "mapping.incident", INCIDENT_SORTS["-date"]),
        ListSpec("exit case", "outreach.exitcase", CASE_SORTS["follow-up"]),
        ListSpec(
            "contact", "outreach.contact", meta_ordering("outreach.contact"), reads=access.visible_through_parents
        ),
        ListSpec("call-in", "interventions.callin", CALL_IN_SORTS["-date"]),
        ListSpec("custom notification", "interventions.customnotification", NOTIFICATION_SORTS["-requested"]),
        ListSpec("enforcement round", "interventions.enforcementround", ROUND_SORTS["-started"]),
        # interventions.selectors.incident_responses orders by the incident's time, newest first.
        ListSpec("incident response", "interventions.incidentresponse", ("-occurred_at", "-id")),
        ListSpec("report", "reports.report", tuple(REPORT_SORTS["-period"])),
        ListSpec("inbox notification", "notifications.notification", meta_ordering("notifications.notification")),
    ]


@dataclass(frozen=True)
class Route:
    """One measured request. `needs` names the ListSpec whose first visible record a detail route opens;
    `search` marks a search, sent by POST (as the pages and the API send them) with the persona's term."""

    label: str
    url_name: str
    api: bool = False
    needs: str = ""
    search: bool = False

    def url(self, targets: Mapping[str, int]) -> str:
        return reverse(self.url_name, args=[targets[self.needs]] if self.needs else [])

    @property
    def method(self) -> str:
        return "POST" if self.search else "GET"


ROUTES: tuple[Route, ...] = (
    Route("person list", "cases:person-list"),
    Route("person page", "cases:person-detail", needs="person"),
    Route("person search", "cases:person-list", search=True),
    Route("group list", "mapping:group-list"),
    Route("group page", "mapping:group-detail", needs="group"),
    Route("network map", "mapping:network"),
    Route("incident list", "mapping:incident-list"),
    Route("incident page", "mapping:incident-detail", needs="incident"),
    Route("exit case list", "outreach:case-list"),
    Route("exit case page", "outreach:case-detail", needs="exit case"),
    Route("caseload", "outreach:caseload"),
    Route("call-in list", "interventions:callin-list"),
    Route("call-in page", "interventions:callin-detail", needs="call-in"),
    Route("custom notification list", "interventions:notification-list"),
    Route("enforcement list", "interventions:round-list"),
    Route("response list", "interventions:response-list"),
    Route("inbox", "notifications:list"),
    Route("report archive", "reports:list"),
    Route("report page", "reports:detail", needs="report"),
    Route("person list", "api:person-list", api=True),
    Route("person detail", "api:person-detail", api=True, needs="person"),
    Route("person search", "api:person-search", api=True, search=True),
    Route("group list", "api:group-list", api=True),
    Route("group detail", "api:group-detail", api=True, needs="group"),
    Route("network map data", "api:mapping-network", api=True),
    Route("incident list", "api:incident-list", api=True),
    Route("incident detail", "api:incident-detail", api=True, needs="incident"),
    Route("exit case list", "api:exitcase-list", api=True),
    Route("exit case detail", "api:exitcase-detail", api=True, needs="exit case"),
    Route("contact list", "api:contact-list", api=True),
    Route("caseload", "api:caseload", api=True),
    Route("call-in list", "api:callin-list", api=True),
    Route("call-in detail", "api:callin-detail", api=True, needs="call-in"),
    Route("custom notification list", "api:customnotification-list", api=True),
    Route("enforcement list", "api:enforcementround-list", api=True),
    Route("response list", "api:incidentresponse-list", api=True),
    Route("inbox", "api:notification-list", api=True),
    Route("report archive", "api:report-list", api=True),
    Route("report detail", "api:report-detail", api=True, needs="report"),
)


@dataclass
class Targets:
    """What a persona's detail routes open (the first record of each list they see) and what they search for."""

    pks: dict[str, int] = field(default_factory=dict)
    search_term: str = ""


def targets_for(user: Staff, lists: list[ListSpec], *, search_term: str = "") -> Targets:
    """The first record of each list the persona sees, as its page orders it. The search term, unless given, is
    the start of the family name of the first person they see, so a search finds something for everyone."""
    pks: dict[str, int] = {}
    for spec in lists:
        pk = access.visible(user, spec.model).order_by(*spec.ordering).values_list("pk", flat=True).first()
        if pk is not None:
            pks[spec.key] = pk
    term = search_term
    if not term and "person" in pks:
        family_name: Any = (
            access.visible(user, apps.get_model("cases.person"))
            .filter(pk=pks["person"])
            .values_list("family_name", flat=True)
            .first()
        )
        term = str(family_name or "")[:4]
    return Targets(pks=pks, search_term=term)
