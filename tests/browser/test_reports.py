"""Issue 12 in a real browser: lena (program lead) orders a quarterly report, waits for it and downloads it.

1. lena opens Reports from the navigation and orders the last finished quarter's report with the order form on
   the archive page (the fields found by their ids and labels, the form sent with the keyboard).
2. She lands on the report's page. With Redis (REDIS_URL, as in CI) the build waits in the broker until a real
   Celery worker (a thread of this process, solo pool) is started: the page shows the queued build and polls
   reports:status with htmx until the build has finished, then shows the report by itself. Without Redis the
   build runs in-process when the order commits, so the report is done when its page opens.
3. She downloads the PDF (it starts with %PDF and is the stored file) and the XLSX (openpyxl opens it; its first
   sheet holds the report's metric rows with their stored cells); both downloads are in the audit trail.
4. petra (police coordinator) opens the report and downloads from it but is offered no order form, no new
   build and no order page; sara (social worker) gets 404 for the report's address.

Assertions use URLs, ids, data-testid attributes and the stored results, not UI text (the language may be Swedish
or English). The report's page is checked with axe-core in every state the test sees, and the `browsing` fixture
fails the test on CSP console messages, script errors, static files that do not load and server errors.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from gvi.audit.models import AuditAction, AuditEvent
from gvi.celery import app
from reports import services
from reports.models import Report, ReportKind
from reports.results import sections
from tests.browser.conftest import Browsing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REAL_WORKER = bool(os.environ.get("REDIS_URL"))
# How long the page may take to show a report built by the worker (counting, the charts and WeasyPrint).
BUILD_TIMEOUT_MS = 90_000


@pytest.fixture
def start_build_worker(world: dict[str, Any]) -> Iterator[Callable[[], None]]:
    """With Redis: builds are sent to the broker (never run eagerly) and the returned function starts a real worker,
    stopped after the test. Without Redis the function does nothing: builds run in-process on commit (settings)."""
    with contextlib.ExitStack() as stack:
        if REAL_WORKER:
            app.conf.task_always_eager = False
            stack.callback(setattr, app.conf, "task_always_eager", settings.CELERY_TASK_ALWAYS_EAGER)

        def start() -> None:
            if REAL_WORKER:
                stack.enter_context(start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10))

        yield start


def _url(live_server: Any, path: str) -> str:
    return live_server.url + path


def _download(page: Page, selector: str) -> bytes:
    """Click the one download link the selector finds and return the file the browser saved."""
    link = page.locator(selector)
    expect(link).to_have_count(1)
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.failure() is None, download.failure()
    return Path(download.path()).read_bytes()


def _assert_not_found(page: Page, path: str, why: str) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == 404, f"{why}: {path} answered {response.status}"


def _same_cell(read: Any, stored: Any) -> bool:
    """An XLSX cell read back against the stored cell: numbers as numbers, marks ("<5", "x", "..") as text."""
    if isinstance(stored, str):
        return read == stored
    if stored is None:
        return read is None
    return read is not None and Decimal(str(read)) == Decimal(str(stored))


def test_lena_orders_a_quarterly_report_waits_for_it_and_downloads_it(
    browsing: Browsing,
    world: dict[str, Any],
    start_build_worker: Callable[[], None],
    live_server: Any,
) -> None:
    lena_staff = world["lena"]
    plan = world["malmo_plan"]
    demo_report: Report = world["malmo_report"]
    quarter = services.last_finished_quarter(timezone.localdate())
    assert (demo_report.label, demo_report.status) == (quarter.label, Report.Status.DONE)
    list_path = reverse("reports:list")
    before = set(Report.objects.values_list("pk", flat=True))

    # --- lena: Reports from the navigation; the order form holds the last finished quarter ---
    lena = browsing.as_persona("lena")
    link = lena.locator(f"nav a.nav-link[href='{list_path}']")
    expect(link).to_have_count(1)
    with lena.expect_navigation():
        link.click()
    expect(lena).to_have_url(_url(live_server, list_path))
    demo_path = reverse("reports:detail", args=[demo_report.pk])
    expect(lena.get_by_test_id("report-list").locator(f"a[href='{demo_path}']")).to_have_count(1)
    form = lena.get_by_test_id("order-form")
    expect(form).to_have_attribute("action", reverse("reports:order"))
    fields = {name: form.locator(f"[name={name}]") for name in ("kind", "year", "quarter", "baseline_year")}
    for name, field in fields.items():
        expect(field).to_have_count(1)
        field_id = field.get_attribute("id")
        assert field_id, f"the order form's {name} has no id"
        expect(form.locator(f"label[for='{field_id}']")).to_have_count(1)
    expect(fields["kind"]).to_have_value(ReportKind.QUARTERLY)
    expect(fields["year"]).to_have_value(str(quarter.first.year))
    expect(fields["quarter"]).to_have_value(str(quarter.quarter_number))
    expect(fields["baseline_year"]).to_have_value(str(plan.baseline_year))
    browsing.assert_accessible(lena, "report archive with the order form (lena)")

    # Chosen again, then walked through and sent with the keyboard only.
    fields["kind"].select_option(value=ReportKind.QUARTERLY)
    fields["year"].fill(str(quarter.first.year))
    fields["quarter"].select_option(value=str(quarter.quarter_number))
    fields["kind"].focus()
    for name in ("year", "quarter", "baseline_year"):
        lena.keyboard.press("Tab")
        expect(fields[name]).to_be_focused()
    lena.keyboard.press("Tab")
    expect(form.locator("button[type=submit]")).to_be_focused()
    with lena.expect_navigation():
        lena.keyboard.press("Enter")

    # --- the report's page: the ordered report, its build in progress or (in-process) done ---
    match = re.fullmatch(re.escape(live_server.url) + r"/reports/(\d+)/", lena.url)
    assert match, f"the report was not ordered (now on {lena.url})"
    report = Report.objects.get(pk=int(match.group(1)))
    assert report.pk not in before
    assert (report.program_id, report.kind) == (lena_staff.program_id, ReportKind.QUARTERLY)
    assert report.label == quarter.label
    assert (report.ordered_by_id, report.baseline_year, report.edition) == (lena_staff.pk, plan.baseline_year, 2)
    expect(lena.locator(".messages [class*='alert-success']")).to_have_count(1)
    detail_path = reverse("reports:detail", args=[report.pk])
    status_path = reverse("reports:status", args=[report.pk])
    downloads = lena.get_by_test_id("report-downloads")
    # The first edition of the quarter (the demo's) is listed beside it.
    expect(lena.get_by_test_id("report-editions").locator(f"a[href='{demo_path}']")).to_have_count(1)

    if REAL_WORKER:
        # No worker yet: the build waits in Redis, and the page says so and asks again by itself.
        panel = lena.get_by_test_id("report-status")
        expect(panel).to_have_attribute("data-status", Report.Status.QUEUED)
        expect(panel).to_have_attribute("hx-get", status_path)
        expect(lena.locator("[aria-live=polite] [data-testid=report-status]")).to_have_count(1)
        expect(downloads).to_have_count(0)
        browsing.assert_accessible(lena, "report page while the build is queued (lena)")
        start_build_worker()
        # The panel polls reports:status; when the build has finished the page shows the report itself.
        expect(downloads).to_be_visible(timeout=BUILD_TIMEOUT_MS)
        polled = [url for url, status in browsing.responses if url == _url(live_server, status_path)]
        assert polled, "the page did not poll the build's status"
        assert all(status == 200 for url, status in browsing.responses if url == _url(live_server, status_path))
    else:
        expect(downloads).to_be_visible()
    expect(lena).to_have_url(_url(live_server, detail_path))
    expect(lena.get_by_test_id("report-status")).to_have_count(0)
    report.refresh_from_db()
    assert (report.status, report.error, report.attempts) == (Report.Status.DONE, "", 1)
    assert report.results is not None
    assert report.results["period"]["label"] == quarter.label
    rows = [metric for _section, metrics in sections(report.results) for metric in metrics]
    assert rows, "the report has metric rows"
    for section, metrics in sections(report.results):
        expect(lena.locator(f"[data-testid='metrics-{section.key}'] tbody tr")).to_have_count(len(metrics))
    expect(downloads.get_by_test_id("report-rebuild")).to_have_attribute(
        "action", reverse("reports:rebuild", args=[report.pk])
    )
    browsing.assert_accessible(lena, "the built report (lena)")

    # --- the downloads: the PDF and the XLSX, each audited ---
    pdf = _download(lena, f"[data-testid=report-downloads] a[href='{reverse('reports:pdf', args=[report.pk])}']")
    assert pdf.startswith(b"%PDF"), pdf[:20]
    assert hashlib.sha256(pdf).hexdigest() == report.pdf_sha256, "the stored PDF"

    xlsx = _download(lena, f"[data-testid=report-downloads] a[href='{reverse('reports:xlsx', args=[report.pk])}']")
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    workbook = load_workbook(io.BytesIO(xlsx), read_only=True)
    sheet = workbook.worksheets[0]  # the metric table; the sheets' names are in the reader's language
    keys = [metric["key"] for metric in rows]
    read = [row for row in sheet.iter_rows(values_only=True) if row and row[-1] in keys]
    assert [row[-1] for row in read] == keys, "the metric rows, one a metric, in the report's order"
    for row, metric in zip(read, rows, strict=True):
        assert _same_cell(row[2], metric["value"]), (metric["key"], row[2], metric["value"])
        assert _same_cell(row[3], metric["previous"]), (metric["key"], row[3], metric["previous"])
    workbook.close()

    exports = AuditEvent.objects.filter(
        action=AuditAction.EXPORT, object_type="reports.report", object_id=str(report.pk)
    ).order_by("occurred_at", "id")
    assert [(event.actor_id, event.detail) for event in exports] == [
        (lena_staff.pk, {"format": "pdf"}),
        (lena_staff.pk, {"format": "xlsx"}),
    ]
    assert all(event.program_id == lena_staff.program_id for event in exports)

    # --- petra: reads the report and downloads, but orders and builds nothing ---
    petra = browsing.as_persona("petra")
    with petra.expect_navigation():
        petra.locator(f"nav a.nav-link[href='{list_path}']").click()
    expect(petra).to_have_url(_url(live_server, list_path))
    expect(petra.get_by_test_id("order-form")).to_have_count(0)
    expect(petra.locator(f"main [href='{reverse('reports:order')}']")).to_have_count(0)
    report_link = petra.get_by_test_id("report-list").locator(f"a[href='{detail_path}']")
    expect(report_link).to_have_count(1)
    browsing.assert_accessible(petra, "report archive (petra)")
    with petra.expect_navigation():
        report_link.click()
    expect(petra).to_have_url(_url(live_server, detail_path))
    expect(petra.get_by_test_id("report-downloads")).to_be_visible()
    expect(petra.get_by_test_id("report-rebuild")).to_have_count(0)
    expect(petra.locator("main form[method=post]")).to_have_count(0)
    browsing.assert_accessible(petra, "the built report (petra)")
    _assert_not_found(petra, reverse("reports:order"), "petra may not order a report")

    # --- sara: no reports at all ---
    sara = browsing.as_persona("sara")
    expect(sara.locator(f"nav a.nav-link[href='{list_path}']")).to_have_count(0)
    _assert_not_found(sara, detail_path, "sara must not see the report")
    assert str(report.label) not in sara.content()

    # Nobody but lena downloaded it: petra opened it only.
    assert exports.count() == 2
