"""Report pages: Lena, Malmö's program lead, orders a quarterly report, watches it being built and downloads it;
retries a failed build and builds a report again as a new edition; enters the indicators and sets the plan. Petra
and Erik read the archive and the reports and download them; Maja sees only Örebro's; nobody else sees anything.
The report's page shows the same cells as the stored results (a suppressed one too); every download is audited;
the pages run a small, fixed number of queries however many reports there are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from gvi.audit.models import AuditAction, AuditEvent
from reports import services
from reports.definitions import DEFINITIONS
from reports.models import Indicator, IndicatorKind, Report, ReportKind, ReportPlan
from reports.results import sections
from reports.suppression import MISSING_MARK, PRIMARY_MARK, WITHHELD_MARK, stored_text
from tests.conftest import max_queries

ClientFor = Callable[[str], Client]
STOCKHOLM = ZoneInfo("Europe/Stockholm")
CELLS = (
    ("value", False),
    ("previous", False),
    ("baseline", False),
    ("change_previous", True),
    ("change_previous_percent", True),
    ("change_baseline", True),
    ("change_baseline_percent", True),
)

# Measured warm (the budget of every page is 15): the session, the user and the OTP device, then the page's own,
# then the session's save (a savepoint, the update, its release). The archive: count, rows (with who ordered them),
# the list event; the lead's order form reads the plan. A report's page: the report and its view event, who ordered
# it, the other editions. The status: the report and its view event. A download: the report, the program (for the
# file name), the export event. The indicators: count, rows (with who entered them), the list event. A form: what it
# edits and its view event.
LIST_QUERIES = {"lena": 10, "petra": 9}
DETAIL_QUERIES = 10
STATUS_QUERIES = 8
DOWNLOAD_QUERIES = 9
INDICATOR_LIST_QUERIES = 9
FORM_QUERIES = 8


def _url(name: str, *args: Any) -> str:
    return reverse(f"reports:{name}", args=args)


def _fresh(report: Report) -> Report:
    return Report.objects.get(pk=report.pk)


class _Tables(HTMLParser):
    """The rows of the tables whose data-testid starts with a prefix: the text of every cell, by table."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        testid = dict(attrs).get("data-testid") or ""
        if tag == "table" and testid.startswith(self.prefix):
            self._table = testid
            self.tables[testid] = []
        elif self._table and tag == "tbody":
            self._in_body = True
        elif self._table and self._in_body and tag == "tr":
            self.tables[self._table].append([])
        elif self._table and self._in_body and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table, self._in_body = None, False
        elif self._table and tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _tables(html: str, prefix: str) -> dict[str, list[list[str]]]:
    parser = _Tables(prefix)
    parser.feed(html)
    return parser.tables


# --- Ordering, end to end -----------------------------------------------------------------------------


def _last_quarter_order(**values: Any) -> dict[str, Any]:
    quarter = services.last_finished_quarter(timezone.localdate())
    order = {"kind": "quarterly", "year": quarter.first.year, "quarter": quarter.quarter_number, "baseline_year": 2019}
    return order | values


def test_lena_orders_a_report_watches_it_being_built_and_downloads_it(
    world: dict[str, Any], as_user: ClientFor, django_capture_on_commit_callbacks: Any
) -> None:
    client = as_user("lena")
    page = client.get(_url("list"))
    assert page.status_code == 200
    assert b'data-testid="order-form"' in page.content
    assert page.context["form"].initial["baseline_year"] == 2019  # the plan's
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(_url("order"), _last_quarter_order(baseline_year=2018))
    report = Report.objects.order_by("-id").first()
    assert report is not None
    assert response.status_code == 302
    assert response["Location"] == _url("detail", report.pk)
    assert (report.status, report.ordered_by_id, report.baseline_year) == (Report.Status.QUEUED, world["lena"].pk, 2018)
    assert report.edition == 2  # the demo built the first edition of the last quarter
    assert len(callbacks) == 1  # the build is enqueued once the order commits

    # While it is queued the page polls its status every 2 seconds.
    waiting = client.get(_url("detail", report.pk))
    assert "The report is ordered" in waiting.content.decode()
    assert f'hx-get="{_url("status", report.pk)}"'.encode() in waiting.content
    assert b'hx-trigger="every 2s"' in waiting.content
    polled = client.get(_url("status", report.pk), headers={"HX-Request": "true"})
    assert polled.status_code == 200
    assert "HX-Refresh" not in polled
    assert b'hx-trigger="every 2s"' in polled.content

    callbacks[0]()  # the task runs (in-process in tests) and builds the report
    assert _fresh(report).status == Report.Status.DONE
    finished = client.get(_url("status", report.pk), headers={"HX-Request": "true"})
    assert finished["HX-Refresh"] == "true"
    assert b'hx-trigger="every' not in finished.content

    done = client.get(_url("detail", report.pk))
    for name in ("pdf", "csv", "xlsx"):
        assert f'href="{_url(name, report.pk)}"'.encode() in done.content
    assert b'hx-trigger="every' not in done.content
    pdf = client.get(_url("pdf", report.pk))
    assert pdf.status_code == 200
    assert pdf.getvalue().startswith(b"%PDF")


