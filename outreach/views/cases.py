"""Exit-case pages: the list (filters, sorting, pagination), the case page with its entries, a phase
change and closing. Thin: selectors read, services write, the policy decides (404 when it refuses)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gvi import access
from gvi.accounts.models import Staff
from gvi.concurrency import StaleVersion
from gvi.pages import add_service_errors, audit_list, chosen_sort, paginate, staff_of
from outreach import selectors
from outreach.forms.cases import CaseFilterForm, CloseForm, PhaseForm
from outreach.models import ExitCase
from outreach.services import cases as services
from outreach.views.entries import entries_context

PURPOSE = "exit program"
CASES_PER_PAGE = 25


def case_title(case: ExitCase) -> str:
    return _("Exit case: %(name)s") % {"name": case.person.full_name}


def case_crumbs(case: ExitCase) -> list[tuple[str | None, str]]:
    return [
        (reverse("outreach:case-list"), _("Exit cases")),
        (reverse("outreach:case-detail", args=[case.pk]), case_title(case)),
    ]


@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    user = staff_of(request)
    access.require(user, "view", ExitCase)
    filters = CaseFilterForm(request.GET or None)
    sort = chosen_sort(request, selectors.CASE_SORTS, "follow-up")
    page = paginate(request, selectors.exit_cases(user, **filters.values(), sort=sort), per_page=CASES_PER_PAGE)
    audit_list(request, ExitCase, page, purpose=PURPOSE)
    context = {
        "page": page,
        "filters": filters,
        "sort": sort,
        "filtered": any(key in request.GET for key in ("whose", "phase", "state", "overdue", "term")),
        "crumbs": [(None, _("Exit cases"))],
    }
    return render(request, "outreach/case_list.html", context)


def case_page_context(request: HttpRequest, user: Staff, case: ExitCase) -> dict[str, Any]:
    """Everything the case page shows: the case, its entries, the forms and what the user may do."""
    entries = entries_context(request, user, case)
    return {
        **entries,
        "title": case_title(case),
        "can_reassign": entries["can_change"] and access.role_allows(user, "reassign", ExitCase),
        "phase_form": PhaseForm(initial={"phase": case.phase, "version": case.version}),
        "crumbs": [*case_crumbs(case)[:-1], (None, case_title(case))],
    }


@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    case = selectors.exit_case_for(user, pk, purpose=PURPOSE)
    return render(request, "outreach/case_detail.html", case_page_context(request, user, case))


@require_POST
def case_phase(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    case = selectors.exit_case_for(user, pk, action="change", purpose=PURPOSE)
    form = PhaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a phase."))
        return redirect("outreach:case-detail", pk=case.pk)
    try:
        services.exit_case_update(
            actor=user, case=case, version=form.cleaned_data["version"], phase=form.cleaned_data["phase"]
        )
    except StaleVersion:
        messages.error(request, _("Someone else changed this case meanwhile. Here it is as saved; try again."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The phase is changed."))
    return redirect("outreach:case-detail", pk=case.pk)


@require_http_methods(["GET", "POST"])
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    case = selectors.exit_case_for(user, pk, action="change", purpose=PURPOSE)
    conflict = None
    if request.method == "POST":
        form = CloseForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.exit_case_close(
                    actor=user,
                    case=case,
                    version=data["version"],
                    outcome=data["outcome"],
                    closed_on=data["closed_on"],
                    closing_note=data["closing_note"],
                )
            except StaleVersion as exc:
                conflict = exc.current
                messages.error(request, _("Someone else changed this case meanwhile. Check it, then close again."))
                post = request.POST.copy()
                post["version"] = str(conflict.version)  # type: ignore[attr-defined]
                form = CloseForm(post)
                form.is_valid()
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The exit case is closed."))
                return redirect("outreach:case-detail", pk=case.pk)
    else:
        form = CloseForm(initial={"version": case.version})
    context = {
        "case": case,
        "form": form,
        "conflict": conflict,
        "crumbs": [*case_crumbs(case), (None, _("Close the case"))],
    }
    return render(request, "outreach/case_close.html", context)
