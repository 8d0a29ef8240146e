"""The numbers of the quarterly and yearly reports (DOMAIN.md step 7, issue 12).

Each metric is a count (or a share, or a median) over one `Period`, computed through `access.countable`
(DESIGN.md rule 1): the program's records that the user may count but not open. A user whose role has no
"count" gets zeros. Functions here return plain numbers, never rows.

Every metric has a stable key (e.g. "incidents.shootings") and a kind: `public` statistics (incidents and the
program's own activities) are shown as they are; counts of `persons` are shown through small-cell suppression
(reports/suppression.py). `ROWS` and `FLOWS` name the sums that hold between metrics, which suppression must
respect. What each key means, in words, is in reports/definitions.py.

The number of queries is fixed (one aggregate per model, plus one for the median), whatever the data size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Final

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone

from gvi import access
from gvi.accounts.models import AgencyKind, Staff
from gvi.dates import EARLIEST, LATEST
from gvi.mapping.models import Gmi, Incident, IncidentKind
from interventions.models import (
    CallIn,
    CustomNotification,
    EnforcementAction,
    EnforcementRound,
    IncidentResponse,
    ResponseTask,
)
from interventions.selectors import attendance_counts
from outreach.models import Contact, ExitCase, Referral, SupportMeasure

Number = int | float | None

# --------------------------------------------------------------------------------------------------
# Periods


def _local_midnight(day: date) -> datetime:
    """The start of a day in the program's time zone (the project's default time zone, not a viewer's)."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def _shift_years(day: date, years: int) -> date:
    """The same day `years` later (or earlier); 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Period:
    """A span of whole days, `first` to `last` inclusive, counted in the program's local time.

    `label` is language-neutral and stable (it can name a file or an archived report): "2025-Q1" for a
    quarter, "2025" for a year, the ISO 8601 interval "2025-01-05/2025-02-10" for any other span.
    """

    first: date
    last: date
    label: str

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise ValueError("a period ends on or after its first day")
        if self.first < EARLIEST or self.last > LATEST:
            raise ValueError(f"a period lies between {EARLIEST} and {LATEST}")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        if quarter not in (1, 2, 3, 4):
            raise ValueError("a quarter is 1, 2, 3 or 4")
        first = date(year, 3 * quarter - 2, 1)
        next_first = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return cls(first, next_first - timedelta(days=1), f"{year}-Q{quarter}")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31), str(year))

    @classmethod
    def between(cls, first: date, last: date) -> Period:
        """Any span of days (a report ordered on demand); a span that is a quarter or a year is named so."""
        for candidate in (cls.year(first.year), *(cls.quarter(first.year, q) for q in (1, 2, 3, 4))):
            if (candidate.first, candidate.last) == (first, last):
                return candidate
        return cls(first, last, f"{first.isoformat()}/{last.isoformat()}")

    @property
    def is_year(self) -> bool:
        return self.first == date(self.first.year, 1, 1) and self.last == date(self.first.year, 12, 31)

    @property
    def quarter_number(self) -> int | None:
        """1–4 when the period is a calendar quarter, else None."""
        q = (self.first.month + 2) // 3
        quarter = Period.quarter(self.first.year, q)
        return q if (quarter.first, quarter.last) == (self.first, self.last) else None

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def starts_at(self) -> datetime:
        """The first moment of the period (aware), for datetime fields: `field__gte=period.starts_at`."""
        return _local_midnight(self.first)

    @property
    def ends_before(self) -> datetime:
        """The first moment after the period (aware), for datetime fields: `field__lt=period.ends_before`."""
        return _local_midnight(self.last + timedelta(days=1))

    def previous(self) -> Period:
        """The period of the same length just before: the previous quarter, the previous year, or as many days."""
        if self.is_year:
            return Period.year(self.first.year - 1)
        q = self.quarter_number
        if q is not None:
            return Period.quarter(self.first.year - 1, 4) if q == 1 else Period.quarter(self.first.year, q - 1)
        last = self.first - timedelta(days=1)
        return Period.between(last - timedelta(days=self.days - 1), last)

    def same_in(self, year: int) -> Period:
        """The same quarter, year or span of days in another year (for the baseline)."""
        if self.is_year:
            return Period.year(year)
        q = self.quarter_number
        if q is not None:
            return Period.quarter(year, q)
        years = year - self.first.year
        return Period.between(_shift_years(self.first, years), _shift_years(self.last, years))

    def quarters(self) -> tuple[Period, ...]:
        """The four quarters of a calendar year; () for any other period."""
        return tuple(Period.quarter(self.first.year, q) for q in (1, 2, 3, 4)) if self.is_year else ()

    def datetimes(self, field: str) -> dict[str, datetime]:
        """Filter arguments for a datetime field within the period."""
        return {f"{field}__gte": self.starts_at, f"{field}__lt": self.ends_before}

    def dates(self, field: str) -> dict[str, tuple[date, date]]:
        """Filter arguments for a date field within the period."""
        return {f"{field}__range": (self.first, self.last)}

    def q_datetimes(self, field: str) -> Q:
        return Q(**self.datetimes(field))

    def q_dates(self, field: str) -> Q:
        return Q(**self.dates(field))


# --------------------------------------------------------------------------------------------------
# The metrics: keys, kinds and the sums between them


class Kind(StrEnum):
    PUBLIC = "public"  # incidents and the program's own activities: never suppressed
    PERSONS = "persons"  # counts of persons (or of events that each concern one person): suppressed


PUBLIC, PERSONS = Kind.PUBLIC, Kind.PERSONS

_ACTORS = ("police", "prison_service", "outside")  # who carried out an enforcement action
_TASK_STATES = ("on_time", "late", "overdue", "pending", "not_needed")
_ATTENDANCE = ("attended", "left_early", "absent", "not_recorded")
_NOTIFICATION_OUTCOMES = tuple(CustomNotification.Outcome.values)
_SOURCES = tuple(Referral.Source.values)
_CLOSINGS = tuple(ExitCase.Outcome.values)
_CHANNELS = tuple(Contact.Channel.values)

# Every metric, in report order, with its kind.
METRIC_KINDS: Final[Mapping[str, Kind]] = {
    "incidents.total": PUBLIC,
    "incidents.shootings": PUBLIC,
    "incidents.explosions": PUBLIC,
    "incidents.other": PUBLIC,
    "incidents.killed": PUBLIC,
    "incidents.injured": PUBLIC,
    "incidents.gmi_share": PUBLIC,
    "callins.held": PUBLIC,
    "callins.invited": PERSONS,
    **{f"callins.{status}": PERSONS for status in _ATTENDANCE},
    "notifications.outcomes": PERSONS,
    **{f"notifications.{outcome}": PERSONS for outcome in _NOTIFICATION_OUTCOMES},
    "notifications.reached": PERSONS,
    "notifications.median_days": PERSONS,
    "exit.referrals": PERSONS,
    **{f"exit.referrals.{source}": PERSONS for source in _SOURCES},
    "exit.active_at_start": PERSONS,
    "exit.intakes": PERSONS,
    "exit.closed": PERSONS,
    **{f"exit.closed.{outcome}": PERSONS for outcome in _CLOSINGS},
    "exit.active": PERSONS,
    "exit.relocations": PERSONS,
    "exit.contacts": PERSONS,
    **{f"exit.contacts.{channel}": PERSONS for channel in _CHANNELS},
    "enforcement.rounds_started": PUBLIC,
    "enforcement.rounds_ended": PUBLIC,
    "enforcement.actions": PUBLIC,
    **{f"enforcement.actions.{actor}": PUBLIC for actor in _ACTORS},
    "responses.opened": PUBLIC,
    "responses.tasks": PUBLIC,
    **{f"responses.tasks.{state}": PUBLIC for state in _TASK_STATES},
}

# A total and the parts that add up to it exactly (a reader can subtract: see suppression.py).
ROWS: Final[Mapping[str, tuple[str, ...]]] = {
    "incidents.total": ("incidents.shootings", "incidents.explosions", "incidents.other"),
    "callins.invited": tuple(f"callins.{status}" for status in _ATTENDANCE),
    "notifications.outcomes": tuple(f"notifications.{outcome}" for outcome in _NOTIFICATION_OUTCOMES),
    "exit.referrals": tuple(f"exit.referrals.{source}" for source in _SOURCES),
    "exit.closed": tuple(f"exit.closed.{outcome}" for outcome in _CLOSINGS),
    "exit.contacts": tuple(f"exit.contacts.{channel}" for channel in _CHANNELS),
    "enforcement.actions": tuple(f"enforcement.actions.{actor}" for actor in _ACTORS),
    "responses.tasks": tuple(f"responses.tasks.{state}" for state in _TASK_STATES),
}


# A count of distinct persons and the counts it can be no larger than (a person notified twice counts once): a
# reader knows `reached <= delivered + refused`, so a suppressed outcome must not stand beside a shown reach.
AT_MOST: Final[Mapping[str, tuple[str, ...]]] = {
    "notifications.reached": ("notifications.delivered", "notifications.refused"),
}


@dataclass(frozen=True)
class Flow:
    """A stock and what moved it: `opening + inflow - outflow = closing`. The opening and the closing are the
    closing of the previous report and the opening of the next one, so they are published in any case."""

    opening: str
    inflow: str
    outflow: str
    closing: str


FLOWS: Final[tuple[Flow, ...]] = (
    Flow(opening="exit.active_at_start", inflow="exit.intakes", outflow="exit.closed", closing="exit.active"),
)


# Counts of persons whose value over a year is the sum of its four quarters' values: all but the stocks (the
# open exit cases at a day) and the counts of distinct persons, which a year counts once however many quarters
# they appear in. A report for a year suppresses against its quarters' reports (suppression.withheld_by_quarters).
_NOT_SUMMED: Final = {"exit.active_at_start", "exit.active", "notifications.reached"}
SUMS_OVER_QUARTERS: Final[frozenset[str]] = frozenset(
    key for key, kind in METRIC_KINDS.items() if kind == PERSONS and key not in _NOT_SUMMED
)
# ... and those a year's value is at most the sum of (a person reached in two quarters counts once in the year).
AT_MOST_SUM_OF_QUARTERS: Final[frozenset[str]] = frozenset({"notifications.reached"})


@dataclass(frozen=True)
class Metric:
    """One number of a report. `base`: for a share or a median, how many records it is computed over."""

    key: str
    kind: Kind
    value: Number
    base: int | None = None


def _metric(key: str, value: Number, base: int | None = None) -> Metric:
    return Metric(key=key, kind=METRIC_KINDS[key], value=value, base=base)


def _share(part: int, whole: int) -> float | None:
    """A percentage with one decimal; None when there is nothing to divide."""
    return round(100 * part / whole, 1) if whole else None


# --------------------------------------------------------------------------------------------------
# The metric functions: each a pure function of (user, period), counting through access.countable.


def incident_metrics(user: Staff, period: Period) -> list[Metric]:
    """Incidents that occurred in the period: by kind, killed and injured, and the share that involved members
    of mapped groups (GMI confirmed or suspected)."""
    counts = (
        access.countable(user, Incident)
        .filter(**period.datetimes("occurred_at"))
        .aggregate(
            total=Count("id"),
            shootings=Count("id", filter=Q(kind=IncidentKind.SHOOTING)),
            explosions=Count("id", filter=Q(kind=IncidentKind.EXPLOSION)),
            other=Count("id", filter=Q(kind=IncidentKind.OTHER)),
            gmi=Count("id", filter=Q(gmi__in=(Gmi.CONFIRMED, Gmi.SUSPECTED))),
            killed=Sum("killed"),
            injured=Sum("injured"),
        )
    )
    total = counts["total"]
    return [
        _metric("incidents.total", total),
        _metric("incidents.shootings", counts["shootings"]),
        _metric("incidents.explosions", counts["explosions"]),
        _metric("incidents.other", counts["other"]),
        _metric("incidents.killed", counts["killed"] or 0),
        _metric("incidents.injured", counts["injured"] or 0),
        _metric("incidents.gmi_share", _share(counts["gmi"], total), base=total),
    ]


def call_in_metrics(user: Staff, period: Period) -> list[Metric]:
    """Call-ins held in the period and the attendance of those invited to them."""
    held = {"status": CallIn.Status.HELD, **period.datetimes("starts_at")}
    attendance = attendance_counts(user, **{f"call_in__{field}": value for field, value in held.items()})
    recorded = attendance.attended + attendance.left_early + attendance.absent
    return [
        _metric("callins.held", access.countable(user, CallIn).filter(**held).count()),
        _metric("callins.invited", attendance.invited),
        _metric("callins.attended", attendance.attended),
        _metric("callins.left_early", attendance.left_early),
        _metric("callins.absent", attendance.absent),
        _metric("callins.not_recorded", attendance.invited - recorded),
    ]


def _median_days(contacted: QuerySet[CustomNotification], count: int) -> float | None:
    """The median time from request to first contact in days (one decimal): the middle one or two values,
    read from the database in order, so the cost does not grow with the number of notifications."""
    if not count:
        return None
    waits = list(
        contacted.annotate(
            wait=ExpressionWrapper(F("first_contact_at") - F("requested_at"), output_field=DurationField())
        )
        .order_by("wait", "id")
        .values_list("wait", flat=True)[(count - 1) // 2 : count // 2 + 1]
    )
    seconds = sum(wait.total_seconds() for wait in waits) / len(waits)
    return round(seconds / 86400, 1)


def notification_metrics(user: Staff, period: Period) -> list[Metric]:
    """Custom notifications with their outcome recorded in the period; unique persons reached (delivered or
    refused); median days from request to first contact, for those first contacted in the period."""
    outcome = CustomNotification.Outcome
    notifications = access.countable(user, CustomNotification)
    in_period = period.q_datetimes("outcome_at")
    reached = in_period & Q(outcome__in=(outcome.DELIVERED, outcome.REFUSED))
    counts = notifications.aggregate(
        outcomes=Count("id", filter=in_period & Q(outcome__in=outcome.values)),
        **{value: Count("id", filter=in_period & Q(outcome=value)) for value in _NOTIFICATION_OUTCOMES},
        reached=Count("person", distinct=True, filter=reached),
        contacted=Count("id", filter=period.q_datetimes("first_contact_at")),
    )
    contacted = notifications.filter(**period.datetimes("first_contact_at"))
    return [
        _metric("notifications.outcomes", counts["outcomes"]),
        *(_metric(f"notifications.{value}", counts[value]) for value in _NOTIFICATION_OUTCOMES),
        _metric("notifications.reached", counts["reached"]),
        _metric("notifications.median_days", _median_days(contacted, counts["contacted"]), base=counts["contacted"]),
    ]


def exit_program_metrics(user: Staff, period: Period) -> list[Metric]:
    """Referrals received by source; exit cases open at the start, opened (intakes), closed by outcome and open
    at the end; relocations; contacts by channel. Consents are not counted: see reports/definitions.py."""
    referrals = access.countable(user, Referral).aggregate(
        total=Count("id", filter=period.q_dates("received_on")),
        # Aliases prefixed: a source is named "self", which aggregate() would take for its own argument.
        **{
            f"from_{source}": Count("id", filter=period.q_dates("received_on") & Q(source=source))
            for source in _SOURCES
        },
    )
    closed = period.q_dates("closed_on")
    cases = access.countable(user, ExitCase).aggregate(
        at_start=Count(
            "id", filter=Q(opened_on__lt=period.first) & (Q(closed_on__isnull=True) | Q(closed_on__gte=period.first))
        ),
        intakes=Count("id", filter=period.q_dates("opened_on")),
        closed=Count("id", filter=closed),
        **{outcome: Count("id", filter=closed & Q(outcome=outcome)) for outcome in _CLOSINGS},
        at_end=Count(
            "id", filter=Q(opened_on__lte=period.last) & (Q(closed_on__isnull=True) | Q(closed_on__gt=period.last))
        ),
    )
    relocations = (
        access.countable(user, SupportMeasure)
        .filter(kind=SupportMeasure.Kind.RELOCATION, **period.dates("moved_on"))
        .exclude(status=SupportMeasure.Status.CANCELLED)
        .count()
    )
    contacts = (
        access.countable(user, Contact)
        .filter(**period.dates("contact_on"))
        .aggregate(total=Count("id"), **{channel: Count("id", filter=Q(channel=channel)) for channel in _CHANNELS})
    )
    return [
        _metric("exit.referrals", referrals["total"]),
        *(_metric(f"exit.referrals.{source}", referrals[f"from_{source}"]) for source in _SOURCES),
        _metric("exit.active_at_start", cases["at_start"]),
        _metric("exit.intakes", cases["intakes"]),
        _metric("exit.closed", cases["closed"]),
        *(_metric(f"exit.closed.{outcome}", cases[outcome]) for outcome in _CLOSINGS),
        _metric("exit.active", cases["at_end"]),
        _metric("exit.relocations", relocations),
        _metric("exit.contacts", contacts["total"]),
        *(_metric(f"exit.contacts.{channel}", contacts[channel]) for channel in _CHANNELS),
    ]


def enforcement_metrics(user: Staff, period: Period) -> list[Metric]:
    """Enforcement rounds started and ended in the period; actions carried out in it, by who carried them out:
    the police, Kriminalvården (the agencies that may act, interventions.services.rounds.ACTING_KINDS) or an
    outside authority (Kronofogden, Skatteverket ...)."""
    rounds = access.countable(user, EnforcementRound).aggregate(
        started=Count("id", filter=period.q_dates("started_on")),
        ended=Count("id", filter=period.q_dates("ended_on") & Q(status=EnforcementRound.Status.ENDED)),
    )
    actions = (
        access.countable(user, EnforcementAction)
        .filter(status=EnforcementAction.Status.DONE, **period.dates("acted_on"))
        .aggregate(
            total=Count("id"),
            police=Count("id", filter=Q(acting_agency__kind=AgencyKind.POLICE)),
            prison_service=Count("id", filter=Q(acting_agency__kind=AgencyKind.PRISON_SERVICE)),
            outside=Count("id", filter=Q(acting_agency__isnull=True)),
        )
    )
    return [
        _metric("enforcement.rounds_started", rounds["started"]),
        _metric("enforcement.rounds_ended", rounds["ended"]),
        _metric("enforcement.actions", actions["total"]),
        *(_metric(f"enforcement.actions.{actor}", actions[actor]) for actor in _ACTORS),
    ]


def response_metrics(user: Staff, period: Period) -> list[Metric]:
    """Responses after incidents opened in the period, and their tasks: done by the deadline, done late, open
    past the deadline, open and not yet due, not needed. "Past the deadline" is judged at the period's end, or
    now for a period that has not ended."""
    as_of = min(period.ends_before, timezone.now())
    task = ResponseTask.Status
    opened = access.countable(user, IncidentResponse).filter(**period.datetimes("opened_at")).count()
    tasks = (
        access.countable(user, ResponseTask)
        .filter(**period.datetimes("response__opened_at"))
        .aggregate(
            total=Count("id"),
            on_time=Count("id", filter=Q(status=task.DONE, resolved_at__lte=F("deadline"))),
            late=Count("id", filter=Q(status=task.DONE, resolved_at__gt=F("deadline"))),
            overdue=Count("id", filter=Q(status=task.OPEN, deadline__lt=as_of)),
            pending=Count("id", filter=Q(status=task.OPEN, deadline__gte=as_of)),
            not_needed=Count("id", filter=Q(status=task.NOT_NEEDED)),
        )
    )
    return [
        _metric("responses.opened", opened),
        _metric("responses.tasks", tasks["total"]),
        *(_metric(f"responses.tasks.{state}", tasks[state]) for state in _TASK_STATES),
    ]


_FAMILIES = (
    incident_metrics,
    call_in_metrics,
    notification_metrics,
    exit_program_metrics,
    enforcement_metrics,
    response_metrics,
)


def compute(user: Staff, period: Period) -> dict[str, Metric]:
    """Every metric of the period, keyed and in report order (METRIC_KINDS)."""
    found = {metric.key: metric for family in _FAMILIES for metric in family(user, period)}
    return {key: found[key] for key in METRIC_KINDS}


# --------------------------------------------------------------------------------------------------
# Comparisons: against the previous period and the same period of a baseline year


@dataclass(frozen=True)
class Change:
    """`absolute`: the difference (percentage points for a share); `percent`: relative to the earlier value,
    one decimal, None when that is 0 or either value is missing."""

    absolute: Number
    percent: float | None


def change(value: Number, base: Number) -> Change:
    if value is None or base is None:
        return Change(None, None)
    difference: Any = value - base
    if isinstance(difference, float):
        difference = round(difference, 1)
    return Change(difference, round(100 * (value - base) / base, 1) if base else None)


@dataclass(frozen=True)
class Comparison:
    key: str
    kind: Kind
    current: Metric
    previous: Metric
    baseline: Metric
    # For a calendar year, the metric in each of the year's quarters (and so of the previous and baseline year).
    current_quarters: tuple[Metric, ...] = ()
    previous_quarters: tuple[Metric, ...] = ()
    baseline_quarters: tuple[Metric, ...] = ()

    @property
    def value(self) -> Number:
        return self.current.value

    @property
    def previous_value(self) -> Number:
        return self.previous.value

    @property
    def baseline_value(self) -> Number:
        return self.baseline.value

    @property
    def versus_previous(self) -> Change:
        return change(self.current.value, self.previous.value)

    @property
    def versus_baseline(self) -> Change:
        return change(self.current.value, self.baseline.value)


def compare(user: Staff, period: Period, baseline_year: int) -> list[Comparison]:
    """Every metric of the period beside the previous period and the same period of the baseline year; for a
    calendar year also each year's quarters, which suppression must take into account."""
    periods = {"current": period, "previous": period.previous(), "baseline": period.same_in(baseline_year)}
    computed = {column: compute(user, p) for column, p in periods.items()}
    quarters = {column: [compute(user, q) for q in p.quarters()] for column, p in periods.items()}
    return [
        Comparison(
            key=key,
            kind=kind,
            current=computed["current"][key],
            previous=computed["previous"][key],
            baseline=computed["baseline"][key],
            current_quarters=tuple(q[key] for q in quarters["current"]),
            previous_quarters=tuple(q[key] for q in quarters["previous"]),
            baseline_quarters=tuple(q[key] for q in quarters["baseline"]),
        )
        for key, kind in METRIC_KINDS.items()
    ]
