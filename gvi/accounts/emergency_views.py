"""Emergency access pages: open one record with a reason; the user's own emergency accesses."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gvi.accounts import emergency
from gvi.accounts.emergency_forms import EmergencyAccessForm
from gvi.pages import add_service_errors, paginate, staff_of


@require_http_methods(["GET", "POST"])
def emergency_open(request: HttpRequest) -> HttpResponse:
    """Where the program allows it: the form. Otherwise the page says why and offers nothing to post."""
    user = staff_of(request)
    kinds = emergency.emergency_kinds(user)
    context: dict[str, object] = {
        "program_allows": emergency.program_allows(user),
        "crumbs": [(None, _("Emergency access"))],
        "minutes": settings.EMERGENCY_ACCESS_MINUTES,
    }
    if not kinds:
        if request.method == "POST":
            raise Http404
        return render(request, "accounts/emergency_open.html", context)
    form = EmergencyAccessForm(request.POST or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        try:
            opening = emergency.emergency_access_open(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if opening.access is not None:
                until = time_format(timezone.localtime(opening.access.expires_at), "H:i")
                messages.warning(
                    request,
                    _("Emergency access is open until %(time)s. The auditor has been notified.") % {"time": until},
                )
            return redirect(opening.url)
    return render(request, "accounts/emergency_open.html", context | {"form": form})


@require_GET
def emergency_list(request: HttpRequest) -> HttpResponse:
    """The user's own emergency accesses, with what each opened and until when. Names no one: kinds and
    numbers only, so showing it reads no personal data."""
    user = staff_of(request)
    page = paginate(request, emergency.emergency_accesses_of(user=user))
    rows = [
        (
            item,
            emergency.kind_name(item.object_type),
            emergency.record_url(item.object_type, item.object_id)
            if item.object_type in emergency.RECORD_PAGES
            else "",
        )
        for item in page.object_list
    ]
    crumbs = [(reverse("accounts:emergency-open"), _("Emergency access")), (None, _("My emergency accesses"))]
    return render(request, "accounts/emergency_list.html", {"page": page, "rows": rows, "crumbs": crumbs})