def test_the_order_form_alone(as_user: ClientFor) -> None:
    response = as_user("lena").get(_url("order"))
    assert response.status_code == 200
    assert b'data-testid="order-form"' in response.content


@pytest.mark.parametrize(
    ("order", "field", "message"),
    [
        ({"year": 2025, "quarter": 2}, "quarter", "That period has not ended yet."),  # today is 2025-02-10
        ({"year": 2024, "quarter": 3, "baseline_year": 2024}, "baseline_year", "The baseline year comes before"),
        ({"year": 2024, "quarter": 3, "baseline_year": 2025}, "baseline_year", "The baseline year comes before"),
        ({"year": 2024, "quarter": ""}, "quarter", "Choose a quarter, 1 to 4."),
        ({"kind": "yearly", "year": 2024, "quarter": 1}, "quarter", "leave the quarter empty"),
        ({"year": "twenty"}, "year", "Enter a whole number."),
    ],
)
def test_a_bad_order_gets_form_errors_and_orders_nothing(
    world: dict[str, Any], as_user: ClientFor, order: dict[str, Any], field: str, message: str
) -> None:
    before = Report.objects.count()
    with time_machine.travel(datetime(2025, 2, 10, 12, tzinfo=STOCKHOLM), tick=False):
        response = as_user("lena").post(_url("order"), {"kind": "quarterly", "baseline_year": 2019} | order)
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert Report.objects.count() == before


@pytest.mark.parametrize("username", ["petra", "erik", "maja", "sara", "ada", "olof"])
def test_only_a_program_lead_orders(world: dict[str, Any], as_user: ClientFor, username: str) -> None:
    before = Report.objects.filter(program=world["lena"].program).count()
    response = as_user(username).post(_url("order"), _last_quarter_order())
    if username == "maja":  # her own program's report
        assert response.status_code == 302
    else:
        assert response.status_code == 404
    assert Report.objects.filter(program=world["lena"].program).count() == before


# --- Retry and build again ----------------------------------------------------------------------------


def test_lena_retries_the_failed_build(
    world: dict[str, Any], as_user: ClientFor, django_capture_on_commit_callbacks: Any
) -> None:
    failed = world["malmo_report_failed"]
    client = as_user("lena")
    page = client.get(_url("detail", failed.pk))
    assert "the database connection was lost" in page.content.decode()
    assert f'action="{_url("retry", failed.pk)}"'.encode() in page.content
    assert b"data-confirm=" in page.content
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(_url("retry", failed.pk), follow=True)
    assert _fresh(failed).status == Report.Status.QUEUED
    assert len(callbacks) == 1
    assert "The report is queued to be built again." in response.content.decode()


def test_a_built_report_is_not_retried(world: dict[str, Any], as_user: ClientFor) -> None:
    report = world["malmo_report"]
    response = as_user("lena").post(_url("retry", report.pk), follow=True)
    assert "Only a report whose build failed or stalled can be retried." in response.content.decode()
    assert _fresh(report).status == Report.Status.DONE


