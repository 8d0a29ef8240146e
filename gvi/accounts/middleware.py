"""Every route needs an MFA-verified login, except the few that lead to one."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

LOGIN_AT_SESSION_KEY = "gvi_login_at"
SEEN_AT_SESSION_KEY = "gvi_seen_at"

# Routes open before verification. The API answers for itself (401/403 JSON from DRF). The calendar feed's
# secret, revocable address is its own credential (calendar programs cannot log in).
OPEN_ROUTES = frozenset({"accounts:login", "accounts:logout", "set_language", "healthz", "interventions:calendar-ics"})
UNVERIFIED_ROUTES = frozenset({"accounts:enrol"})


def _route_name(request: HttpRequest) -> str | None:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return match.view_name


def has_confirmed_device(user: object) -> bool:
    from django_otp import user_has_device

    return bool(user_has_device(user, confirmed=True))


class SessionLifetimeMiddleware:
    """Ends a login 12 hours after it began, however active it was, and keeps an active one from idling out.

    The idle timeout is the session's age (SESSION_COOKIE_AGE, 30 minutes). Rather than saving the session on
    every request (three queries on every page), activity is written at most once per
    SESSION_REFRESH_SECONDS: a session then ends between 30 minutes less that interval and 30 minutes after
    its last request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            login_at = request.session.get(LOGIN_AT_SESSION_KEY)
            if login_at is None or time.time() - float(login_at) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.info(request, _("Your session has ended. Please log in again."))
            else:
                now = time.time()
                seen_at = request.session.get(SEEN_AT_SESSION_KEY)
                if seen_at is None or now - float(seen_at) >= settings.SESSION_REFRESH_SECONDS:
                    request.session[SEEN_AT_SESSION_KEY] = now  # modified: saved with a fresh expiry
        return self.get_response(request)


class RequireVerifiedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return self.get_response(request)
        name = _route_name(request)
        if name in OPEN_ROUTES:
            return self.get_response(request)
        user = request.user
        if user.is_authenticated and getattr(user, "is_verified", lambda: False)():
            return self.get_response(request)
        if user.is_authenticated and not has_confirmed_device(user):
            if name in UNVERIFIED_ROUTES:
                return self.get_response(request)
            return HttpResponseRedirect(reverse("accounts:enrol"))
        login_url = reverse("accounts:login")
        if request.headers.get("HX-Request") == "true":
            # An htmx request (e.g. a contact saved after the session ended): the browser itself goes to the
            # login, and back to the page it was on; what the user typed stays in the page's draft.
            back = _same_site_path(request, request.headers.get("HX-Current-URL", ""))
            if back:
                login_url += "?" + urlencode({"next": back})
            response = HttpResponse(status=200)
            response["HX-Redirect"] = login_url
            return response
        if request.method == "GET" and name is not None:
            login_url += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(login_url)


def _same_site_path(request: HttpRequest, url: str) -> str:
    """The path and query of `url` if it is a page of this site, else ""."""
    if not url or not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return ""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
