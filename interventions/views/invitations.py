"""Invitation pages: one invitation in full for the police (status, supervision, who asked for help and the
one-click referral to the exit program), the probation officer's partial view of her own clients'
invitations with the confirmation of attendance, and the invitation letters as PDF. Thin: selectors read,
services write, the policy decides."""

from __future__ import annotations

from collections.abc import Sequence
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

from cases import selectors as case_selectors
from cases.selectors import supervision_of
from gvi import access
from gvi.accounts.models import Agency, Role, Staff, Team
from gvi.accounts.selectors import other_teams, staff_with_role
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.pages import add_service_errors, audit_list, paginate, staff_of, versioned_edit
from interventions import selectors, services
from interventions.forms.invitations import InvitationHelpForm, InvitationReferralForm, InvitationStatusForm
from interventions.letters import render_letters
from interventions.models import CallIn, CallInInvitation
from interventions.services.callins import PURPOSE
from outreach.models import Referral
from outreach.services import referral_receivers

LETTER_PURPOSE = "invitation letter"
CONFLICT_MESSAGE = gettext_lazy(
    "Someone else changed this invitation while you were working on it. Compare, then try again."
)


def _call_in_label(call_in: CallIn) -> str:
    starts_at = timezone.localtime(call_in.starts_at)
    return _("Call-in %(date)s") % {"date": f"{starts_at:%Y-%m-%d %H:%M}"}


def _police_crumbs(invitation: CallInInvitation, *tail: tuple[str | None, str]) -> list[tuple[str | None, str]]:
    return [
        (reverse("interventions:callin-list"), _("Call-ins")),
        (reverse("interventions:callin-detail", args=[invitation.call_in_id]), _call_in_label(invitation.call_in)),
        *tail,
    ]


def _client_crumbs(*tail: tuple[str | None, str]) -> list[tuple[str | None, str]]:
    return [(reverse("interventions:client-invitations"), _("My clients' invitations")), *tail]


def _client_view(invitation: CallInInvitation) -> dict[str, Any]:
    """The fields of the partial view `view_client` (access.partial_fields) and the status's label; nothing
    else of the invitation: not the police's record, the groups or the other invitees."""
    values = selectors.partial_values(invitation, "view_client")
    values["status_label"] = CallInInvitation.Status(values["status"]).label
    values["may_confirm"] = values["status"] == CallInInvitation.Status.INVITED
    return values


# --- One invitation --------------------------------------------------------------------------------


@require_GET
def invitation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The police see the invitation in full; the invitee's probation officer the partial view of her
    client's invitation (another template); everyone else a 404."""
    user = staff_of(request)
    invitation, full = selectors.invitation_for(user, pk, purpose=PURPOSE)
    if not full:
        client = _client_view(invitation)
        client["may_confirm"] = client["may_confirm"] and access.can(user, "confirm_attendance", invitation)
        title = _("Invitation to a call-in")
        context = {"client": client, "title": title, "crumbs": _client_crumbs((None, title))}
        return render(request, "interventions/invitation_client.html", context)
    return _render_detail(request, user, invitation)


def _render_detail(
    request: HttpRequest,
    user: Staff,
    invitation: CallInInvitation,
    *,
    bound: forms.Form | None = None,
    conflict: CallInInvitation | None = None,
) -> HttpResponse:
    """The full invitation page; `bound` replaces the blank form that was posted (with its errors, or after a
    conflict with the version saved meanwhile in `conflict`)."""
    call_in = invitation.call_in
    can_change = access.can(user, "change", invitation)
    status_form: forms.Form | None = None
    help_form: forms.Form | None = None
    if can_change and call_in.status != CallIn.Status.CANCELLED:
        status_form = InvitationStatusForm(
            initial={"status": invitation.status, "version": invitation.version}, call_in=call_in, auto_id="status_%s"
        )
    if can_change and (call_in.status == CallIn.Status.HELD or invitation.asked_for_help):
        help_form = InvitationHelpForm(
            initial={
                "asked_for_help": invitation.asked_for_help,
                "help_note": invitation.help_note,
                "version": invitation.version,
            },
            auto_id="help_%s",
        )
    if isinstance(bound, InvitationStatusForm):
        status_form = bound
    elif isinstance(bound, InvitationHelpForm):
        help_form = bound
    title = invitation.person.full_name
    context = {
        "invitation": invitation,
        "call_in": call_in,
        "supervision": supervision_of(user, [invitation.person_id]).get(invitation.person_id),
        "referral": invitation.referral,
        "can_change": can_change,
        "can_refer": can_change
        and invitation.asked_for_help
        and invitation.referral_id is None
        and access.role_allows(user, "add", Referral),
        "can_print": access.role_allows(user, "print", CallInInvitation),
        "status_form": status_form,
        "help_form": help_form,
        "conflict": conflict,
        "title": title,
        "crumbs": _police_crumbs(invitation, (None, title)),
    }
    return render(request, "interventions/invitation_detail.html", context)


