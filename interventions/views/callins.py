"""Call-in pages: the list (the police in full, the other agencies the schedule only), scheduling and
editing, the call-in page with its agenda, invitations and counts, marking it held or cancelled, speakers,
inviting members of the target groups, and recording attendance. Thin: selectors read, services write, the
policy decides (404 when it refuses)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.models import Person
from cases.selectors import supervision_of
from gvi import access
from gvi.accounts.models import Staff
from gvi.accounts.selectors import staff_picker
from gvi.concurrency import StaleVersion
from gvi.pages import add_service_errors, audit_list, audit_shown_on, chosen_sort, paginate, staff_of, versioned_edit
from interventions import selectors, services
from interventions.forms.callins import (
    AttendanceForm,
    CallInFilterForm,
    CallInForm,
    CallInStatusForm,
    InviteForm,
    SpeakerForm,
)
from interventions.models import CallIn, CallInInvitation, Segment, Speaker
from interventions.services.callins import PURPOSE

CONFLICT_MESSAGE = gettext_lazy("Someone else saved this call-in while you were editing. Compare, then save again.")


def callin_title(call_in: CallIn) -> str:
    return _("Call-in %(when)s") % {"when": timezone.localtime(call_in.starts_at).strftime("%Y-%m-%d %H:%M")}


def _list_crumb() -> tuple[str, str]:
    return (reverse("interventions:callin-list"), _("Call-ins"))


def _callin_crumb(call_in: CallIn) -> tuple[str, str]:
    return (reverse("interventions:callin-detail", args=[call_in.pk]), callin_title(call_in))


def _schedule(call_in: CallIn) -> dict[str, Any]:
    """The fields of the partial view `view_schedule` (access.partial_fields) and the status label: nothing
    else of the call-in."""
    values = selectors.partial_values(call_in, "view_schedule")
    values["status_label"] = CallIn.Status(values["status"]).label
    return values


def _changeable(request: HttpRequest, user: Staff, pk: int) -> CallIn:
    """The call-in for a change: 404 (audited) unless the user may change it. A page that shows it (GET) is
    audited as a view; a POST is audited by the service that writes."""
    return access.get_visible_or_404(user, CallIn, pk, action="change", purpose=PURPOSE, audit=request.method == "GET")


# --- The list -----------------------------------------------------------------------------------


@require_GET
def callin_list(request: HttpRequest) -> HttpResponse:
    """The police see their call-ins in full; the program's other agencies the schedule (date, place,
    status) only; everyone else nothing."""
    user = staff_of(request)
    full = access.role_allows(user, "view", CallIn)
    if not full and not access.role_allows(user, "view_schedule", CallIn):
        raise Http404
    filters = CallInFilterForm(request.GET or None)
    chosen = filters.values()
    sort = chosen_sort(request, selectors.CALL_IN_SORTS, "-date")
    list_items = selectors.call_ins if full else selectors.call_in_schedule
    page = paginate(request, list_items(user, **chosen, sort=sort))
    audit_list(
        request,
        CallIn,
        page,
        purpose=PURPOSE,
        detail={"access": "view" if full else "view_schedule", **{k: v for k, v in chosen.items() if v}},
    )
    context = {
        "page": page,
        "full": full,
        "rows": None if full else [_schedule(call_in) for call_in in page.object_list],
        "sort": sort,
        "filters": filters if filters.is_bound and filters.is_valid() else CallInFilterForm(),
        "filtered": any(chosen.values()),
        "can_add": access.role_allows(user, "add", CallIn),
        "crumbs": [(None, _("Call-ins"))],
    }
    return render(request, "interventions/callin_list.html", context)


# --- Scheduling and editing -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def callin_create(request: HttpRequest) -> HttpResponse:
    """Schedule a call-in (`?group=<id>`, from a group's page, chooses that target group in advance; a group
    the user does not see is simply not among the choices)."""
    user = staff_of(request)
    access.require(user, "add", CallIn)
    if request.method == "POST":
        form = CallInForm(request.POST, user=user)
    else:
        group = request.GET.get("group", "")
        preselected = [int(group)] if group.isascii() and group.isdigit() and len(group) < 19 else []
        form = CallInForm(initial={"groups": preselected}, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            call_in = services.call_in_create(actor=user, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The call-in is scheduled. Add the speakers and invite the members."))
            return redirect("interventions:callin-detail", pk=call_in.pk)
    context = {"form": form, "call_in": None, "crumbs": [_list_crumb(), (None, _("New call-in"))]}
    return render(request, "interventions/callin_form.html", context)


@require_http_methods(["GET", "POST"])
def callin_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    call_in = _changeable(request, user, pk)
    conflict = None
    if request.method == "POST":

        def save(form: forms.Form, version: int) -> CallIn:
            assert isinstance(form, CallInForm)
            return services.call_in_update(actor=user, call_in=call_in, version=version, **form.values())

        edit = versioned_edit(
            request, lambda data: CallInForm(data, user=user), save, conflict_message=str(CONFLICT_MESSAGE)
        )
        if edit.saved is not None:
            messages.success(request, _("The changes are saved."))
            return redirect("interventions:callin-detail", pk=call_in.pk)
        form, conflict = edit.form, edit.conflict
    else:
        initial = {
            "starts_at": timezone.localtime(call_in.starts_at),
            "place": call_in.place,
            "groups": [group.pk for group in call_in.groups.all()],
            "notes": call_in.notes,
            "version": call_in.version,
        }
        form = CallInForm(initial=initial, user=user)
    context = {
        "form": form,
        "call_in": call_in,
        "conflict": conflict,
        "conflict_groups": list(conflict.groups.order_by("name")) if isinstance(conflict, CallIn) else [],
        "crumbs": [_list_crumb(), _callin_crumb(call_in), (None, _("Edit"))],
    }
    return render(request, "interventions/callin_form.html", context)


# --- The call-in page -----------------------------------------------------------------------------


@require_GET
def callin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The police see the call-in in full; the other agencies of the program its schedule only."""
    user = staff_of(request)
    call_in, full = selectors.call_in_for(user, pk, purpose=PURPOSE)
    if not full:
        title = callin_title(call_in)
        context = {"schedule": _schedule(call_in), "title": title, "crumbs": [_list_crumb(), (None, title)]}
        return render(request, "interventions/callin_schedule.html", context)
    return _render_detail(request, user, call_in)


