"""A worker killed in the middle of a report: the report is still built, exactly once (issue 14, point 6).

Two real Celery worker processes against Redis and the test's PostgreSQL database. The first takes the build
and stalls before rendering (tests/reports/worker_process.py); while the report is RUNNING the test kills it with
SIGKILL, so it can neither finish, fail the report nor acknowledge the message. The broker's visibility timeout
is set to a few seconds for the test, so Redis hands the unacknowledged message to the second worker, whose
build sees a RUNNING report older than the task time limit (also shortened) and takes it over.

Shown: one report row more for the period, status done with no error, two attempts, one "build done" audit event,
one PDF whose hash is the one stored, and nothing more happens after a further visibility timeout (the second
worker acknowledged the message). The workers consume a queue of their own, so no other test's task can reach
them. Skipped without PostgreSQL (the workers must share the test's database) or Redis.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from gvi.audit.models import AuditAction, AuditEvent
from gvi.celery import app
from reports import services
from reports.models import Report, ReportKind
from reports.tasks import build_report

VISIBILITY_TIMEOUT = 4  # seconds before Redis hands an unacknowledged message to another worker
TIME_LIMIT = 2  # a RUNNING build older than this died with its worker (must be below the visibility timeout)
WAIT_SECONDS = 90
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL) for real workers"),
]


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def _worker(script: list[str], queue: str, name: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_EAGER": "false",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "CELERY_TASK_TIME_LIMIT": str(TIME_LIMIT),
        "CELERY_TASK_SOFT_TIME_LIMIT": str(TIME_LIMIT),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    arguments = ["--pool=solo", f"--queues={queue}", f"--hostname={name}@%h", "--without-gossip", "--without-mingle"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*script, *arguments, "--loglevel=info"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for(
    report: Report, condition: Callable[[Report], bool], what: str, process: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if condition(report):
            return
        if process.poll() is not None:
            pytest.fail(f"the worker exited ({process.returncode}) before {what}: {log.read_text()[-3000:]}")
        time.sleep(0.2)
    pytest.fail(f"not {what} within {WAIT_SECONDS} s (status {report.status})")


def _built_events(report: Report) -> int:
    return AuditEvent.objects.filter(
        action=AuditAction.TASK, object_type="reports.report", object_id=str(report.pk), detail__build="done"
    ).count()


@pytest.mark.django_db(transaction=True)
def test_a_report_whose_worker_is_killed_mid_build_is_built_exactly_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from gvi.demo import build_personas

    lena = build_personas()["lena"]
    quarter = services.last_finished_quarter(timezone.localdate())
    queue = f"kill-test-{uuid.uuid4().hex[:8]}"
    # Order the report as Lena does, and send its build to the test's own queue instead of the default one.
    monkeypatch.setattr(services, "_enqueue_build", lambda report: None)
    period_reports = Report.objects.filter(program=lena.program, kind=ReportKind.QUARTERLY, period_first=quarter.first)
    before = period_reports.count()
    with transaction.atomic():
        report = services.order_report(
            lena, kind=ReportKind.QUARTERLY, year=quarter.first.year, quarter=quarter.quarter_number
        )
    assert report.status == Report.Status.QUEUED
    app.conf.task_always_eager = False  # the suite runs tasks in-process; this one goes to Redis
    try:
        build_report.apply_async(args=(report.pk,), queue=queue)
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER

    script = [sys.executable, str(ROOT / "tests" / "reports" / "worker_process.py")]
    with _worker([*script, "--stall"], queue, "stalls", tmp_path / "first.log") as first:
        _wait_for(
            report,
            lambda r: r.status == Report.Status.RUNNING,
            "running in the first worker",
            first,
            tmp_path / "first.log",
        )
        time.sleep(0.5)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    report.refresh_from_db()
    assert (report.status, report.attempts, bool(report.pdf)) == (Report.Status.RUNNING, 1, False)

    with _worker(script, queue, "finishes", tmp_path / "second.log") as second:
        _wait_for(report, lambda r: r.finished, "built by the second worker", second, tmp_path / "second.log")
        # One more visibility timeout and a restore cycle: the message was acknowledged, nothing runs again.
        time.sleep(VISIBILITY_TIMEOUT + 2)
        report.refresh_from_db()

    assert (report.status, report.error, report.attempts) == (Report.Status.DONE, "", 2)
    assert period_reports.count() == before + 1
    assert _built_events(report) == 1
    with report.pdf.open("rb") as pdf:
        content = pdf.read()
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == report.pdf_sha256
    assert len(list(Path(report.pdf.path).parent.glob(f"*-{report.pk}.pdf"))) == 1
