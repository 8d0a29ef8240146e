"""Group pages: list, detail with members, relations and timeline, create and edit; memberships, relations
and the reviews that fall due. Thin: selectors read, services write, the policy decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases.models import Person
from gvi import access
from gvi.audit.services import audit_shown
from gvi.concurrency import StaleVersion
from gvi.mapping import selectors, services
from gvi.mapping.forms import (
    GroupFilterForm,
    GroupForm,
    MembershipCreateForm,
    MembershipForm,
    ReconfirmForm,
    RelationCreateForm,
    RelationForm,
    person_choice_ids,
)
from gvi.mapping.models import Group, GroupMembership, GroupRelation
from gvi.pages import (
    add_service_errors,
    audit_list,
    audit_shown_on,
    chosen_sort,
    form_values,
    paginate,
    staff_of,
    versioned_edit,
)

PURPOSE = services.PURPOSE
# A group page shows this many members and incidents at most; the incident list has them all.
MEMBER_LIMIT = 500
INCIDENT_LIMIT = 100


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _groups_crumb() -> tuple[str, str]:
    return (reverse("mapping:group-list"), _("Groups"))


def _group_crumb(group: Group) -> tuple[str, str]:
    return (reverse("mapping:group-detail", args=[group.pk]), group.name)


# --- Rows the templates show ---------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    membership: GroupMembership
    state: str  # active / lapsed / ended / future
    due_soon: bool

    @property
    def can_reconfirm(self) -> bool:
        return self.state in {"active", "lapsed"}


def member_state(membership: GroupMembership, today: date) -> str:
    if membership.is_active_on(today):
        return "active"
    if membership.valid_to is not None and membership.valid_to < today:
        return "ended"
    if membership.valid_from > today:
        return "future"
    return "lapsed"  # begun, not ended, but not reconfirmed by its review date


def _member_rows(memberships: list[GroupMembership], today: date) -> list[MemberRow]:
    warning = today.toordinal() + selectors.REVIEW_WARNING_DAYS
    return [
        MemberRow(m, member_state(m, today), m.review_due.toordinal() <= warning and m.review_due >= today)
        for m in memberships
    ]


@dataclass(frozen=True)
class RelationRow:
    relation: GroupRelation
    other: Group
    recorded_here: bool
    current: bool
    can_change: bool


# --- Groups --------------------------------------------------------------------------------------


@require_GET
def group_list(request: HttpRequest) -> HttpResponse:
    user = staff_of(request)
    access.require(user, "view", Group)
    sort = chosen_sort(request, selectors.GROUP_SORTS, "name")
    filters = GroupFilterForm(request.GET or None, districts=selectors.group_districts(user=user))
    if not filters.is_bound:
        groups = selectors.group_list(user=user, sort=sort)
    elif filters.is_valid():
        groups = selectors.group_list(user=user, sort=sort, **filters.cleaned_data)
    else:
        groups = Group.objects.none()
    page = paginate(request, groups)
    audit_list(request, Group, page, purpose=PURPOSE)
    filtered = filters.is_bound and any(filters.data.get(key) for key in ("term", "status", "district"))
    context = {
        "page": page,
        "sort": sort,
        "filters": filters,
        "filtered": filtered,
        "can_add": access.can(user, "add", Group),
        "crumbs": [(None, _("Groups"))],
    }
    return render(request, "mapping/group_list.html", context)


@require_GET
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    group = access.get_visible_or_404(user, Group, pk, purpose=PURPOSE)
    today = timezone.localdate()
    memberships = list(selectors.group_memberships(user=user, group=group)[: MEMBER_LIMIT + 1])
    relations = list(selectors.group_relations(user=user, group=group))
    incidents = list(selectors.group_incidents(user=user, group=group)[: INCIDENT_LIMIT + 1])
    more_members, memberships = len(memberships) > MEMBER_LIMIT, memberships[:MEMBER_LIMIT]
    more_incidents, incidents = len(incidents) > INCIDENT_LIMIT, incidents[:INCIDENT_LIMIT]
    # One query answers "may I change this group, and the groups its relations are recorded on?"
    changeable = set(
        access.visible(user, Group, "change")
        .filter(pk__in={group.pk} | {r.group_id for r in relations})
        .values_list("pk", flat=True)
    )
    can_change = group.pk in changeable
    relation_rows = [
        RelationRow(
            relation=r,
            other=r.other_group if r.group_id == group.pk else r.group,
            recorded_here=r.group_id == group.pk,
            current=r.valid_from <= today and (r.valid_to is None or r.valid_to >= today),
            can_change=r.group_id in changeable,
        )
        for r in relations
    ]
    context = {
        "group": group,
        "today": today,
        "members": _member_rows(memberships, today),
        "more_members": more_members,
        "active_members": sum(1 for m in memberships if m.is_active_on(today)),
        "relations": relation_rows,
        "incidents": incidents,
        "more_incidents": more_incidents,
        "timeline": selectors.group_timeline(memberships=memberships, relations=relations, incidents=incidents),
        "can_change": can_change,
        "can_add_member": can_change and access.role_allows(user, "add", GroupMembership),
        "can_add_relation": can_change and access.role_allows(user, "add", GroupRelation),
        "crumbs": [_groups_crumb(), (None, group.name)],
    }
    audit_shown_on(request, Person, [m.person_id for m in memberships], on=group, purpose=PURPOSE)
    return render(request, "mapping/group_detail.html", context)


@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest) -> HttpResponse:
    user = staff_of(request)
    access.require(user, "add", Group)
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(actor=user, **form_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The group is registered."))
            return redirect("mapping:group-detail", pk=group.pk)
    crumbs = [_groups_crumb(), (None, _("New group"))]
    return render(request, "mapping/group_form.html", {"form": form, "group": None, "crumbs": crumbs})


@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    group = access.get_visible_or_404(user, Group, pk, action="change", purpose=PURPOSE)
    conflict = None
    if request.method == "POST":
        edit = versioned_edit(
            request,
            GroupForm,
            lambda form, version: services.group_update(actor=user, group=group, version=version, **form_values(form)),
            conflict_message=_("Someone else saved this group while you were editing. Compare, then save again."),
        )
        if edit.saved is not None:
            messages.success(request, _("The changes are saved."))
            return redirect("mapping:group-detail", pk=group.pk)
        form, conflict = edit.form, edit.conflict
    else:
        form = GroupForm(initial={**{f: getattr(group, f) for f in services.GROUP_FIELDS}, "version": group.version})
    crumbs = [_groups_crumb(), _group_crumb(group), (None, _("Edit"))]
    context = {"form": form, "group": group, "conflict": conflict, "crumbs": crumbs}
    return render(request, "mapping/group_form.html", context)


# --- Memberships ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def membership_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    group = access.get_visible_or_404(user, Group, pk, action="change", purpose=PURPOSE)
    access.require(user, "add", GroupMembership)
    today = timezone.localdate()
    form = MembershipCreateForm(request.POST or None, user=user, initial={"valid_from": today, "last_confirmed": today})
    audit_shown_on(request, Person, person_choice_ids(form), on=group, purpose=PURPOSE)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_add(actor=user, group=group, **form_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The membership is recorded."))
            return redirect("mapping:group-detail", pk=group.pk)
    crumbs = [_groups_crumb(), _group_crumb(group), (None, _("New member"))]
    context = {"form": form, "group": group, "membership": None, "crumbs": crumbs}
    return render(request, "mapping/membership_form.html", context)


@require_http_methods(["GET", "POST"])
def membership_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    membership = access.get_visible_or_404(user, GroupMembership, pk, action="change", purpose=PURPOSE)
    group = membership.group
    conflict = None
    if request.method == "POST":
        edit = versioned_edit(
            request,
            MembershipForm,
            lambda form, version: services.membership_update(
                actor=user, membership=membership, version=version, **form_values(form)
            ),
            conflict_message=_("Someone else saved this membership while you were editing. Compare, then save again."),
        )
        if edit.saved is not None:
            messages.success(request, _("The changes are saved."))
            return redirect("mapping:group-detail", pk=group.pk)
        form, conflict = edit.form, edit.conflict
    else:
        initial = {f: getattr(membership, f) for f in services.MEMBERSHIP_FIELDS}
        form = MembershipForm(initial={**initial, "version": membership.version})
    crumbs = [_groups_crumb(), _group_crumb(group), (None, _("Edit membership"))]
    context = {"form": form, "group": group, "membership": membership, "conflict": conflict, "crumbs": crumbs}
    return render(request, "mapping/membership_form.html", context)


@require_http_methods(["GET", "POST"])
def membership_reconfirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a membership today (next review in twelve months). GET asks; POST does it."""
    user = staff_of(request)
    membership = access.get_visible_or_404(user, GroupMembership, pk, action="change", purpose=PURPOSE)
    group = membership.group
    back = _safe_next(request, reverse("mapping:group-detail", args=[group.pk]))
    form = ReconfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            fresh = services.membership_reconfirm(
                actor=user,
                membership=membership,
                confidence=form.cleaned_data["confidence"] or None,
                source=form.cleaned_data["source"].strip() or None,
            )
        except StaleVersion:
            messages.error(request, _("Someone else changed this membership just now. Check it and try again."))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The membership is reconfirmed. Next review: %(date)s.") % {"date": fresh.review_due.isoformat()},
            )
            return redirect(back)
    crumbs = [_groups_crumb(), _group_crumb(group), (None, _("Reconfirm membership"))]
    context = {
        "form": form,
        "group": group,
        "membership": membership,
        "state": member_state(membership, timezone.localdate()),
        "back": back,
        "crumbs": crumbs,
    }
    return render(request, "mapping/membership_reconfirm.html", context)