def _speaker_form(call_in: CallIn, data: Any = None) -> SpeakerForm:
    staff = list(staff_picker(program_id=call_in.program_id))
    return SpeakerForm(data, staff=staff, auto_id="speaker_%s")


def _render_detail(
    request: HttpRequest, user: Staff, call_in: CallIn, *, speaker_form: SpeakerForm | None = None, status: int = 200
) -> HttpResponse:
    can_change = access.can(user, "change", call_in)
    planned = call_in.status == CallIn.Status.PLANNED
    speakers = list(selectors.call_in_speakers(user, call_in))
    agenda = [(segment, label, [s for s in speakers if s.segment == segment]) for segment, label in Segment.choices]
    rows = selectors.call_in_invitations(user, call_in)
    audit_shown_on(request, Person, [row.invitation.person_id for row in rows], on=call_in, purpose=PURPOSE)
    may_add_speaker = can_change and planned and access.role_allows(user, "add", Speaker)
    context = {
        "call_in": call_in,
        "groups": list(call_in.groups.order_by("name", "id")),
        "agenda": agenda,
        "rows": rows,
        "counts": selectors.call_in_attendance(user, call_in),
        "can_change": can_change,
        "planned": planned,
        "held": call_in.status == CallIn.Status.HELD,
        "may_hold": call_in.starts_at <= timezone.now(),
        "may_invite": can_change and planned and access.role_allows(user, "add", CallInInvitation),
        "may_print": bool(rows) and access.role_allows(user, "print", CallInInvitation),
        "speaker_form": (speaker_form or _speaker_form(call_in)) if may_add_speaker else None,
        "may_remove_speaker": can_change and planned,
        "status_version": call_in.version,
        "title": callin_title(call_in),
        "crumbs": [_list_crumb(), (None, callin_title(call_in))],
    }
    return render(request, "interventions/callin_detail.html", context, status=status)


