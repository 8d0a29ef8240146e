"""The API's routes: every app's viewsets on one router, plus the schema and its offline docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from cases.api import (
    AliasViewSet,
    ConcernViewSet,
    ConsentViewSet,
    GuardianViewSet,
    PersonViewSet,
    PoliceSectionViewSet,
    ProbationSectionViewSet,
    ShareViewSet,
    SocialSectionViewSet,
)
from cases.api.merge import PersonMergeView
from cases.api.search import PersonSearchView
from cases.api.subject_access import SubjectAccessViewSet
from cases.api.timeline import PersonTimelineView
from gvi.accounts.emergency_api import EmergencyAccessViewSet
from gvi.api import api_not_found
from gvi.audit.api import (  # log review and access review
    AccessReviewRevokeView,
    AccessReviewView,
    LogReviewChecksView,
    LogReviewFindingsView,
    LogReviewFindingView,
)
from gvi.mapping.api import GroupViewSet, IncidentViewSet, MembershipViewSet, NetworkView, RelationViewSet
from gvi.notifications.api import NotificationViewSet
from gvi.retention.api import DueView, LegalHoldViewSet, RuleDetailView, RuleListView
from interventions.api import (
    CalendarEventViewSet,
    CallInViewSet,
    CustomNotificationViewSet,
    EnforcementActionViewSet,
    EnforcementRoundViewSet,
    IncidentResponseViewSet,
    InvitationViewSet,
    ResponseTaskViewSet,
    RoutineItemViewSet,
    SpeakerViewSet,
)
from outreach.api import (
    CaseloadView,
    ContactViewSet,
    ExitCaseViewSet,
    ReferralViewSet,
    RelativeViewSet,
    SupportMeasureViewSet,
    ThreatAssessmentViewSet,
)
from reports.api import IndicatorViewSet, ReportPlanView, ReportViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("persons", PersonViewSet, basename="person")
router.register("aliases", AliasViewSet, basename="personalias")
router.register("guardians", GuardianViewSet, basename="guardian")
router.register("sections/police", PoliceSectionViewSet, basename="policesection")
router.register("sections/social", SocialSectionViewSet, basename="socialsection")
router.register("sections/probation", ProbationSectionViewSet, basename="probationsection")
router.register("subject-access", SubjectAccessViewSet, basename="subjectaccessexport")
router.register("consents", ConsentViewSet, basename="consent")
router.register("shares", ShareViewSet, basename="share")
router.register("concerns", ConcernViewSet, basename="concernreport")
router.register("groups", GroupViewSet, basename="group")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("relations", RelationViewSet, basename="relation")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("exit-cases", ExitCaseViewSet, basename="exitcase")
router.register("contacts", ContactViewSet, basename="contact")
router.register("threat-assessments", ThreatAssessmentViewSet, basename="threatassessment")
router.register("relatives", RelativeViewSet, basename="relative")
router.register("measures", SupportMeasureViewSet, basename="supportmeasure")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("call-ins", CallInViewSet, basename="callin")
router.register("speakers", SpeakerViewSet, basename="speaker")
router.register("invitations", InvitationViewSet, basename="callininvitation")
router.register("custom-notifications", CustomNotificationViewSet, basename="customnotification")
router.register("enforcement-rounds", EnforcementRoundViewSet, basename="enforcementround")
router.register("enforcement-actions", EnforcementActionViewSet, basename="enforcementaction")
router.register("incident-responses", IncidentResponseViewSet, basename="incidentresponse")
router.register("response-tasks", ResponseTaskViewSet, basename="responsetask")
router.register("response-routine", RoutineItemViewSet, basename="responsetemplateitem")
router.register("calendar-events", CalendarEventViewSet, basename="calendarevent")
router.register("reports", ReportViewSet, basename="report")
router.register("report-indicators", IndicatorViewSet, basename="reportindicator")
router.register("emergency-accesses", EmergencyAccessViewSet, basename="emergencyaccess")
router.register("legal-holds", LegalHoldViewSet, basename="legalhold")

app_name = "api"

urlpatterns = [
    # Before the router: "persons/search/" is not a person id.
    path("persons/search/", PersonSearchView.as_view(), name="person-search"),
    path("persons/<int:pk>/timeline/", PersonTimelineView.as_view(), name="person-timeline"),
    path("persons/<int:pk>/merge/", PersonMergeView.as_view(), name="person-merge"),
    path("caseload/", CaseloadView.as_view(), name="caseload"),
    path("report-plan/", ReportPlanView.as_view(), name="report-plan"),
    path("retention/rules/", RuleListView.as_view(), name="retention-rules"),
    path("retention/rules/<slug:category>/", RuleDetailView.as_view(), name="retention-rule"),
    path("retention/due/<slug:category>/", DueView.as_view(), name="retention-due"),
    # --- log review and access review (gvi/audit/api.py) ---
    path("log-review/", LogReviewChecksView.as_view(), name="log-review"),
    path("log-review/<slug:kind>/", LogReviewFindingsView.as_view(), name="log-review-check"),
    path("log-review/<slug:kind>/<int:event_id>/", LogReviewFindingView.as_view(), name="log-review-finding"),
    path("access-review/", AccessReviewView.as_view(), name="access-review"),
    path("access-review/revoke/", AccessReviewRevokeView.as_view(), name="access-review-revoke"),
    # --- end log review ---
    path("", include(router.urls)),
    path("mapping/network/", NetworkView.as_view(), name="mapping-network"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # --- last: any other address ending in "/" answers 404 as JSON (gvi/api.py api_not_found) ---
    re_path(r"^[\s\S]*/$", api_not_found),
]