def test_building_again_makes_the_next_edition_and_links_the_editions(
    world: dict[str, Any], as_user: ClientFor, django_capture_on_commit_callbacks: Any
) -> None:
    report = world["malmo_report"]
    client = as_user("lena")
    assert f'action="{_url("rebuild", report.pk)}"'.encode() in client.get(_url("detail", report.pk)).content
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(_url("rebuild", report.pk))
    again = Report.objects.get(program=report.program, kind=report.kind, period_first=report.period_first, edition=2)
    assert response["Location"] == _url("detail", again.pk)
    assert len(callbacks) == 1
    assert _fresh(report).results == report.results
    assert _fresh(report).edition == 1
    page = client.get(_url("detail", again.pk)).content.decode()
    assert f'href="{_url("detail", report.pk)}"' in page
    assert "Edition 1" in page
    assert f'href="{_url("detail", again.pk)}"' in client.get(_url("detail", report.pk)).content.decode()


def test_a_failed_report_is_retried_not_built_again(world: dict[str, Any], as_user: ClientFor) -> None:
    failed = world["malmo_report_failed"]
    response = as_user("lena").post(_url("rebuild", failed.pk), follow=True)
    assert "Only a finished report can be built again" in response.content.decode()


@pytest.mark.parametrize("username", ["petra", "erik"])
def test_the_coordinators_read_but_neither_retry_nor_build_again(
    world: dict[str, Any], as_user: ClientFor, username: str
) -> None:
    client = as_user(username)
    failed, report = world["malmo_report_failed"], world["malmo_report"]
    failed_page = client.get(_url("detail", failed.pk)).content.decode()
    assert "the database connection was lost" in failed_page
    assert _url("retry", failed.pk) not in failed_page
    page = client.get(_url("detail", report.pk)).content.decode()
    assert _url("pdf", report.pk) in page
    assert _url("rebuild", report.pk) not in page
    assert client.post(_url("retry", failed.pk)).status_code == 404
    assert client.post(_url("rebuild", report.pk)).status_code == 404
    assert _fresh(failed).status == Report.Status.FAILED


