"""Every write to the exit program. Keyword-only, atomic, policy-checked, audited in the same transaction.

referrals: referrals and the consent gate · cases: exit cases, contacts, threat assessments, relatives,
support measures · reminders: the beat task's notifications.
"""

from outreach.services.cases import (
    contact_log,
    contact_update,
    exit_case_close,
    exit_case_open,
    exit_case_reassign,
    exit_case_update,
    measure_add,
    measure_update,
    relative_add,
    relative_contact_visible,
    relative_update,
    relocation_place_visible,
    threat_assess,
)
from outreach.services.referrals import (
    referral_assess,
    referral_create,
    referral_decide,
    referral_open_case,
    referral_receivers,
)
from outreach.services.reminders import reminders_send

__all__ = [
    "contact_log",
    "contact_update",
    "exit_case_close",
    "exit_case_open",
    "exit_case_reassign",
    "exit_case_update",
    "measure_add",
    "measure_update",
    "referral_assess",
    "referral_create",
    "referral_decide",
    "referral_open_case",
    "referral_receivers",
    "relative_add",
    "relative_contact_visible",
    "relative_update",
    "relocation_place_visible",
    "reminders_send",
    "threat_assess",
]
