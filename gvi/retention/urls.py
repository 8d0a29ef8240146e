from django.urls import path

from gvi.retention import views

app_name = "retention"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("rules/<slug:category>/", views.rule_edit, name="rule-edit"),
    path("due/<slug:category>/", views.due, name="due"),
    path("holds/", views.hold_list, name="hold-list"),
    path("holds/new/<slug:category>/<int:pk>/", views.hold_place, name="hold-place"),
    path("holds/<int:pk>/lift/", views.hold_lift, name="hold-lift"),
]
