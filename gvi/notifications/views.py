"""The user's inbox: the list, the unread badge of the header (loaded by htmx after the page, so that no
page pays a query for it), opening one notification and marking all read.

Everyone sees only their own notifications (gvi/access.py, PERSONAL_MODELS): another user's is a 404 like a
missing one. A notification's link is followed only when it is a path on this site.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gvi import access
from gvi.notifications import selectors, services
from gvi.notifications.models import Notification
from gvi.pages import paginate, staff_of

PURPOSE = "notifications"
PER_PAGE = 25


def is_local_path(url: str) -> bool:
    """A path on this site ("/outreach/cases/1/"), never another host, a scheme or a protocol-relative URL."""
    return (
        url.startswith("/")
        and not url.startswith("//")
        and "\\" not in url
        and not any(ord(char) < 32 for char in url)
        and url_has_allowed_host_and_scheme(url, allowed_hosts=set())
    )


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    user = staff_of(request)
    page = paginate(request, selectors.notifications_for(user), per_page=PER_PAGE)
    context = {
        "page": page,
        "unread": selectors.unread_count(user),
        "crumbs": [(None, _("Notifications"))],
    }
    return render(request, "notifications/notification_list.html", context)


@require_GET
def unread_badge(request: HttpRequest) -> HttpResponse:
    """The header's badge: a fragment for htmx, one count query."""
    return render(request, "notifications/_unread.html", {"unread": selectors.unread_count(staff_of(request))})


@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    notification = access.get_visible_or_404(user, Notification, pk, action="change", purpose=PURPOSE)
    services.notification_read(actor=user, notification=notification)
    if not is_local_path(notification.url):
        messages.error(request, _("The link of this notification cannot be opened here."))
        return redirect("notifications:list")
    return redirect(notification.url)


@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    marked = services.notifications_read_all(actor=staff_of(request))
    if marked:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:list")
