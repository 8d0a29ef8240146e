from django.urls import path

from outreach.views import caseload, cases, entries, referrals

app_name = "outreach"

urlpatterns = [
    # The social worker's day: own cases, overdue follow-ups; the coordinator's view of the team (caseload.py)
    path("", caseload.caseload, name="caseload"),
    # Referrals and the consent gate (referrals.py)
    path("referrals/", referrals.referral_list, name="referral-list"),
    path("referrals/sent/", referrals.referral_sent, name="referral-sent"),
    path("referrals/new/<int:person_pk>/", referrals.referral_create, name="referral-create"),
    path("referrals/<int:pk>/", referrals.referral_detail, name="referral-detail"),
    path("referrals/<int:pk>/assess/", referrals.referral_assess, name="referral-assess"),
    path("referrals/<int:pk>/decide/", referrals.referral_decide, name="referral-decide"),
    path("referrals/<int:pk>/open-case/", referrals.referral_open_case, name="referral-open-case"),
    # Exit cases (cases.py)
    path("cases/", cases.case_list, name="case-list"),
    path("cases/<int:pk>/", cases.case_detail, name="case-detail"),
    path("cases/<int:pk>/phase/", cases.case_phase, name="case-phase"),
    path("cases/<int:pk>/close/", cases.case_close, name="case-close"),
    path("cases/<int:pk>/reassign/", caseload.case_reassign, name="case-reassign"),
    # Contacts, threat assessments, relatives, support measures (entries.py)
    path("cases/<int:pk>/contacts/new/", entries.contact_create, name="contact-create"),
    path("contacts/<int:pk>/edit/", entries.contact_edit, name="contact-edit"),
    path("cases/<int:pk>/threats/new/", entries.threat_create, name="threat-create"),
    path("cases/<int:pk>/relatives/new/", entries.relative_create, name="relative-create"),
    path("relatives/<int:pk>/", entries.relative_detail, name="relative-detail"),
    path("relatives/<int:pk>/edit/", entries.relative_edit, name="relative-edit"),
    path("cases/<int:pk>/measures/new/", entries.measure_create, name="measure-create"),
    path("measures/<int:pk>/edit/", entries.measure_edit, name="measure-edit"),
]
