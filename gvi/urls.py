from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from gvi import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("gvi.accounts.urls")),
    path("audit/", include("gvi.audit.urls")),
    path("persons/", include("cases.urls")),
    path("mapping/", include("gvi.mapping.urls")),
    path("outreach/", include("outreach.urls")),
    path("interventions/", include("interventions.urls")),
    path("notifications/", include("gvi.notifications.urls")),
    path("reports/", include("reports.urls")),
    path("retention/", include("gvi.retention.urls")),
    path("api/", include("gvi.api_urls")),
    path("admin/", admin.site.urls),
]
