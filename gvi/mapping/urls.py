from django.urls import path

from gvi.mapping.views import groups, imports, incidents, network

app_name = "mapping"

urlpatterns = [
    # Groups, their members and relations
    path("groups/", groups.group_list, name="group-list"),
    path("groups/new/", groups.group_create, name="group-create"),
    path("groups/<int:pk>/", groups.group_detail, name="group-detail"),
    path("groups/<int:pk>/edit/", groups.group_edit, name="group-edit"),
    path("groups/<int:pk>/members/new/", groups.membership_create, name="membership-create"),
    path("memberships/<int:pk>/edit/", groups.membership_edit, name="membership-edit"),
    path("memberships/<int:pk>/reconfirm/", groups.membership_reconfirm, name="membership-reconfirm"),
    path("groups/<int:pk>/relations/new/", groups.relation_create, name="relation-create"),
    path("relations/<int:pk>/edit/", groups.relation_edit, name="relation-edit"),
    path("reviews/", groups.reviews_due, name="reviews-due"),
    # Incidents
    path("incidents/", incidents.incident_list, name="incident-list"),
    path("incidents/new/", incidents.incident_create, name="incident-create"),
    path("incidents/<int:pk>/", incidents.incident_detail, name="incident-detail"),
    path("incidents/<int:pk>/edit/", incidents.incident_edit, name="incident-edit"),
    path("incidents/<int:pk>/involvements/new/", incidents.involvement_create, name="involvement-create"),
    path("involvements/<int:pk>/delete/", incidents.involvement_delete, name="involvement-delete"),
    # The network map
    path("network/", network.network_page, name="network"),
    # Import and export
    path("import/incidents/", imports.import_incidents, name="import-incidents"),
    path("import/memberships/", imports.import_memberships, name="import-memberships"),
    path("export/incidents.<str:fmt>", imports.export_incidents, name="export-incidents"),
    path("export/memberships.<str:fmt>", imports.export_memberships, name="export-memberships"),
]
