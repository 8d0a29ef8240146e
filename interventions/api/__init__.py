"""Call-ins, invitations and custom notifications over the API (DRF).

callins: call-ins, their speakers, inviting, attendance and counts · invitations: invitations, the
probation officer's confirmation, help and referral, letters · notifications: custom notifications and their
transitions · base: what they share.
"""

from interventions.api.callins import CallInViewSet, SpeakerViewSet
from interventions.api.invitations import InvitationViewSet
from interventions.api.notifications import CustomNotificationViewSet

__all__ = ["CallInViewSet", "CustomNotificationViewSet", "InvitationViewSet", "SpeakerViewSet"]