def test_retry_and_rebuild_take_a_post_only(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("lena")
    assert client.get(_url("retry", world["malmo_report_failed"].pk)).status_code == 405
    assert client.get(_url("rebuild", world["malmo_report"].pk)).status_code == 405


# --- Downloads ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("pdf", "application/pdf"),
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_a_download_is_an_audited_attachment(
    world: dict[str, Any], as_user: ClientFor, name: str, content_type: str
) -> None:
    report = world["malmo_report"]
    response = as_user("petra").get(_url(name, report.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="sluta-skjut-malmo-{report.label}-v1.{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    [event] = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_id=str(report.pk), actor_id=world["petra"].pk)
    assert event.detail == {"format": name}


@pytest.mark.parametrize("name", ["pdf", "csv", "xlsx"])
def test_a_report_that_is_not_built_has_nothing_to_download(
    world: dict[str, Any], as_user: ClientFor, name: str
) -> None:
    failed = world["malmo_report_failed"]
    queued = services.order_report(world["lena"], kind=ReportKind.YEARLY, year=2024, enqueue=False)
    client = as_user("lena")
    for report in (failed, queued):
        assert client.get(_url(name, report.pk)).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT, object_id__in=[str(failed.pk), str(queued.pk)])


def test_maja_downloads_nothing_of_malmos(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("maja")
    for name in ("detail", "pdf", "csv", "xlsx", "status"):
        assert client.get(_url(name, world["malmo_report"].pk)).status_code == 404
    assert client.get(_url("pdf", world["orebro_report"].pk)).status_code == 200


# --- The report's page shows the stored cells ------------------------------------------------------------


def test_the_page_shows_the_same_cells_as_the_stored_results(world: dict[str, Any], as_user: ClientFor) -> None:
    report = world["malmo_report"]
    html = as_user("erik").get(_url("detail", report.pk)).content.decode()
    shown = _tables(html, "metrics-")
    compared = 0
    marks: set[str] = set()
    with translation.override("en"):
        for section, rows in sections(report.results):
            expected = [
                [str(DEFINITIONS[row["key"]].title), *(stored_text(row[cell], signed=signed) for cell, signed in CELLS)]
                for row in rows
            ]
            assert shown[f"metrics-{section.key}"] == expected, section.key
            compared += len(rows)
            marks |= {cell for line in expected for cell in line[1:] if cell in (PRIMARY_MARK, WITHHELD_MARK)}
    assert compared == len(report.results["metrics"])
    assert marks, "the demo report has a suppressed cell"
    assert "1 to 4 persons" in html  # the note on the marks


def test_a_small_count_is_shown_as_under_five_on_the_page(world: dict[str, Any], as_user: ClientFor) -> None:
    """A stored "<5" is what the page shows, never a number (the cell is taken as stored)."""
    report = world["malmo_report"]
    results = dict(report.results)
    results["metrics"] = [
        row | {"value": PRIMARY_MARK, "change_previous": WITHHELD_MARK} if row["key"] == "exit.relocations" else row
        for row in results["metrics"]
    ]
    Report.objects.filter(pk=report.pk).update(results=results)
    shown = _tables(as_user("lena").get(_url("detail", report.pk)).content.decode(), "metrics-exit")
    [row] = [line for line in shown["metrics-exit"] if line[0] == "Relocations"]
    assert (row[1], row[4]) == (PRIMARY_MARK, WITHHELD_MARK)


def test_the_page_shows_the_charts_and_the_indicators_with_sources_and_missing_values(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    report = world["malmo_report"]
    html = as_user("lena").get(_url("detail", report.pk)).content.decode()
    assert html.count("<svg") == 3
    for testid in ("chart-incidents", "chart-callins", "chart-exit"):
        assert f'data-testid="{testid}"' in html
    for heading in ("Goal 1:", "Goal 2:", "Goal 3:", "Goal 4:"):
        assert heading in html
    assert html.count('data-testid="indicator"') == len(IndicatorKind)
    assert "Polisregion Syd, utredningsstatistik" in html
    police_hours = report.results["indicators"][1]
    assert police_hours["kind"] == IndicatorKind.POLICE_HOURS
    assert police_hours["values"][-2]["value"] == MISSING_MARK  # the quarter nobody entered
    assert html.count("<em>missing</em>") >= sum(
        1 for row in report.results["indicators"] for value in row["values"] if value["value"] == MISSING_MARK
    )


def test_a_report_being_built_shows_its_progress_and_no_numbers(world: dict[str, Any], as_user: ClientFor) -> None:
    report = services.order_report(world["lena"], kind=ReportKind.YEARLY, year=2024, enqueue=False)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.RUNNING, attempts=1, started_at=timezone.now())
    html = as_user("petra").get(_url("detail", report.pk)).content.decode()
    assert 'data-status="running"' in html
    assert "Being built" in html
    assert 'data-testid="metrics-' not in html
    assert _url("pdf", report.pk) not in html
    plain = as_user("petra").get(_url("status", report.pk))
    assert plain.status_code == 200
    assert "Build status" in plain.content.decode()


def test_the_page_and_every_poll_are_audited(world: dict[str, Any], as_user: ClientFor) -> None:
    report = world["malmo_report"]
    client = as_user("erik")
    client.get(_url("detail", report.pk))
    client.get(_url("status", report.pk), headers={"HX-Request": "true"})
    views = AuditEvent.objects.filter(action=AuditAction.VIEW, object_id=str(report.pk), actor_id=world["erik"].pk)
    assert views.count() == 2


# --- The archive --------------------------------------------------------------------------------------


def test_the_archive_lists_the_programs_reports_with_who_ordered_them(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    scheduled = services.schedule_report(world["lena"].program, ReportKind.YEARLY, services.period_for("yearly", 2023))
    assert scheduled is not None
    response = as_user("petra").get(_url("list"))
    html = response.content.decode()
    shown = {report.pk for report in response.context["page"].object_list}
    assert shown == {world["malmo_report"].pk, world["malmo_report_failed"].pk, scheduled.pk}
    assert "the schedule" in html
    assert world["lena"].get_full_name() in html
    assert b'data-testid="order-form"' not in response.content  # Petra reads only
    [event] = AuditEvent.objects.filter(action=AuditAction.LIST, actor_id=world["petra"].pk)
    assert set(event.object_ids) == {str(pk) for pk in shown}


def test_the_archive_filters_and_sorts(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("lena")
    failed, report = world["malmo_report_failed"], world["malmo_report"]

    def shown(query: str) -> list[int]:
        return [r.pk for r in client.get(_url("list") + query).context["page"].object_list]

    assert shown("?kind=yearly") == [failed.pk]
    assert shown("?status=done") == [report.pk]
    assert shown(f"?year={failed.period_first.year}") == [failed.pk]
    assert shown("?sort=period") == [failed.pk, report.pk]
    assert shown("?sort=-period") == [report.pk, failed.pk]
    assert shown("?kind=monthly&sort=nonsense") == [report.pk, failed.pk]  # a bad filter or sort is ignored
    assert "No reports match the filter." in client.get(_url("list") + "?year=2001").content.decode()


def test_the_archive_paginates(world: dict[str, Any], as_user: ClientFor) -> None:
    _more_reports(world, 55)
    client = as_user("lena")
    first = client.get(_url("list"))
    assert len(first.context["page"].object_list) == 50
    assert "Page 1 of 2" in first.content.decode()
    assert len(client.get(_url("list") + "?page=2").context["page"].object_list) == 7


def test_an_empty_archive_says_so(world: dict[str, Any], as_user: ClientFor) -> None:
    Report.objects.filter(program=world["maja"].program).delete()
    html = as_user("maja").get(_url("list")).content.decode()
    assert "No reports yet." in html
    assert "Order the first one above" in html


def test_reports_are_in_the_navigation_of_those_who_read_them(as_user: ClientFor) -> None:
    for username, shown in (("lena", True), ("petra", True), ("erik", True), ("sara", False), ("ada", False)):
        html = as_user(username).get(reverse("home")).content.decode()
        assert (f'href="{_url("list")}"' in html) is shown, username


# --- Indicators ---------------------------------------------------------------------------------------


def _indicator_data(**values: Any) -> dict[str, Any]:
    data = {
        "kind": IndicatorKind.HEALTH_CARE_ADMISSIONS,
        "period_kind": "year",
        "year": 2024,
        "quarter": "",
        "value": "12",
        "source": "Region Skåne",
        "source_date": "2025-03-01",
        "note": "",
    }
    return data | values


def test_lena_enters_an_indicator_for_a_year(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("lena")
    response = client.post(_url("indicator-create"), _indicator_data())
    assert response.status_code == 302
    assert response["Location"] == _url("indicator-list")
    indicator = Indicator.objects.get(program=world["lena"].program, kind=IndicatorKind.HEALTH_CARE_ADMISSIONS)
    assert (indicator.label, indicator.value, indicator.entered_by_id) == ("2024", Decimal("12.0"), world["lena"].pk)
    listed = client.get(_url("indicator-list"))
    assert indicator in listed.context["page"].object_list
    assert "Goal 4: Fewer health-care resources" in listed.content.decode()


def test_lena_enters_an_indicator_for_a_quarter(world: dict[str, Any], as_user: ClientFor) -> None:
    as_user("lena").post(_url("indicator-create"), _indicator_data(period_kind="quarter", quarter="3"))
    indicator = Indicator.objects.get(program=world["lena"].program, kind=IndicatorKind.HEALTH_CARE_ADMISSIONS)
    assert indicator.label == "2024-Q3"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"period_kind": "quarter", "quarter": ""}, "quarter", "Choose the quarter the value is for."),
        ({"period_kind": "year", "quarter": "2"}, "quarter", "leave it empty"),
        ({"year": 2099}, "year", "That period has not begun."),
        ({"source_date": "2099-01-01"}, "source_date", "cannot be in the future"),
        ({"value": "-3"}, "value", "greater than or equal to 0"),
        ({"value": "1.25"}, "value", "decimal place"),
        ({"kind": "happiness"}, "kind", "Select a valid choice"),
        ({"source": ""}, "source", "This field is required."),
    ],
)
def test_a_bad_indicator_value_gets_form_errors(
    world: dict[str, Any], as_user: ClientFor, values: dict[str, Any], field: str, message: str
) -> None:
    before = Indicator.objects.count()
    response = as_user("lena").post(_url("indicator-create"), _indicator_data(**values))
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field]), response.context["form"].errors
    assert Indicator.objects.count() == before


