"""The social worker's day and the coordinator's view of the municipality.

`caseload`: the user's own open exit cases sorted by the next follow-up (overdue ones first, highlighted),
her contacts this month and the new referrals to her team. For the exit coordinator (whose role may
reassign) also the load per worker and the municipality's open cases, filterable by worker, each with a
link to reassign it. One LIST audit event names every case shown.

`case_reassign`: the exit coordinator gives a case to another social worker (the service moves the grants
and audits it). Everyone else gets the same 404 as for a case that does not exist.
Thin: selectors read, services write, the policy decides.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from gvi import access
from gvi.accounts.models import Staff
from gvi.api import MAX_ID
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.pages import paginate, staff_of, versioned_edit
from outreach import selectors, services
from outreach.models import ExitCase, Referral

PURPOSE = "exit program"
REASSIGN_PURPOSE = "reassign"
# The own cases shown on the dashboard; beyond this the case list (filtered to "mine") has them all.
CASELOAD_LIMIT = 50
# The municipality's open cases per page, on the coordinator's part of the page.
TEAM_CASES_PER_PAGE = 25


def _worker_filter(request: HttpRequest, workers: list[selectors.WorkerLoad]) -> Staff | None:
    """The worker chosen with ?worker=<id>, among those listed; anything else means all workers."""
    raw = request.GET.get("worker", "")
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
        return None
    return next((load.worker for load in workers if load.worker.pk == int(raw)), None)


@require_GET
def caseload(request: HttpRequest) -> HttpResponse:
    user = staff_of(request)
    if not access.role_allows(user, "view", ExitCase):
        raise Http404
    load = selectors.caseload(user, limit=CASELOAD_LIMIT)
    overdue_ids = {case.pk for case in load.overdue}
    context: dict[str, Any] = {
        "load": load,
        # Overdue follow-ups at the top, then the rest by the next follow-up (the selector's order).
        "own_cases": load.overdue + [case for case in load.open_cases if case.pk not in overdue_ids],
        "overdue_ids": overdue_ids,
        "more_own": len(load.open_cases) >= CASELOAD_LIMIT,
        "new_referrals": selectors.referrals_received(user, status=Referral.Status.RECEIVED).count(),
        "may_reassign": access.role_allows(user, "reassign", ExitCase),
        "crumbs": [(None, _("Caseload"))],
    }
    shown = [case.pk for case in load.open_cases]
    if context["may_reassign"]:
        workers = selectors.team_load(user)
        worker = _worker_filter(request, workers)
        cases = selectors.exit_cases(user, state="open", sort="follow-up")
        if worker is not None:
            cases = cases.filter(responsible_id=worker.pk)
        page = paginate(request, cases, per_page=TEAM_CASES_PER_PAGE)
        shown += [case.pk for case in page.object_list if case.pk not in shown]
        context |= {"workers": workers, "worker": worker, "page": page, "today": timezone.localdate()}
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=ExitCase._meta.label_lower,
        object_ids=shown,
        purpose=PURPOSE,
        detail={"shown_on": "caseload"},
    )
    return render(request, "outreach/caseload.html", context)


class WorkerChoiceField(forms.ModelChoiceField[Staff]):
    def label_from_instance(self, obj: Staff) -> str:
        name = obj.get_full_name() or obj.get_username()
        return f"{name} ({obj.team.name})" if obj.team else name


class ReassignForm(forms.Form):
    responsible = WorkerChoiceField(
        queryset=Staff.objects.none(),
        label=gettext_lazy("New responsible social worker"),
        help_text=gettext_lazy("The case moves to this worker and her team; the former worker's team loses it."),
        empty_label=gettext_lazy("Choose a social worker"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, candidates: QuerySet[Staff], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = candidates  # type: ignore[attr-defined]


def _reassignable(user: Staff, pk: int) -> ExitCase:
    """The case for the coordinator; the same audited 404 as for a missing case for everyone else."""
    if not access.role_allows(user, "reassign", ExitCase):
        access.audit_denied(user, ExitCase, pk, action="reassign", purpose=REASSIGN_PURPOSE)
        raise Http404
    return selectors.exit_case_for(user, pk, action="change", purpose=REASSIGN_PURPOSE)


@require_http_methods(["GET", "POST"])
def case_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    case = _reassignable(user, pk)
    if not case.is_open:
        messages.error(request, _("A closed case cannot be reassigned."))
        return redirect("outreach:case-detail", pk=case.pk)
    candidates = selectors.reassign_candidates(user).exclude(pk=case.responsible_id)
    conflict = None
    if request.method == "POST":
        edit = versioned_edit(
            request,
            lambda data: ReassignForm(data, candidates=candidates),
            lambda form, version: services.exit_case_reassign(
                actor=user, case=case, version=version, responsible=form.cleaned_data["responsible"]
            ),
            conflict_message=_(
                "Someone else changed this case while you were choosing. Check who holds it now, then save again."
            ),
        )
        if edit.saved is not None:
            responsible = edit.form.cleaned_data["responsible"]
            messages.success(
                request,
                _("The case is now held by %(name)s.") % {"name": responsible.get_full_name() or responsible.username},
            )
            return redirect("outreach:caseload")
        form, conflict = edit.form, edit.conflict
    else:
        form = ReassignForm(initial={"version": case.version}, candidates=candidates)
    context = {
        "case": case,
        "form": form,
        "conflict": conflict,
        "crumbs": [
            (reverse("outreach:caseload"), _("Caseload")),
            (reverse("outreach:case-detail", args=[case.pk]), case.person.full_name),
            (None, _("Reassign")),
        ],
    }
    return render(request, "outreach/case_reassign.html", context)
