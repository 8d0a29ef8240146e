"""What each number of the reports means: one definition per metric key of reports/metrics.py, written once and
used by the PDF's appendix, the exports and the README. Source strings are English; the Swedish catalogue
translates them.

Periods are whole days in Swedish local time: a date or a moment counts in a period when it falls on one of its
days. Every count covers the program's own records only, as far as the reader's role may count them
(access.countable).

Not counted: consents (cases.Consent). A consent is part of the person's record at the agency that holds it,
and the access policy gives no role "count" on it (gvi/access.py `_COUNTS`: root records, memberships, contacts
and measures only), so a report cannot count it without opening the agencies' person records. Referrals that
rest on consent are counted with the referrals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_stubs_ext import StrOrPromise

from reports.suppression import MISSING_MARK, PRIMARY_MARK, WITHHELD_MARK


@dataclass(frozen=True)
class Definition:
    title: StrOrPromise
    text: StrOrPromise


DEFINITIONS: Final[Mapping[str, Definition]] = {
    # Incidents (public statistics)
    "incidents.total": Definition(
        _("Incidents"),
        _(
            "Shootings, explosions and other grave violence on the program's group map that occurred in the period, "
            "as recorded by the police."
        ),
    ),
    "incidents.shootings": Definition(_("Shootings"), _("Shootings that occurred in the period.")),
    "incidents.explosions": Definition(_("Explosions"), _("Explosions and blasts that occurred in the period.")),
    "incidents.other": Definition(
        _("Other grave violence"),
        _("Other grave violence (neither a shooting nor an explosion) that occurred in the period."),
    ),
    "incidents.killed": Definition(_("Killed"), _("People killed in the incidents of the period.")),
    "incidents.injured": Definition(_("Injured"), _("People injured in the incidents of the period.")),
    "incidents.gmi_share": Definition(
        _("Share GMI"),
        _(
            "Share of the period's incidents in which members of mapped groups took part, confirmed or suspected "
            "(group-member involved), in per cent with one decimal. No value when there were no incidents."
        ),
    ),
    # Call-ins
    "callins.held": Definition(_("Call-ins held"), _("Call-ins held on a day in the period.")),
    "callins.invited": Definition(
        pgettext_lazy("metric: persons invited to call-ins", "Invited"),
        _("Invitations to the call-ins held in the period, one per person and call-in. A count of persons."),
    ),
    "callins.attended": Definition(
        _("Attended"), _("Invitees of the call-ins held in the period who attended to the end. A count of persons.")
    ),
    "callins.left_early": Definition(
        _("Left early"), _("Invitees of the call-ins held in the period who came but left early. A count of persons.")
    ),
    "callins.absent": Definition(
        _("Absent"), _("Invitees of the call-ins held in the period who did not come. A count of persons.")
    ),
    "callins.not_recorded": Definition(
        _("Attendance not recorded"),
        _("Invitees of the call-ins held in the period whose attendance has not been recorded. A count of persons."),
    ),
    # Custom notifications
    "notifications.outcomes": Definition(
        _("Custom notifications with an outcome"),
        _("Custom notifications whose outcome was recorded in the period, whatever the outcome. A count of persons."),
    ),
    "notifications.delivered": Definition(
        _("Delivered"), _("Custom notifications delivered in the period. A count of persons.")
    ),
    "notifications.not_found": Definition(
        _("Not found"),
        _(
            "Custom notifications recorded in the period as not delivered: the person was not found. "
            "A count of persons."
        ),
    ),
    "notifications.refused": Definition(
        _("Refused"),
        _("Custom notifications recorded in the period as refused by the person. A count of persons."),
    ),
    "notifications.reached": Definition(
        _("Unique persons reached"),
        _(
            "Different persons with a custom notification delivered or refused in the period (refused: they were "
            "reached). A person notified twice counts once."
        ),
    ),
    "notifications.median_days": Definition(
        _("Median days from request to contact"),
        _(
            "For the custom notifications whose first contact with the person (delivered or refused) fell in the "
            "period: the median time from the request to that contact, in days with one decimal. Not shown when "
            "fewer than 5 persons were contacted; no value when none were."
        ),
    ),
    # The exit program
    "exit.referrals": Definition(
        _("Referrals"),
        _("Referrals to the exit program received in the period, from every source. A count of persons."),
    ),
    "exit.referrals.police": Definition(
        _("Referrals from the police"), _("Referrals received in the period from the police. A count of persons.")
    ),
    "exit.referrals.probation": Definition(
        _("Referrals from Kriminalvården"),
        _("Referrals received in the period from Kriminalvården. A count of persons."),
    ),
    "exit.referrals.social_services": Definition(
        _("Referrals from social services"),
        _("Referrals received in the period from the municipality's own social services. A count of persons."),
    ),
    "exit.referrals.school": Definition(
        _("Referrals from schools"), _("Referrals received in the period from a school. A count of persons.")
    ),
    "exit.referrals.self": Definition(
        _("Self-referrals"), _("Persons who referred themselves in the period. A count of persons.")
    ),
    "exit.referrals.other": Definition(
        _("Referrals from others"), _("Referrals received in the period from any other referrer. A count of persons.")
    ),
    "exit.active_at_start": Definition(
        _("Exit cases open at the start"),
        _("Exit cases opened before the period's first day and not closed before it. A count of persons."),
    ),
    "exit.intakes": Definition(
        _("Intakes"), _("Exit cases opened in the period (intake into the exit program). A count of persons.")
    ),
    "exit.closed": Definition(
        _("Exit cases closed"), _("Exit cases closed in the period, whatever the outcome. A count of persons.")
    ),
    "exit.closed.completed": Definition(
        _("Completed"), _("Exit cases closed in the period with the outcome completed. A count of persons.")
    ),
    "exit.closed.dropped_out": Definition(
        _("Dropped out"), _("Exit cases closed in the period because the person dropped out. A count of persons.")
    ),
    "exit.closed.relapsed": Definition(
        _("Relapsed"), _("Exit cases closed in the period because the person relapsed. A count of persons.")
    ),
    "exit.closed.moved_away": Definition(
        _("Moved away"), _("Exit cases closed in the period because the person moved away. A count of persons.")
    ),
    "exit.closed.deceased": Definition(
        _("Deceased"), _("Exit cases closed in the period because the person died. A count of persons.")
    ),
    "exit.active": Definition(
        _("Active exit cases"),
        _(
            "Exit cases open at the end of the period: opened on or before its last day and not closed by then. "
            "Open at the start + intakes - closed = open at the end. A count of persons."
        ),
    ),
    "exit.relocations": Definition(
        _("Relocations"),
        _(
            "Relocations of a person in the exit program, or of a relative, with a moving date in the period; a "
            "cancelled relocation does not count. A count of persons."
        ),
    ),
    "exit.contacts": Definition(
        _("Contacts"),
        _(
            "Contacts with persons in the exit program on a day in the period. Each concerns one person, so small "
            "numbers are suppressed like counts of persons."
        ),
    ),
    "exit.contacts.meeting": Definition(_("Contacts: meeting"), _("Contacts in the period held as a meeting.")),
    "exit.contacts.phone": Definition(_("Contacts: phone"), _("Contacts in the period by phone.")),
    "exit.contacts.home_visit": Definition(_("Contacts: home visit"), _("Contacts in the period on a home visit.")),
    "exit.contacts.in_prison": Definition(_("Contacts: in prison"), _("Contacts in the period held in prison.")),
    "exit.contacts.digital": Definition(_("Contacts: digital"), _("Contacts in the period held digitally.")),
    # Enforcement rounds (public statistics of the program's own work)
    "enforcement.rounds_started": Definition(
        _("Enforcement rounds started"), _("Enforcement rounds against a group started in the period.")
    ),
    "enforcement.rounds_ended": Definition(
        _("Enforcement rounds ended"), _("Enforcement rounds ended in the period, with their evaluation.")
    ),
    "enforcement.actions": Definition(
        _("Enforcement actions"), _("Actions of enforcement rounds carried out (done) on a day in the period.")
    ),
    "enforcement.actions.police": Definition(
        _("Actions by the police"), _("Enforcement actions carried out in the period by the police.")
    ),
    "enforcement.actions.prison_service": Definition(
        _("Actions by Kriminalvården"),
        _("Enforcement actions carried out in the period by Kriminalvården (e.g. tightened supervision)."),
    ),
    "enforcement.actions.outside": Definition(
        _("Actions by outside authorities"),
        _(
            "Enforcement actions carried out in the period by an authority outside the program "
            "(e.g. Kronofogden, Skatteverket)."
        ),
    ),
    # Responses after incidents (public statistics of the program's own work)
    "responses.opened": Definition(
        _("Responses after incidents"),
        _("Responses opened in the period after an incident (a shooting, an explosion or other grave violence)."),
    ),
    "responses.tasks": Definition(
        _("Response tasks"), _("The tasks of the responses opened in the period, whatever their state.")
    ),
    "responses.tasks.on_time": Definition(
        _("Tasks done on time"), _("Tasks of the period's responses marked done by their deadline.")
    ),
    "responses.tasks.late": Definition(
        _("Tasks done late"), _("Tasks of the period's responses marked done after their deadline.")
    ),
    "responses.tasks.overdue": Definition(
        _("Tasks open past the deadline"),
        _(
            "Tasks of the period's responses still open whose deadline had passed at the end of the period (or, "
            "for a period that has not ended, when the report was made)."
        ),
    ),
    "responses.tasks.pending": Definition(
        _("Tasks not yet due"), _("Tasks of the period's responses still open whose deadline had not yet passed.")
    ),
    "responses.tasks.not_needed": Definition(
        _("Tasks not needed"), _("Tasks of the period's responses marked not needed, with the reason.")
    ),
}

# What the marks in a report's tables mean (the appendix shows them with the definitions).
LEGEND: Final[Mapping[str, StrOrPromise]] = {
    PRIMARY_MARK: _("1 to 4 persons: small numbers are not shown, so that nobody can be singled out."),
    WITHHELD_MARK: _(
        "Withheld so that a number shown as <5 cannot be worked out from a total, a sum, a change or the "
        "quarterly reports; also a median over fewer than 5 persons."
    ),
    MISSING_MARK: _("No value: a share or a median of nothing."),
}
