"""Call-ins, invitations and custom notifications over the API (DRF).

callins: call-ins, their speakers, inviting, attendance and counts · invitations: invitations, the
probation officer's confirmation, help and referral, letters · notifications: custom notifications and their
transitions · rounds: enforcement rounds and their actions · responses: responses after incidents, their tasks
and the routine · calendar: the calendar's events · base: what they share.
"""

from interventions.api.calendar import CalendarEventViewSet
from interventions.api.callins import CallInViewSet, SpeakerViewSet
from interventions.api.invitations import InvitationViewSet
from interventions.api.notifications import CustomNotificationViewSet
from interventions.api.responses import IncidentResponseViewSet, ResponseTaskViewSet, RoutineItemViewSet
from interventions.api.rounds import EnforcementActionViewSet, EnforcementRoundViewSet

__all__ = [
    "CalendarEventViewSet",
    "CallInViewSet",
    "CustomNotificationViewSet",
    "EnforcementActionViewSet",
    "EnforcementRoundViewSet",
    "IncidentResponseViewSet",
    "InvitationViewSet",
    "ResponseTaskViewSet",
    "RoutineItemViewSet",
    "SpeakerViewSet",
]
