"""A report of the demo program builds in a real Celery worker against Redis (issue 12, "what it must show").

Lena orders her quarterly report through the service; the build is sent to Redis when the order commits, and a
worker (in a thread of this process, solo pool) picks it up, counts, renders and stores it. Skipped without
REDIS_URL; CI sets it.
"""

from __future__ import annotations

import hashlib
import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import transaction

from gvi.celery import app
from reports import services
from reports.metrics import METRIC_KINDS
from reports.models import Report, ReportKind
from reports.results import metrics_by_key

WAIT_SECONDS = 60


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL) for a real worker")
def test_lenas_report_builds_in_a_real_worker_against_redis() -> None:
    from django.utils import timezone

    from gvi.demo import build_personas

    # A transactional test may start from a flushed database: the personas are all the order needs.
    lena = build_personas()["lena"]
    quarter = services.last_finished_quarter(timezone.localdate())
    app.conf.task_always_eager = False
    app.conf.broker_transport_options = {"visibility_timeout": 30}
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
            started = time.monotonic()
            with transaction.atomic():
                report = services.order_report(
                    lena, kind=ReportKind.QUARTERLY, year=quarter.first.year, quarter=quarter.quarter_number
                )
            deadline = started + WAIT_SECONDS
            while time.monotonic() < deadline and not report.finished:
                time.sleep(0.2)
                report.refresh_from_db()
            seconds = time.monotonic() - started
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
        app.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert (report.status, report.error) == (Report.Status.DONE, ""), f"not built in {seconds:.1f} s"
    assert report.attempts == 1
    with report.pdf.open("rb") as pdf:
        content = pdf.read()
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == report.pdf_sha256
    assert report.results is not None
    assert report.results["period"]["label"] == quarter.label
    assert list(metrics_by_key(report.results)) == list(METRIC_KINDS)
