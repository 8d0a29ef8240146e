from django.urls import path

from interventions.views import calendar, callins, invitations, notifications, responses, rounds

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
    # Enforcement rounds and their actions (rounds.py)
    path("rounds/", rounds.round_list, name="round-list"),
    path("rounds/new/", rounds.round_create, name="round-create"),
    path("rounds/<int:pk>/", rounds.round_detail, name="round-detail"),
    path("rounds/<int:pk>/edit/", rounds.round_edit, name="round-edit"),
    path("rounds/<int:pk>/end/", rounds.round_end, name="round-end"),
    path("rounds/<int:pk>/actions/new/", rounds.action_add, name="action-add"),
    path("rounds/actions/<int:pk>/edit/", rounds.action_edit, name="action-edit"),
    path("rounds/actions/<int:pk>/remove/", rounds.action_remove, name="action-remove"),
    path("rounds/actions/<int:pk>/result/", rounds.action_result, name="action-result"),
    # The response after an incident, its tasks, the routine and the incident review (responses.py)
    path("incidents/", responses.incident_review, name="incident-review"),
    path("incidents/<int:incident_pk>/respond/", responses.response_open, name="response-open"),
    path("responses/", responses.response_list, name="response-list"),
    path("responses/<int:pk>/", responses.response_detail, name="response-detail"),
    path("responses/<int:pk>/edit/", responses.response_edit, name="response-edit"),
    path("responses/<int:pk>/close/", responses.response_close, name="response-close"),
    path("responses/<int:pk>/tasks/new/", responses.task_add, name="task-add"),
    path("responses/tasks/<int:pk>/assign/", responses.task_assign, name="task-assign"),
    path("responses/tasks/<int:pk>/resolve/", responses.task_resolve, name="task-resolve"),
    path("responses/routine/", responses.routine, name="routine"),
    path("responses/routine/standard/", responses.routine_standard, name="routine-standard"),
    path("responses/routine/new/", responses.routine_add, name="routine-add"),
    path("responses/routine/<int:pk>/edit/", responses.routine_edit, name="routine-edit"),
    path("responses/routine/<int:pk>/remove/", responses.routine_remove, name="routine-remove"),
    # The calendar and the iCal feed (calendar.py); the feed's address is its own credential
    path("calendar/", calendar.calendar, name="calendar"),
    path("calendar/feed/", calendar.calendar_feed, name="calendar-feed"),
    path("calendar/<str:token>.ics", calendar.calendar_ics, name="calendar-ics"),
]
