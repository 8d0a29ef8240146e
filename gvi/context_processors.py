"""Navigation per role: an item shows when the user's role may do its action on its model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gvi import access


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    model_label: str
    action: str = "view"
    # Shown only where the user's program has this switched on (a Program field).
    program_flag: str = ""


# The records whose keepers see what retention will cull (gvi.access: the role action "hold").
HOLDABLE = ("cases.socialsection", "cases.policesection", "cases.probationsection", "outreach.exitcase")

NAVIGATION = (
    NavItem("cases:person-list", _("Persons"), "cases.person"),
    NavItem("cases:shares-received", _("Shared with us"), "cases.share"),
    NavItem("cases:concern-list", _("Reports of concern"), "cases.concernreport"),
    NavItem("mapping:group-list", _("Groups"), "mapping.group"),
    NavItem("mapping:incident-list", _("Incidents"), "mapping.incident"),
    NavItem("mapping:network", _("Network map"), "mapping.group"),
    NavItem("interventions:callin-list", _("Call-ins"), "interventions.callin"),
    NavItem("interventions:callin-list", _("Call-ins"), "interventions.callin", "view_schedule"),
    NavItem(
        "interventions:client-invitations", _("Clients' invitations"), "interventions.callininvitation", "view_client"
    ),
    NavItem("interventions:notification-list", _("Custom notifications"), "interventions.customnotification"),
    NavItem(
        "interventions:notification-list", _("Custom notifications"), "interventions.customnotification", "view_plan"
    ),
    NavItem("interventions:round-list", _("Enforcement rounds"), "interventions.enforcementround"),
    NavItem("interventions:round-list", _("Enforcement rounds"), "interventions.enforcementround", "view_summary"),
    NavItem("interventions:incident-review", _("Incident review"), "mapping.incident"),
    NavItem("interventions:response-list", _("Responses"), "interventions.incidentresponse"),
    NavItem("interventions:response-list", _("Responses"), "interventions.incidentresponse", "view_summary"),
    NavItem("interventions:routine", _("Response routine"), "interventions.responsetemplateitem", "change"),
    NavItem("interventions:calendar", _("Calendar"), "interventions.calendarfeed"),
    NavItem("outreach:caseload", _("Caseload"), "outreach.exitcase"),
    NavItem("outreach:case-list", _("Exit cases"), "outreach.exitcase"),
    NavItem("outreach:referral-list", _("Referrals"), "outreach.referral"),
    NavItem("outreach:referral-sent", _("Our referrals"), "outreach.referral", "view_status"),
    NavItem("reports:list", _("Reports"), "reports.report"),
    # Retention: the rules for those who keep or read them; what is due, with legal holds, for record keepers.
    NavItem("retention:overview", _("Retention"), "retention.retentionrule"),
    *(NavItem("retention:overview", _("Retention"), label, "hold") for label in HOLDABLE),
    NavItem("audit:event-list", _("Audit trail"), "audit.auditevent"),
    NavItem("accounts:emergency-open", _("Emergency access"), "cases.person", program_flag="emergency_access_allowed"),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "is_verified", lambda: False)():
        return {"nav_items": None}
    items: list[dict[str, Any]] = []
    for item in NAVIGATION:
        # A page may be listed for more than one action (in full, or a partial view): once is enough.
        if item.program_flag and not getattr(user.program, item.program_flag, False):
            continue
        if access.role_allows(user, item.action, apps.get_model(item.model_label)) and not any(
            i["url"] == reverse(item.url_name) for i in items
        ):
            items.append({"url": reverse(item.url_name), "label": item.label, "active": False})
    # The item whose URL is the longest prefix of this page is the current one ("/persons/shares/received/" is
    # "Shared with us", not "Persons").
    current = max(
        (item for item in items if request.path.startswith(item["url"])), key=lambda i: len(i["url"]), default=None
    )
    if current is not None:
        current["active"] = True
    person_search = access.role_allows(user, "view", apps.get_model("cases.person"))
    return {"nav_items": items, "is_account_admin": user.role == "admin", "header_search": person_search}
