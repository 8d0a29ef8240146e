"""Every write to call-ins and custom notifications. Keyword-only, atomic, policy-checked, audited.

callins: call-ins, speakers, invitations, attendance, letters, follow-up referrals · notifications: the
custom notification's transitions.
"""

from interventions.services.callins import (
    attendance_record,
    call_in_create,
    call_in_set_status,
    call_in_update,
    invitation_candidates,
    invitation_confirm,
    invitation_help,
    invitation_refer,
    invitation_set_status,
    invitations_create,
    letters_printed,
    speaker_add,
    speaker_remove,
)
from interventions.services.notifications import (
    may,
    notification_assess,
    notification_cancel,
    notification_follow_up,
    notification_plan,
    notification_record_outcome,
    notification_request,
)

__all__ = [
    "attendance_record",
    "call_in_create",
    "call_in_set_status",
    "call_in_update",
    "invitation_candidates",
    "invitation_confirm",
    "invitation_help",
    "invitation_refer",
    "invitation_set_status",
    "invitations_create",
    "letters_printed",
    "may",
    "notification_assess",
    "notification_cancel",
    "notification_follow_up",
    "notification_plan",
    "notification_record_outcome",
    "notification_request",
    "speaker_add",
    "speaker_remove",
]
