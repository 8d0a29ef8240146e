from django.urls import path

from cases.views import merge, parts, persons, sections, sharing, subject_access, timeline

app_name = "cases"

urlpatterns = [
    path("", persons.person_list, name="person-list"),
    path("new/", persons.person_create, name="person-create"),
    path("<int:pk>/", persons.person_detail, name="person-detail"),
    path("<int:pk>/edit/", persons.person_edit, name="person-edit"),
    path("<int:pk>/timeline/", timeline.person_timeline, name="person-timeline"),
    path("<int:pk>/merge/", merge.person_merge, name="person-merge"),
    # Subject access exports (registerutdrag): draft, secrecy review, release (cases/views/subject_access.py)
    path("<int:pk>/subject-access/new/", subject_access.export_create, name="subject-access-create"),
    path("subject-access/<int:pk>/", subject_access.export_review, name="subject-access-review"),
    path("subject-access/<int:pk>/release/", subject_access.export_release, name="subject-access-release"),
    path("subject-access/<int:pk>/download/<str:fmt>/", subject_access.export_download, name="subject-access-download"),
    # Photo, aliases, guardians, consents (cases/views/parts.py)
    path("<int:pk>/photo/", parts.person_photo, name="person-photo"),
    path("<int:pk>/photo/edit/", parts.person_photo_edit, name="person-photo-edit"),
    path("<int:pk>/aliases/add/", parts.alias_add, name="alias-add"),
    path("aliases/<int:pk>/remove/", parts.alias_remove, name="alias-remove"),
    path("<int:pk>/guardians/add/", parts.guardian_add, name="guardian-add"),
    path("guardians/<int:pk>/remove/", parts.guardian_remove, name="guardian-remove"),
    path("<int:pk>/consents/new/", parts.consent_create, name="consent-create"),
    path("consents/<int:pk>/", parts.consent_detail, name="consent-detail"),
    path("consents/<int:pk>/document/", parts.consent_document, name="consent-document"),
    path("consents/<int:pk>/revoke/", parts.consent_revoke, name="consent-revoke"),
    # Agency sections and journal notes (cases/views/sections.py)
    path("<int:pk>/sections/<str:kind>/new/", sections.section_create, name="section-create"),
    path("sections/<str:kind>/<int:pk>/", sections.section_detail, name="section-detail"),
    path("sections/<str:kind>/<int:pk>/edit/", sections.section_edit, name="section-edit"),
    path("sections/<str:kind>/<int:pk>/notes/", sections.note_add, name="note-add"),
    # Shares and reports of concern (cases/views/sharing.py)
    path("<int:pk>/shares/new/", sharing.share_create, name="share-create"),
    path("shares/received/", sharing.shares_received, name="shares-received"),
    path("shares/<int:pk>/", sharing.share_detail, name="share-detail"),
    path("shares/<int:pk>/revoke/", sharing.share_revoke, name="share-revoke"),
    path("shares/<int:pk>/link/", sharing.share_link, name="share-link"),
    path("<int:pk>/concern/new/", sharing.concern_create, name="concern-create"),
    path("concerns/", sharing.concern_list, name="concern-list"),
    path("concerns/<int:pk>/", sharing.concern_detail, name="concern-detail"),
    path("concerns/<int:pk>/receive/", sharing.concern_receive, name="concern-receive"),
    path("concerns/<int:pk>/assess/", sharing.concern_assess, name="concern-assess"),
]
