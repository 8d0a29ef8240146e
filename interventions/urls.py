from django.urls import path

from interventions.views import callins, invitations, notifications

app_name = "interventions"

urlpatterns = [
    # Call-ins, speakers, inviting, attendance (callins.py); invitations, letters, follow-up (invitations.py)
    path("", callins.callin_list, name="callin-list"),
    path("new/", callins.callin_create, name="callin-create"),
    path("<int:pk>/", callins.callin_detail, name="callin-detail"),
    path("<int:pk>/edit/", callins.callin_edit, name="callin-edit"),
    path("<int:pk>/status/", callins.callin_status, name="callin-status"),
    path("<int:pk>/speakers/add/", callins.speaker_add, name="speaker-add"),
    path("speakers/<int:pk>/remove/", callins.speaker_remove, name="speaker-remove"),
    path("<int:pk>/invite/", callins.callin_invite, name="callin-invite"),
    path("<int:pk>/attendance/", callins.callin_attendance, name="callin-attendance"),
    path("<int:pk>/letters/", invitations.callin_letters, name="callin-letters"),
    path("invitations/<int:pk>/", invitations.invitation_detail, name="invitation-detail"),
    path("invitations/<int:pk>/status/", invitations.invitation_status, name="invitation-status"),
    path("invitations/<int:pk>/confirm/", invitations.invitation_confirm, name="invitation-confirm"),
    path("invitations/<int:pk>/help/", invitations.invitation_help, name="invitation-help"),
    path("invitations/<int:pk>/refer/", invitations.invitation_refer, name="invitation-refer"),
    path("invitations/<int:pk>/letter/", invitations.invitation_letter, name="invitation-letter"),
    path("clients/", invitations.client_invitations, name="client-invitations"),
    # Custom notifications (notifications.py)
    path("notifications/", notifications.notification_list, name="notification-list"),
    path("notifications/new/<int:person_pk>/", notifications.notification_create, name="notification-create"),
    path("notifications/<int:pk>/", notifications.notification_detail, name="notification-detail"),
    path("notifications/<int:pk>/assess/", notifications.notification_assess, name="notification-assess"),
    path("notifications/<int:pk>/plan/", notifications.notification_plan, name="notification-plan"),
    path("notifications/<int:pk>/outcome/", notifications.notification_outcome, name="notification-outcome"),
    path("notifications/<int:pk>/follow-up/", notifications.notification_follow_up, name="notification-follow-up"),
    path("notifications/<int:pk>/cancel/", notifications.notification_cancel, name="notification-cancel"),
]
