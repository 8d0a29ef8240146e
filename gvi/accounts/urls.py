from django.urls import path

from gvi.accounts import emergency_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("enrol/", views.enrol_view, name="enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("tokens/", views.api_tokens_view, name="api-tokens"),
    path("tokens/<int:pk>/revoke/", views.api_token_revoke_view, name="api-token-revoke"),
    # Emergency access (gvi/accounts/emergency.py)
    path("emergency/", emergency_views.emergency_open, name="emergency-open"),
    path("emergency/mine/", emergency_views.emergency_list, name="emergency-list"),
]