@require_GET
def reviews_due(request: HttpRequest) -> HttpResponse:
    user = staff_of(request)
    access.require(user, "view", GroupMembership)
    today = timezone.localdate()
    page = paginate(request, selectors.reviews_due(user=user))
    audit_list(request, GroupMembership, page, purpose=PURPOSE)
    audit_shown(
        actor=user,
        object_type=Person._meta.label_lower,
        ids=[m.person_id for m in page.object_list],
        purpose=PURPOSE,
        shown_on="mapping:reviews-due",
    )
    context = {
        "page": page,
        "rows": _member_rows(list(page.object_list), today),
        "today": today,
        "warning_days": selectors.REVIEW_WARNING_DAYS,
        "can_change": access.role_allows(user, "change", GroupMembership),
        "crumbs": [_groups_crumb(), (None, _("Reviews due"))],
    }
    return render(request, "mapping/reviews_due.html", context)


# --- Relations -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def relation_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    group = access.get_visible_or_404(user, Group, pk, action="change", purpose=PURPOSE)
    access.require(user, "add", GroupRelation)
    form = RelationCreateForm(
        request.POST or None, user=user, group=group, initial={"valid_from": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.relation_add(actor=user, group=group, **form_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The relation is recorded."))
            return redirect("mapping:group-detail", pk=group.pk)
    crumbs = [_groups_crumb(), _group_crumb(group), (None, _("New relation"))]
    context = {"form": form, "group": group, "relation": None, "crumbs": crumbs}
    return render(request, "mapping/relation_form.html", context)


@require_http_methods(["GET", "POST"])
def relation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    relation = access.get_visible_or_404(user, GroupRelation, pk, action="change", purpose=PURPOSE)
    group = relation.group
    conflict = None
    if request.method == "POST":
        edit = versioned_edit(
            request,
            RelationForm,
            lambda form, version: services.relation_update(
                actor=user, relation=relation, version=version, **form_values(form)
            ),
            conflict_message=_("Someone else saved this relation while you were editing. Compare, then save again."),
        )
        if edit.saved is not None:
            messages.success(request, _("The changes are saved."))
            return redirect("mapping:group-detail", pk=group.pk)
        form, conflict = edit.form, edit.conflict
    else:
        initial = {f: getattr(relation, f) for f in services.RELATION_FIELDS}
        form = RelationForm(initial={**initial, "version": relation.version})
    crumbs = [_groups_crumb(), _group_crumb(group), (None, _("Edit relation"))]
    context = {"form": form, "group": group, "relation": relation, "conflict": conflict, "crumbs": crumbs}
    return render(request, "mapping/relation_form.html", context)