def test_a_second_value_for_the_same_period_is_refused(world: dict[str, Any], as_user: ClientFor) -> None:
    indicator = world["malmo_indicator"]
    quarter = str((indicator.period_first.month + 2) // 3)
    data = _indicator_data(
        kind=indicator.kind, period_kind="quarter", year=indicator.period_first.year, quarter=quarter
    )
    response = as_user("lena").post(_url("indicator-create"), data)
    assert response.status_code == 200
    assert "is entered already" in response.content.decode()


def test_lena_changes_an_indicator_and_a_stale_change_shows_both_versions(
    world: dict[str, Any], as_user: ClientFor
) -> None:
    indicator = world["malmo_indicator"]
    client = as_user("lena")
    form = client.get(_url("indicator-edit", indicator.pk)).context["form"]
    data = {key: "" if value is None else value for key, value in form.initial.items()}
    response = client.post(_url("indicator-edit", indicator.pk), data | {"value": "2222"})
    assert response.status_code == 302
    assert Indicator.objects.get(pk=indicator.pk).value == Decimal("2222")
    stale = client.post(_url("indicator-edit", indicator.pk), data | {"value": "3333"})  # the old version again
    assert stale.status_code == 200
    assert "Saved by someone else meanwhile" in stale.content.decode()
    assert Indicator.objects.get(pk=indicator.pk).value == Decimal("2222")


def test_lena_deletes_an_indicator_after_a_confirmation(world: dict[str, Any], as_user: ClientFor) -> None:
    indicator = world["malmo_indicator"]
    client = as_user("lena")
    confirm = client.get(_url("indicator-delete", indicator.pk))
    assert confirm.status_code == 200
    assert "Delete the value" in confirm.content.decode()
    assert Indicator.objects.filter(pk=indicator.pk).exists()
    assert client.post(_url("indicator-delete", indicator.pk)).status_code == 302
    assert not Indicator.objects.filter(pk=indicator.pk).exists()


def test_the_indicator_list_filters_and_has_an_empty_state(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("maja")
    assert not client.get(_url("indicator-list") + "?kind=health_care_cost").context["page"].object_list
    Indicator.objects.filter(program=world["maja"].program).delete()
    assert "No indicator values yet." in client.get(_url("indicator-list")).content.decode()


@pytest.mark.parametrize("username", ["petra", "erik", "maja", "ada"])
def test_nobody_else_touches_malmos_indicators_or_plan(
    world: dict[str, Any], as_user: ClientFor, username: str
) -> None:
    client = as_user(username)
    indicator = world["malmo_indicator"]
    assert client.get(_url("indicator-edit", indicator.pk)).status_code == 404
    assert client.post(_url("indicator-delete", indicator.pk)).status_code == 404
    if username != "maja":
        assert client.get(_url("indicator-list")).status_code == 404
        assert client.get(_url("plan")).status_code == 404
    assert Indicator.objects.filter(pk=indicator.pk).exists()


# --- The plan -----------------------------------------------------------------------------------------


def test_lena_sets_the_baseline_year_and_the_schedule(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("lena")
    plan = ReportPlan.objects.get(program=world["lena"].program)
    page = client.get(_url("plan"))
    assert page.context["form"].initial["baseline_year"] == 2019
    response = client.post(_url("plan"), {"baseline_year": 2018, "yearly": "on", "version": plan.version})
    assert response.status_code == 302
    saved = ReportPlan.objects.get(pk=plan.pk)
    assert (saved.baseline_year, saved.quarterly, saved.yearly) == (2018, False, True)
    stale = client.post(_url("plan"), {"baseline_year": 2017, "version": plan.version})
    assert "Saved by someone else meanwhile" in stale.content.decode()
    assert ReportPlan.objects.get(pk=plan.pk).baseline_year == 2018
    # the next order's form takes the new baseline
    assert client.get(_url("order")).context["form"].initial["baseline_year"] == 2018


def test_a_baseline_year_that_has_not_ended_is_refused(world: dict[str, Any], as_user: ClientFor) -> None:
    plan = ReportPlan.objects.get(program=world["lena"].program)
    this_year = timezone.localdate().year
    response = as_user("lena").post(_url("plan"), {"baseline_year": this_year, "version": plan.version})
    assert "The baseline year is a year that has ended." in response.content.decode()


# --- Query counts -------------------------------------------------------------------------------------


def _more_reports(world: dict[str, Any], count: int) -> None:
    """More reports of Malmö: editions of the demo's period, some built, some queued, ordered by Lena."""
    report = world["malmo_report"]
    Report.objects.bulk_create(
        Report(
            program=report.program,
            kind=report.kind,
            period_first=report.period_first,
            period_last=report.period_last,
            label=report.label,
            baseline_year=2019,
            edition=100 + n,
            status=Report.Status.DONE if n % 2 else Report.Status.QUEUED,
            ordered_by=world["lena"],
            finished_at=timezone.now() if n % 2 else None,
            results=report.results if n % 2 else None,
        )
        for n in range(count)
    )


def _count(client: Client, url: str, **kwargs: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("username", ["lena", "petra"])
def test_the_archive_runs_a_fixed_number_of_queries(world: dict[str, Any], as_user: ClientFor, username: str) -> None:
    client = as_user(username)
    url = _url("list")
    client.get(url)  # warm up
    before = _count(client, url)
    _more_reports(world, 30)
    with max_queries(LIST_QUERIES[username]) as after:
        assert len(client.get(url).context["page"].object_list) == 32
    assert len(after.captured_queries) == before


def test_a_reports_page_runs_a_fixed_number_of_queries(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("lena")
    report = world["malmo_report"]
    url = _url("detail", report.pk)
    client.get(url)
    before = _count(client, url)
    _more_reports(world, 30)  # 30 more editions of its period, all linked from the page
    with max_queries(DETAIL_QUERIES) as after:
        assert len(client.get(url).context["editions"]) == 30
    assert len(after.captured_queries) == before
    with max_queries(DETAIL_QUERIES):
        client.get(_url("detail", world["malmo_report_failed"].pk))


def test_the_status_and_the_downloads_run_a_fixed_number_of_queries(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("petra")
    report = world["malmo_report"]
    client.get(_url("status", report.pk), headers={"HX-Request": "true"})
    with max_queries(STATUS_QUERIES):
        client.get(_url("status", report.pk), headers={"HX-Request": "true"})
    for name in ("pdf", "csv", "xlsx"):
        with max_queries(DOWNLOAD_QUERIES):
            assert client.get(_url(name, report.pk)).status_code == 200


def test_the_indicator_list_runs_a_fixed_number_of_queries(world: dict[str, Any], as_user: ClientFor) -> None:
    client = as_user("lena")
    url = _url("indicator-list")
    client.get(url)
    before = _count(client, url)
    lena = world["lena"]
    Indicator.objects.bulk_create(
        Indicator(
            program=lena.program,
            kind=IndicatorKind.SAFETY_SURVEY,
            period_first=timezone.localdate().replace(year=1990 + n, month=1, day=1),
            period_last=timezone.localdate().replace(year=1990 + n, month=12, day=31),
            label=str(1990 + n),
            value=Decimal(70),
            source="Trygghetsmätning",
            source_date=timezone.localdate() - timedelta(days=n),
            entered_by=lena,
        )
        for n in range(30)
    )
    with max_queries(INDICATOR_LIST_QUERIES) as after:
        client.get(url)
    assert len(after.captured_queries) == before


@pytest.mark.parametrize(
    "route",
    ["order", "indicator-create", "indicator-edit", "indicator-delete", "plan"],
)
def test_the_forms_run_a_small_number_of_queries(world: dict[str, Any], as_user: ClientFor, route: str) -> None:
    client = as_user("lena")
    url = _url(route, world["malmo_indicator"].pk) if route in ("indicator-edit", "indicator-delete") else _url(route)
    client.get(url)
    with max_queries(FORM_QUERIES):
        assert client.get(url).status_code == 200
