"""The network map: groups as nodes, relations as edges, as of a date. The page carries a plain table of
the same data for keyboard, screen-reader and no-JS users; static/js/network.js draws the map from the API."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gvi import access
from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record
from gvi.mapping import selectors, services
from gvi.mapping.forms import AsOfForm
from gvi.mapping.models import Group, GroupStatus, Intensity, RelationKind
from gvi.pages import translated_labels, url_for_each

PURPOSE = services.PURPOSE


@require_GET
def network_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, Staff)
    access.require(user, "view", Group)
    form = AsOfForm(request.GET or None)
    as_of = timezone.localdate()
    if form.is_bound and form.is_valid() and form.cleaned_data["as_of"]:
        as_of = form.cleaned_data["as_of"]
    elif not form.is_bound:
        form = AsOfForm(initial={"as_of": as_of})
    data = selectors.network(user=user, as_of=as_of)
    nodes, edges = data["nodes"], data["edges"]
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=Group._meta.label_lower,
        object_ids=[node["id"] for node in nodes],
        purpose=PURPOSE,
        detail={"view": "network", "as_of": as_of.isoformat(), "relations": [edge["id"] for edge in edges]},
    )
    names = {node["id"]: node["name"] for node in nodes}
    group_url = url_for_each("mapping:group-detail")
    statuses, kinds = translated_labels(GroupStatus), translated_labels(RelationKind)
    intensities = translated_labels(Intensity)
    context = {
        "form": form,
        "as_of": as_of,
        "nodes": [{**node, "url": group_url(node["id"]), "status_label": statuses[node["status"]]} for node in nodes],
        "edges": [
            {
                **edge,
                "source_name": names.get(edge["source"], ""),
                "target_name": names.get(edge["target"], ""),
                "source_url": group_url(edge["source"]),
                "target_url": group_url(edge["target"]),
                "kind_label": kinds[edge["kind"]],
                "intensity_label": intensities[edge["intensity"]],
            }
            for edge in edges
        ],
        "crumbs": [(None, _("Network map"))],
    }
    return render(request, "mapping/network.html", context)
