"""The calendar pages and the iCal feed.

The calendar shows what falls on which day for the viewer, as far as the policy lets them see it
(interventions.calendar): a month grid, a week, or a list of the next 30 days. Every staff member with a role
gets the page; what is on it is the selector's to decide. The feed is the same events at a secret, revocable
address (interventions.services.feeds) for calendar programs, which cannot log in: the address is the
credential, so it shows each event's fixed title, a call-in's venue and the page's address, never a name or a
task's text.
"""

from __future__ import annotations

import calendar as month_arithmetic
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.pages import staff_of
from interventions.calendar import Event, events
from interventions.models import CalendarFeed
from interventions.services import feeds

PURPOSE = "calendar"
# The events of a page or a feed are of several kinds: the audit event lists their uids ("callin-2", "task-4").
AUDIT_OBJECT_TYPE = "calendar"
VIEWS = ("month", "week", "list")
LIST_DAYS = 30
FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 180
# A date outside these is a mistake (or a probe): the page shows today instead.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
FEED_NAME = "Sluta skjut"
FEED_PRODID = "-//Sluta skjut//Calendar//SV"


# --- The page -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """The days one view shows, and where its previous / next links go."""

    view: str
    anchor: date  # the month's first day, the week's Monday, or the list's first day
    first: date
    last: date
    previous: date
    next: date


@dataclass(frozen=True)
class Day:
    day: date
    events: list[Event]
    today: bool
    outside: bool  # a day of the month grid before or after the month shown


def _chosen_view(request: HttpRequest) -> str:
    view = request.GET.get("view", "")
    return view if view in VIEWS else "month"


def _chosen_date(request: HttpRequest, today: date) -> date:
    try:
        chosen = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return today
    return chosen if EARLIEST <= chosen <= LATEST else today


def _span(view: str, anchor: date) -> Span:
    if view == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        week = timedelta(days=7)
        return Span(view, monday, monday, monday + timedelta(days=6), monday - week, monday + week)
    if view == "list":
        days = timedelta(days=LIST_DAYS)
        return Span(view, anchor, anchor, anchor + days - timedelta(days=1), anchor - days, anchor + days)
    # The month grid: whole weeks, Monday first, from the week of the 1st to the week of the last day.
    first = anchor.replace(day=1)
    last = first.replace(day=month_arithmetic.monthrange(first.year, first.month)[1])
    return Span(
        view,
        first,
        first - timedelta(days=first.weekday()),
        last + timedelta(days=6 - last.weekday()),
        (first - timedelta(days=1)).replace(day=1),
        last + timedelta(days=1),
    )


def _days(span: Span, found: list[Event], today: date) -> list[Day]:
    by_day: dict[date, list[Event]] = {}
    for event in found:
        by_day.setdefault(event.day, []).append(event)
    count = (span.last - span.first).days + 1
    days = (span.first + timedelta(days=n) for n in range(count))
    return [
        Day(
            day,
            by_day.get(day, []),
            today=day == today,
            outside=span.view == "month" and day.month != span.anchor.month,
        )
        for day in days
    ]


def _heading(span: Span) -> str:
    if span.view == "week":
        year, week, _weekday = span.anchor.isocalendar()
        return _("Week %(week)s, %(year)s") % {"week": week, "year": year}
    if span.view == "list":
        return _("%(first)s to %(last)s") % {
            "first": formats.date_format(span.first, "j F Y"),
            "last": formats.date_format(span.last, "j F Y"),
        }
    return formats.date_format(span.anchor, "F Y").capitalize()


def _navigation_labels(view: str) -> tuple[str, str]:
    if view == "week":
        return _("Previous week"), _("Next week")
    if view == "list":
        return _("Previous 30 days"), _("Next 30 days")
    return _("Previous month"), _("Next month")


