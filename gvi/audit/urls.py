from django.urls import path

from gvi.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.event_list, name="event-list"),
    path("export.csv", views.event_export, name="event-export"),
    path("log-review/", views.log_review, name="log-review"),
    path("log-review/<slug:kind>/", views.log_review_check, name="log-review-check"),
    path("log-review/<slug:kind>/<int:event_id>/", views.log_review_finding, name="log-review-finding"),
    path("access-review/", views.access_review_page, name="access-review"),
    path("access-review/revoke/", views.access_review_revoke, name="access-review-revoke"),
]