@require_POST
def callin_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the call-in held or cancelled. A second submit is refused with the service's message."""
    user = staff_of(request)
    call_in = _changeable(request, user, pk)
    form = CallInStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose held or cancelled."))
        return redirect("interventions:callin-detail", pk=call_in.pk)
    try:
        saved = services.call_in_set_status(
            actor=user, call_in=call_in, version=form.cleaned_data["version"], status=form.cleaned_data["status"]
        )
    except StaleVersion:
        messages.error(request, _("Someone else changed this call-in meanwhile. Here it is as saved; try again."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if saved.status == CallIn.Status.HELD:
            messages.success(request, _("The call-in is marked held. Record the attendance now."))
        else:
            messages.success(request, _("The call-in is cancelled."))
    return redirect("interventions:callin-detail", pk=call_in.pk)


# --- Speakers -------------------------------------------------------------------------------------


@require_POST
def speaker_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    call_in = _changeable(request, user, pk)
    access.require(user, "add", Speaker)
    form = _speaker_form(call_in, request.POST)
    if form.is_valid():
        try:
            services.speaker_add(actor=user, call_in=call_in, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The speaker is added to the agenda."))
            return redirect("interventions:callin-detail", pk=call_in.pk)
    # The page again, with the form's errors and what was typed (the call-in page's view event is written).
    call_in, _full = selectors.call_in_for(user, call_in.pk, purpose=PURPOSE)
    return _render_detail(request, user, call_in, speaker_form=form)


@require_POST
def speaker_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    speaker = access.get_visible_or_404(user, Speaker, pk, action="change", purpose=PURPOSE, audit=False)
    call_in_id = speaker.call_in_id
    try:
        services.speaker_remove(actor=user, speaker=speaker)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The speaker is removed from the agenda."))
    return redirect("interventions:callin-detail", pk=call_in_id)


# --- Inviting -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def callin_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """The active members of the target groups, each with the supervision status when the user may see the
    probation section, so the coordinator can prefer those whose attendance can be mandated."""
    user = staff_of(request)
    call_in = _changeable(request, user, pk)
    access.require(user, "add", CallInInvitation)
    candidates = services.invitation_candidates(user, call_in)
    invited = set(
        access.visible(user, CallInInvitation)
        .filter(call_in=call_in, person__in=[p.pk for p in candidates])
        .values_list("person_id", flat=True)
    )
    open_candidates = [person for person in candidates if person.pk not in invited]
    form = InviteForm(request.POST if request.method == "POST" else None, candidates=open_candidates)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.invitations_create(actor=user, call_in=call_in, persons=form.chosen())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(count)s invited. Print the letters from the call-in page.") % {"count": len(created)},
            )
            return redirect("interventions:callin-detail", pk=call_in.pk)
    supervision = supervision_of(user, [person.pk for person in candidates])
    chosen = {str(value) for value in (form["persons"].value() or [])}
    rows = [
        {
            "person": person,
            "invited": person.pk in invited,
            "supervision": supervision.get(person.pk),
            "checked": str(person.pk) in chosen,
        }
        for person in candidates
    ]
    audit_shown_on(request, Person, [person.pk for person in candidates], on=call_in, purpose=PURPOSE)
    context = {
        "call_in": call_in,
        "form": form,
        "rows": rows,
        "planned": call_in.status == CallIn.Status.PLANNED,
        "title": _("Invite members"),
        "crumbs": [_list_crumb(), _callin_crumb(call_in), (None, _("Invite members"))],
    }
    return render(request, "interventions/callin_invite.html", context)


# --- Attendance -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def callin_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Once the call-in is held: attended, left early or absent for every invitation, saved all or nothing."""
    user = staff_of(request)
    call_in = _changeable(request, user, pk)
    invitations = list(
        access.visible(user, CallInInvitation, "change")
        .filter(call_in=call_in)
        .select_related("person")
        .order_by("person__family_name", "person__given_name", "id")
    )
    held = call_in.status == CallIn.Status.HELD
    form = AttendanceForm(request.POST if request.method == "POST" else None, invitations=invitations)
    if request.method == "POST" and form.is_valid():
        try:
            services.attendance_record(actor=user, call_in=call_in, statuses=form.statuses())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The attendance is recorded."))
            return redirect("interventions:callin-detail", pk=call_in.pk)
    audit_shown_on(request, Person, [i.person_id for i in invitations], on=call_in, purpose=PURPOSE)
    context = {
        "call_in": call_in,
        "form": form,
        "held": held,
        "title": _("Record attendance"),
        "crumbs": [_list_crumb(), _callin_crumb(call_in), (None, _("Record attendance"))],
    }
    return render(request, "interventions/callin_attendance.html", context)
