"""Incident pages: filtered list, detail with involved groups and persons, create and edit, involvements.
Thin: selectors read, services write, the policy decides."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases.models import Person
from gvi import access
from gvi.mapping import selectors, services
from gvi.mapping.forms import IncidentFilterForm, IncidentForm, InvolvementForm, person_choice_ids
from gvi.mapping.models import Group, Incident, IncidentInvolvement
from gvi.pages import add_service_errors, audit_list, audit_shown_on, chosen_sort, paginate, staff_of, versioned_edit

PURPOSE = services.PURPOSE
FILTER_KEYS = ("date_from", "date_to", "kind", "district", "gmi", "group")


def _incidents_crumb() -> tuple[str, str]:
    return (reverse("mapping:incident-list"), _("Incidents"))


def incident_label(incident: Incident) -> str:
    """Kind, local date and place: how an incident is named in headings and breadcrumbs."""
    when = timezone.localtime(incident.occurred_at)
    return f"{incident.get_kind_display()} {when:%Y-%m-%d} {incident.place}"


def _incident_crumb(incident: Incident) -> tuple[str, str]:
    return (reverse("mapping:incident-detail", args=[incident.pk]), incident_label(incident))


def _filters(form: IncidentFilterForm) -> selectors.IncidentFilters:
    data = form.cleaned_data
    group = data.get("group")
    return selectors.IncidentFilters(
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        kinds=list(data.get("kind") or []),
        district=(data.get("district") or "").strip(),
        gmi=data.get("gmi") or "",
        group_id=group.pk if group is not None else None,
    )


def _incident_values(form: IncidentForm) -> tuple[list[Group], dict[str, Any]]:
    data = {key: value for key, value in form.cleaned_data.items() if key != "version"}
    groups = list(data.pop("groups"))
    return groups, data


@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    user = staff_of(request)
    access.require(user, "view", Incident)
    sort = chosen_sort(request, selectors.INCIDENT_SORTS, "-date")
    filters = IncidentFilterForm(request.GET or None, user=user)
    if not filters.is_bound:
        incidents = selectors.incident_list(user=user, sort=sort)
    elif filters.is_valid():
        incidents = selectors.incident_list(user=user, filters=_filters(filters), sort=sort)
    else:
        incidents = Incident.objects.none()
    incidents = incidents.prefetch_related(
        Prefetch("groups", queryset=access.visible(user, Group).order_by("name", "id").only("id", "name"))
    )
    page = paginate(request, incidents)
    audit_list(request, Incident, page, purpose=PURPOSE)
    export_query = request.GET.copy()
    export_query.pop("page", None)
    context = {
        "page": page,
        "sort": sort,
        "filters": filters,
        "filtered": filters.is_bound and any(filters.data.get(key) for key in FILTER_KEYS),
        "export_query": export_query.urlencode(),
        "can_add": access.can(user, "add", Incident),
        "can_export": access.role_allows(user, "export", Incident),
        "crumbs": [(None, _("Incidents"))],
    }
    return render(request, "mapping/incident_list.html", context)


@require_GET
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    incident = access.get_visible_or_404(user, Incident, pk, purpose=PURPOSE)
    can_change = access.can(user, "change", incident)
    involvements = list(selectors.incident_involvements(user=user, incident=incident))
    involvement_form = InvolvementForm(user=user) if can_change else None
    listed = [i.person_id for i in involvements] + (person_choice_ids(involvement_form) if involvement_form else [])
    audit_shown_on(request, Person, sorted(set(listed)), on=incident, purpose=PURPOSE)
    context = {
        "incident": incident,
        "groups": list(access.visible(user, Group).filter(incidents__id=incident.pk).order_by("name", "id")),
        "involvements": involvements,
        "can_change": can_change,
        "involvement_form": involvement_form,
        "title": incident_label(incident),
        "crumbs": [_incidents_crumb(), (None, incident_label(incident))],
    }
    return render(request, "mapping/incident_detail.html", context)


@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest) -> HttpResponse:
    user = staff_of(request)
    access.require(user, "add", Incident)
    form = IncidentForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        groups, values = _incident_values(form)
        try:
            incident = services.incident_create(actor=user, groups=groups, **values)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The incident is registered."))
            return redirect("mapping:incident-detail", pk=incident.pk)
    crumbs = [_incidents_crumb(), (None, _("New incident"))]
    return render(request, "mapping/incident_form.html", {"form": form, "incident": None, "crumbs": crumbs})


@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    incident = access.get_visible_or_404(user, Incident, pk, action="change", purpose=PURPOSE)
    conflict = None
    if request.method == "POST":

        def save(form: Any, version: int) -> Incident:
            groups, values = _incident_values(form)
            return services.incident_update(actor=user, incident=incident, version=version, groups=groups, **values)

        edit = versioned_edit(
            request,
            lambda data: IncidentForm(data, user=user),
            save,
            conflict_message=_("Someone else saved this incident while you were editing. Compare, then save again."),
        )
        if edit.saved is not None:
            messages.success(request, _("The changes are saved."))
            return redirect("mapping:incident-detail", pk=incident.pk)
        form, conflict = edit.form, edit.conflict
    else:
        initial: dict[str, Any] = {f: getattr(incident, f) for f in services.INCIDENT_FIELDS}
        initial["occurred_at"] = timezone.localtime(incident.occurred_at)
        initial["groups"] = list(
            access.visible(user, Group).filter(incidents__id=incident.pk).values_list("pk", flat=True)
        )
        form = IncidentForm(initial={**initial, "version": incident.version}, user=user)
    crumbs = [_incidents_crumb(), _incident_crumb(incident), (None, _("Edit"))]
    context = {"form": form, "incident": incident, "conflict": conflict, "crumbs": crumbs}
    return render(request, "mapping/incident_form.html", context)


@require_http_methods(["GET", "POST"])
def involvement_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_of(request)
    incident = access.get_visible_or_404(user, Incident, pk, action="change", purpose=PURPOSE)
    form = InvolvementForm(request.POST or None, user=user)
    audit_shown_on(request, Person, person_choice_ids(form), on=incident, purpose=PURPOSE)
    if request.method == "POST" and form.is_valid():
        try:
            services.involvement_add(
                actor=user, incident=incident, person=form.cleaned_data["person"], role=form.cleaned_data["role"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The person's part in the incident is recorded."))
            return redirect("mapping:incident-detail", pk=incident.pk)
    crumbs = [_incidents_crumb(), _incident_crumb(incident), (None, _("Add a person"))]
    return render(request, "mapping/involvement_form.html", {"form": form, "incident": incident, "crumbs": crumbs})


@require_http_methods(["GET", "POST"])
def involvement_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST removes the person's part (never anything else)."""
    user = staff_of(request)
    involvement = access.get_visible_or_404(user, IncidentInvolvement, pk, action="change", purpose=PURPOSE)
    incident = involvement.incident
    if request.method == "POST":
        services.involvement_remove(actor=user, involvement=involvement)
        messages.success(request, _("The person is removed from the incident."))
        return redirect("mapping:incident-detail", pk=incident.pk)
    crumbs = [_incidents_crumb(), _incident_crumb(incident), (None, _("Remove a person"))]
    context = {"involvement": involvement, "incident": incident, "crumbs": crumbs}
    return render(request, "mapping/involvement_delete.html", context)
