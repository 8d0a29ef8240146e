"""The exit program over the API (DRF): referrals, exit cases and caseloads, and the rows of a case.

referrals: referrals and the consent gate · cases: exit cases and the caseload · entries: contacts,
threat assessments, relatives and support measures · base: what they share.
"""

from outreach.api.cases import CaseloadView, ExitCaseViewSet
from outreach.api.entries import ContactViewSet, RelativeViewSet, SupportMeasureViewSet, ThreatAssessmentViewSet
from outreach.api.referrals import ReferralViewSet

__all__ = [
    "CaseloadView",
    "ContactViewSet",
    "ExitCaseViewSet",
    "ReferralViewSet",
    "RelativeViewSet",
    "SupportMeasureViewSet",
    "ThreatAssessmentViewSet",
]
