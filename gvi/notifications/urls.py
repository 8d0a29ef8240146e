from django.urls import path

from gvi.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    # The unread count in the header, loaded by htmx after the page (no query on every page).
    path("unread/", views.unread_badge, name="unread"),
    path("<int:pk>/open/", views.notification_open, name="open"),
    path("read-all/", views.read_all, name="read-all"),
]