def _changeable(user: Staff, pk: int) -> CallInInvitation:
    """The invitation for a change by the police: 404 (audited) unless the user may change it."""
    return access.get_visible_or_404(
        user,
        CallInInvitation,
        pk,
        action="change",
        purpose=PURPOSE,
        audit=False,
        related=("call_in", "person", "referral"),
    )


def _step_result(
    request: HttpRequest, user: Staff, invitation: CallInInvitation, edit: Any, success: str
) -> HttpResponse:
    if edit.saved is not None:
        messages.success(request, success)
        return redirect("interventions:invitation-detail", pk=invitation.pk)
    if edit.conflict is not None:
        invitation = _changeable(user, invitation.pk)
    return _render_detail(request, user, invitation, bound=edit.form, conflict=edit.conflict)


@require_POST
def invitation_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    invitation = _changeable(user, pk)
    edit = versioned_edit(
        request,
        lambda data: InvitationStatusForm(data, call_in=invitation.call_in, auto_id="status_%s"),
        lambda form, version: services.invitation_set_status(
            actor=user, invitation=invitation, version=version, status=form.cleaned_data["status"]
        ),
        conflict_message=str(CONFLICT_MESSAGE),
    )
    return _step_result(request, user, invitation, edit, _("The status is saved."))


@require_POST
def invitation_help(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    invitation = _changeable(user, pk)
    edit = versioned_edit(
        request,
        lambda data: InvitationHelpForm(data, auto_id="help_%s"),
        lambda form, version: services.invitation_help(
            actor=user,
            invitation=invitation,
            version=version,
            asked_for_help=form.cleaned_data["asked_for_help"],
            help_note=form.cleaned_data["help_note"],
        ),
        conflict_message=str(CONFLICT_MESSAGE),
    )
    return _step_result(request, user, invitation, edit, _("Saved."))


@require_POST
def invitation_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The probation officer confirms that her client will attend; a second submit is refused."""
    user = staff_of(request)
    invitation = access.get_visible_or_404(
        user, CallInInvitation, pk, action="confirm_attendance", purpose=PURPOSE, audit=False
    )
    try:
        services.invitation_confirm(actor=user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Attendance is confirmed. The police see it on the call-in."))
    if request.POST.get("back") == "list":
        return redirect("interventions:client-invitations")
    return redirect("interventions:invitation-detail", pk=invitation.pk)


# --- The follow-up: a referral to the exit program --------------------------------------------------


def _exit_team(receivers: Sequence[Agency], teams: Sequence[Team]) -> Team | None:
    """The exit team of the program's one municipality: the team its exit coordinators work in."""
    if len(receivers) != 1:
        return None
    team_ids = set(
        staff_with_role(agency_id=receivers[0].pk, role=Role.EXIT_COORDINATOR)
        .exclude(team=None)
        .values_list("team_id", flat=True)
    )
    return next((team for team in teams if team.pk in team_ids), None)


@require_http_methods(["GET", "POST"])
def invitation_refer(request: HttpRequest, pk: int) -> HttpResponse:
    """Refer an invitee who asked for help to the municipality's exit program: the outreach referral, with
    its consent gate (without a legal basis nothing is saved and the form keeps what was typed)."""
    user = staff_of(request)
    access.require(user, "add", Referral)
    invitation = _changeable(user, pk)
    if invitation.referral_id is not None:
        messages.info(request, _("This invitee has been referred already."))
        return redirect("interventions:invitation-detail", pk=invitation.pk)
    if not invitation.asked_for_help:
        messages.error(request, _("Record that the person asked for help first."))
        return redirect("interventions:invitation-detail", pk=invitation.pk)
    person = invitation.person
    if request.method == "GET":
        audit_record(actor=user, action=AuditAction.VIEW, obj=invitation, purpose=PURPOSE, detail={"step": "refer"})
    consents = case_selectors.person_consents(user, person).filter(revoked_at__isnull=True)
    # The police refer to another agency: a municipality of the program, never their own agency.
    receivers = [agency for agency in referral_receivers(person.program_id) if agency.pk != user.agency_id]
    receiver_ids = {agency.pk for agency in receivers}
    teams = [
        team
        for team in other_teams(program_id=person.program_id, excluding_agency_id=None)
        if team.agency_id in receiver_ids
    ]
    exit_team = _exit_team(receivers, teams)
    initial: dict[str, Any] = {"reason": invitation.help_note}
    if exit_team is not None:
        initial.update(receiving_agency=exit_team.agency_id, receiving_team=exit_team.pk)
    form = InvitationReferralForm(
        request.POST or None, user=user, receivers=receivers, teams=teams, consents=consents, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_refer(actor=user, invitation=invitation, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The referral is sent to the exit program. Its status is shown on the invitation.")
            )
            return redirect("interventions:invitation-detail", pk=invitation.pk)
    title = _("Refer to the exit program")
    context = {
        "form": form,
        "invitation": invitation,
        "person": person,
        "has_consent": consents.exists(),
        "title": title,
        "crumbs": _police_crumbs(
            invitation,
            (reverse("interventions:invitation-detail", args=[invitation.pk]), person.full_name),
            (None, title),
        ),
    }
    return render(request, "interventions/invitation_refer.html", context)


# --- Letters -------------------------------------------------------------------------------------------


def _require_print(user: Staff, model: type[CallIn | CallInInvitation], pk: int) -> None:
    """Letters are for the roles that print them (the police coordinator); others get the audited 404."""
    if not access.role_allows(user, "print", CallInInvitation):
        access.audit_denied(user, model, pk, action="print", purpose=LETTER_PURPOSE)
        raise Http404


def _letters_response(user: Staff, invitations: list[CallInInvitation], *, filename: str) -> HttpResponse:
    pdf = render_letters(invitations)
    services.letters_printed(actor=user, invitations=invitations)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


_LETTER_RELATED = ("person", "call_in", "owner_agency")


@require_GET
def invitation_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """One invitation letter as PDF (audited: a PRINT event)."""
    user = staff_of(request)
    _require_print(user, CallInInvitation, pk)
    invitation = access.get_visible_or_404(
        user, CallInInvitation, pk, purpose=LETTER_PURPOSE, audit=False, related=_LETTER_RELATED
    )
    if invitation.call_in.status == CallIn.Status.CANCELLED:
        messages.error(request, _("The call-in is cancelled: no letters are printed."))
        return redirect("interventions:invitation-detail", pk=invitation.pk)
    return _letters_response(user, [invitation], filename=f"kallelse-{invitation.pk}.pdf")


@require_GET
def callin_letters(request: HttpRequest, pk: int) -> HttpResponse:
    """All invitation letters of a call-in in one PDF, a page per invitee (a PRINT event per letter)."""
    user = staff_of(request)
    _require_print(user, CallIn, pk)
    call_in = access.get_visible_or_404(user, CallIn, pk, purpose=LETTER_PURPOSE, audit=False)
    if call_in.status == CallIn.Status.CANCELLED:
        messages.error(request, _("The call-in is cancelled: no letters are printed."))
        return redirect("interventions:callin-detail", pk=call_in.pk)
    invitations = list(
        access.visible(user, CallInInvitation)
        .filter(call_in=call_in)
        .select_related(*_LETTER_RELATED)
        .order_by("person__family_name", "person__given_name", "id")
    )
    if not invitations:
        messages.info(request, _("No one is invited to this call-in yet."))
        return redirect("interventions:callin-detail", pk=call_in.pk)
    return _letters_response(user, invitations, filename=f"kallelser-{call_in.pk}.pdf")


# --- The probation officer's list ----------------------------------------------------------------------


@require_GET
def client_invitations(request: HttpRequest) -> HttpResponse:
    """The invitations of the probation officer's own clients: the partial view only, newest call-in first,
    with the confirmation of attendance."""
    user = staff_of(request)
    if not access.role_allows(user, "view_client", CallInInvitation):
        raise Http404
    page = paginate(request, selectors.client_invitations(user))
    audit_list(request, CallInInvitation, page, purpose=PURPOSE, detail={"access": "view_client"})
    confirmable = set(
        access.visible(user, CallInInvitation, "confirm_attendance")
        .filter(pk__in=[invitation.pk for invitation in page.object_list])
        .values_list("pk", flat=True)
    )
    rows = []
    for invitation in page.object_list:
        row = _client_view(invitation)
        row["may_confirm"] = row["may_confirm"] and invitation.pk in confirmable
        rows.append(row)
    context = {"page": page, "rows": rows, "crumbs": [(None, _("My clients' invitations"))]}
    return render(request, "interventions/invitation_clients.html", context)
