from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    # The archive and ordering (views.py)
    path("", views.report_list, name="list"),
    path("order/", views.report_order, name="order"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/status/", views.report_status, name="status"),
    path("<int:pk>/retry/", views.report_retry, name="retry"),
    path("<int:pk>/rebuild/", views.report_rebuild, name="rebuild"),
    path("<int:pk>/pdf/", views.report_pdf, name="pdf"),
    path("<int:pk>/csv/", views.report_csv, name="csv"),
    path("<int:pk>/xlsx/", views.report_xlsx, name="xlsx"),
    # Indicators and the report plan
    path("indicators/", views.indicator_list, name="indicator-list"),
    path("indicators/new/", views.indicator_create, name="indicator-create"),
    path("indicators/<int:pk>/edit/", views.indicator_edit, name="indicator-edit"),
    path("indicators/<int:pk>/delete/", views.indicator_delete, name="indicator-delete"),
    path("plan/", views.plan_edit, name="plan"),
]
