"""The exit program's timeline items for a person: exit cases opened and closed, contacts, threat assessments
and support measures. Read through the access policy (the police see none of it); four queries whatever the
number of items, none for a role that may not see exit cases. Relatives are other people: not on the
person's timeline."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gvi import access
from gvi.accounts.models import Staff
from gvi.timeline import TimelineItem, register_timeline_provider, start_of_day
from outreach.models import Contact, ExitCase, SupportMeasure, ThreatAssessment

EXIT = "exit"
CATEGORIES = {EXIT: gettext_lazy("Exit program")}


def exit_items(user: Staff, person_ids: Sequence[int]) -> list[TimelineItem]:
    if not access.role_allows(user, "view", ExitCase):
        return []
    cases = {c.pk: c for c in access.visible(user, ExitCase).filter(person_id__in=person_ids)}
    if not cases:
        return []
    return [*_cases(cases), *_contacts(user, cases), *_threats(user, cases), *_measures(user, cases)]


def _url(case: ExitCase) -> str:
    return reverse("outreach:case-detail", args=[case.pk])


def _item(case: ExitCase, key: str, day: object, title: str, detail: str = "") -> TimelineItem:
    return TimelineItem(
        key=key,
        when=start_of_day(day),  # type: ignore[arg-type]
        date_only=True,
        category=EXIT,
        title=title,
        detail=detail,
        url=_url(case),
        owner_agency_id=case.owner_agency_id,
        person_id=case.person_id,
    )


def _cases(cases: dict[int, ExitCase]) -> Iterator[TimelineItem]:
    for case in cases.values():
        key = f"{ExitCase._meta.label_lower}:{case.pk}"
        yield _item(case, f"{key}:opened", case.opened_on, _("Exit case opened"))
        if case.closed_on is not None:
            yield _item(
                case,
                f"{key}:closed",
                case.closed_on,
                _("Exit case closed: %(outcome)s") % {"outcome": case.get_outcome_display()},
                case.closing_note,
            )


def _contacts(user: Staff, cases: dict[int, ExitCase]) -> Iterator[TimelineItem]:
    for contact in access.visible(user, Contact).filter(exit_case_id__in=cases):
        yield _item(
            cases[contact.exit_case_id],
            f"{Contact._meta.label_lower}:{contact.pk}",
            contact.contact_on,
            _("Contact (%(channel)s, %(minutes)s min)")
            % {"channel": contact.get_channel_display(), "minutes": contact.duration_minutes},
            contact.note,
        )


def _threats(user: Staff, cases: dict[int, ExitCase]) -> Iterator[TimelineItem]:
    for assessment in access.visible(user, ThreatAssessment).filter(exit_case_id__in=cases):
        yield _item(
            cases[assessment.exit_case_id],
            f"{ThreatAssessment._meta.label_lower}:{assessment.pk}",
            assessment.assessed_on,
            _("Threat assessment: %(level)s") % {"level": assessment.get_level_display()},
            assessment.summary,
        )


def _measures(user: Staff, cases: dict[int, ExitCase]) -> Iterator[TimelineItem]:
    # The person's own measures; a relative's measures belong to the relative.
    for measure in access.visible(user, SupportMeasure).filter(exit_case_id__in=cases, relative__isnull=True):
        yield _item(
            cases[measure.exit_case_id],
            f"{SupportMeasure._meta.label_lower}:{measure.pk}",
            measure.starts_on,
            _("Support measure: %(kind)s (%(status)s)")
            % {"kind": measure.get_kind_display(), "status": measure.get_status_display()},
            measure.provider,
        )


def register() -> None:
    register_timeline_provider("outreach", exit_items, categories=CATEGORIES)