@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    """`?view=month|week|list&date=YYYY-MM-DD`; anything else falls back to this month."""
    user = staff_of(request)
    if not access.role_allows(user, "view", CalendarFeed):  # every role of the policy
        raise Http404
    today = timezone.localdate()
    chosen = _chosen_date(request, today)
    span = _span(_chosen_view(request), chosen)
    found = events(user, span.first, span.last)
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=AUDIT_OBJECT_TYPE,
        object_ids=[event.uid for event in found],
        purpose=PURPOSE,
        detail={"view": span.view, "first": span.first.isoformat(), "last": span.last.isoformat()},
    )
    days = _days(span, found, today)
    previous_label, next_label = _navigation_labels(span.view)
    context = {
        "span": span,
        "view": span.view,
        "heading": _heading(span),
        "today": today,
        "chosen": chosen,  # the view switcher keeps it
        "found": found,
        "days": days,
        # The month grid's rows, a week each; the list shows only the days with something on them.
        "weeks": [days[n : n + 7] for n in range(0, len(days), 7)] if span.view == "month" else [],
        "busy_days": [day for day in days if day.events],
        "views": [
            ("month", _("Month")),
            ("week", _("Week")),
            ("list", _("List")),
        ],
        "previous_label": previous_label,
        "next_label": next_label,
        "crumbs": [(None, _("Calendar"))],
    }
    return render(request, "interventions/calendar/calendar.html", context)


# --- The feed's page: make, replace or stop the secret address --------------------------------------


def feed_address(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("interventions:calendar-ics", args=[token])


@never_cache
@require_http_methods(["GET", "POST"])
def calendar_feed(request: HttpRequest) -> HttpResponse:
    """The address is shown once, in the answer to the POST that made it (never in a URL or a redirect)."""
    user = staff_of(request)
    if not access.role_allows(user, "change", CalendarFeed):
        raise Http404
    address = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            _feed, token = feeds.feed_create(actor=user)
            address = feed_address(token)
        elif action == "revoke":
            if feeds.feed_revoke(actor=user):
                messages.success(request, _("The feed address is stopped: calendar programs get nothing from it."))
            else:
                messages.info(request, _("You have no feed address to stop."))
            return redirect("interventions:calendar-feed")
        else:
            messages.error(request, _("Choose to make a new feed address or to stop the one you have."))
            status = 400
    context = {
        "feed": feeds.live_feed(user),
        "address": address,
        "crumbs": [(reverse("interventions:calendar"), _("Calendar")), (None, _("Calendar feed"))],
    }
    return render(request, "interventions/calendar/feed.html", context, status=status)


# --- The feed itself ------------------------------------------------------------------------------


def _ical(found: list[Event], owner: Staff) -> bytes:
    """The events as iCalendar: the title, a call-in's venue and the page's address; never `detail`."""
    site = settings.SITE_URL.rstrip("/")
    host = urlsplit(site).hostname or "localhost"
    stamp = datetime.now(tz=UTC)
    feed = icalendar.Calendar.new(name=FEED_NAME, prodid=FEED_PRODID, uid=f"calendar-{owner.pk}@{host}")
    for event in found:
        feed.add_component(
            icalendar.Event.new(
                uid=f"{event.uid}@{host}",
                summary=event.title,
                start=event.day if event.all_day else event.start.astimezone(UTC),
                location=event.place if event.kind == "callin" and event.place else None,
                url=site + event.url if event.url else None,
                stamp=stamp,
            )
        )
    return feed.to_ical()


@require_safe
def calendar_ics(request: HttpRequest, token: str) -> HttpResponse:
    """No session: the token is the credential. Unknown, revoked, or its owner inactive: the same 404."""
    owner = feeds.feed_owner(token)
    if owner is None:
        raise Http404
    today = timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        found = events(owner, today - timedelta(days=FEED_DAYS_BACK), today + timedelta(days=FEED_DAYS_AHEAD))
        body = _ical(found, owner)
    audit_record(
        actor=owner,
        action=AuditAction.LIST,
        object_type=AUDIT_OBJECT_TYPE,
        object_ids=[event.uid for event in found],
        purpose=feeds.PURPOSE,
        detail={"count": len(found)},
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "no-store, private"
    response["Content-Disposition"] = 'inline; filename="sluta-skjut.ics"'
    return response
