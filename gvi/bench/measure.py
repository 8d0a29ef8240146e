"""In-process measurements: each route through Django's test client as an MFA-verified persona (queries per
request, p50 / p95 server latency), each main list's access-filtered query against the same query unfiltered,
and the quarterly report's build (time and memory), as the Celery task builds it."""

from __future__ import annotations

import gc
import logging
import math
import resource
import time
import tracemalloc
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.http.response import HttpResponseBase
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from gvi import access
from gvi.accounts.models import Staff
from gvi.bench.routes import FIRST_PAGE, ROUTES, ListSpec, Route, Targets

# DESIGN.md "Performance targets".
QUERY_BUDGET = 15
P95_LIMIT_MS = 100.0
FILTER_OVERHEAD_LIMIT_MS = 10.0
REPORT_LIMIT_S = 10.0


class BenchError(Exception):
    """The bench cannot measure what it was asked to (a missing persona, a failed report build)."""


def percentile(samples: Iterable[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `fraction` of the samples at or below it."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def timed_ms(call: Callable[[], Any], *, warmup: int, repeat: int) -> list[float]:
    """Milliseconds of `repeat` calls after `warmup` unmeasured ones (caches, connections, compiled templates)."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def staff_named(username: str) -> Staff:
    staff = Staff.objects.filter(username=username, is_active=True).first()
    if staff is None:
        raise BenchError(f"no active staff member {username!r} in this database (seed it first: seed_scale)")
    return staff


def verified_client(user: Staff) -> Client:
    """A client logged in and OTP-verified as `user`, as tests/conftest.py makes them: the login itself (password
    hashing, TOTP) is not what the bench measures. English, and server errors answer 500 instead of raising."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise BenchError(f"{user.username} has no confirmed TOTP device, so no page would let them in")
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


# --------------------------------------------------------------------------------------------------
# Routes


@dataclass
class RouteResult:
    persona: str
    label: str
    api: bool
    method: str
    path: str
    status: int
    queries: int | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    note: str = ""

    @property
    def measured(self) -> bool:
        return self.p95_ms is not None

    def misses(self) -> list[str]:
        if self.status >= 500:
            return [f"answered {self.status}"]
        if not self.measured:
            return []
        found = []
        if self.queries is not None and self.queries > QUERY_BUDGET:
            found.append(f"{self.queries} queries (budget {QUERY_BUDGET})")
        if self.p95_ms is not None and self.p95_ms > P95_LIMIT_MS:
            found.append(f"p95 {self.p95_ms:.1f} ms (limit {P95_LIMIT_MS:.0f} ms)")
        return found


def send(client: Client, route: Route, path: str, term: str) -> HttpResponseBase:
    """One request as a browser or an API client sends it: searches by POST (pages: a form; API: JSON), over
    HTTPS as production is served (so SECURE_SSL_REDIRECT does not answer instead of the view)."""
    if route.search and route.api:
        response = client.post(path, {"term": term}, content_type="application/json", secure=True)
    elif route.search:
        response = client.post(path, {"term": term}, secure=True)
    else:
        response = client.get(path, secure=True)
    return response


def measure_route(
    client: Client, persona: str, route: Route, targets: Targets, *, warmup: int, repeat: int
) -> RouteResult:
    """Queries of one warm request and the latency of `repeat` more. A route the persona cannot use (no record
    to open, or not 200) is listed with the reason and not timed: a refusal is not the page's cost."""

    def unmeasured(path: str, status: int, note: str) -> RouteResult:
        return RouteResult(persona, route.label, route.api, route.method, path, status, note=note)

    if route.needs and route.needs not in targets.pks:
        return unmeasured("", 0, f"sees no {route.needs}")
    if route.search and not targets.search_term:
        return unmeasured("", 0, "no search term (sees no person)")
    path = route.url(targets.pks)
    first = send(client, route, path, targets.search_term)
    if first.status_code != 200:
        refused = first.status_code in (403, 404)
        note = "not open to this persona" if refused else "server error" if first.status_code >= 500 else "not 200"
        return unmeasured(path, first.status_code, note)
    with CaptureQueriesContext(connection) as captured:
        send(client, route, path, targets.search_term)
    queries = len(captured.captured_queries)  # now: the next request's start empties the connection's log
    samples = timed_ms(lambda: send(client, route, path, targets.search_term), warmup=warmup, repeat=repeat)
    return RouteResult(
        persona,
        route.label,
        route.api,
        route.method,
        path,
        200,
        queries=queries,
        p50_ms=percentile(samples, 0.5),
        p95_ms=percentile(samples, 0.95),
        note=f'searched "{targets.search_term}"' if route.search else "",
    )


def measure_routes(
    user: Staff,
    targets: Targets,
    *,
    routes: Iterable[Route] = ROUTES,
    warmup: int,
    repeat: int,
    progress: Callable[[RouteResult], None] | None = None,
) -> list[RouteResult]:
    results = []
    # Refusals (404) are expected for routes outside a persona's role: keep them out of the log, errors stay.
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    # The test client's host; the bench runs with the deployment's settings otherwise.
    try:
        with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
            client = verified_client(user)
            # As each server worker does once the app is loaded (gvi/wsgi.py): what the bench holds by now is
            # never scanned by the garbage collector again.
            gc.collect()
            gc.freeze()
            for route in routes:
                result = measure_route(client, user.username, route, targets, warmup=warmup, repeat=repeat)
                results.append(result)
                if progress is not None:
                    progress(result)
    finally:
        request_log.setLevel(level)
    return results


# --------------------------------------------------------------------------------------------------
# The access filter against the unfiltered floor


@dataclass
class FilterResult:
    persona: str
    key: str
    model: str
    rows: int
    filtered_p50_ms: float | None = None
    filtered_p95_ms: float | None = None
    floor_p50_ms: float | None = None
    floor_p95_ms: float | None = None
    note: str = ""

    @property
    def overhead_p95_ms(self) -> float | None:
        if self.filtered_p95_ms is None or self.floor_p95_ms is None:
            return None
        return self.filtered_p95_ms - self.floor_p95_ms

    def misses(self) -> list[str]:
        overhead = self.overhead_p95_ms
        if overhead is None or overhead <= FILTER_OVERHEAD_LIMIT_MS:
            return []
        return [
            f"filtered p95 {self.filtered_p95_ms:.1f} ms vs floor {self.floor_p95_ms:.1f} ms: "
            f"+{overhead:.1f} ms (limit +{FILTER_OVERHEAD_LIMIT_MS:.0f} ms)"
        ]


def measure_filter(user: Staff, spec: ListSpec, *, warmup: int, repeat: int) -> FilterResult:
    """The list's first page as its page reads it (`access.visible`, narrowed as the list narrows it, in the
    page's order) against the same page of the same table with no filter, the floor. Both are timed
    alternately, so drift hits both alike."""
    model = spec.model
    if access.visible(user, model).query.is_empty():
        return FilterResult(user.username, spec.key, spec.model_label, 0, note="the role sees none")

    def filtered() -> list[Any]:
        return list(spec.visible(user).order_by(*spec.ordering)[:FIRST_PAGE])

    def floor() -> list[Any]:
        return list(model._default_manager.order_by(*spec.ordering)[:FIRST_PAGE])

    rows = len(filtered())
    for _ in range(warmup):
        filtered()
        floor()
    with_filter: list[float] = []
    without: list[float] = []
    for _ in range(repeat):
        with_filter += timed_ms(filtered, warmup=0, repeat=1)
        without += timed_ms(floor, warmup=0, repeat=1)
    return FilterResult(
        user.username,
        spec.key,
        spec.model_label,
        rows,
        filtered_p50_ms=percentile(with_filter, 0.5),
        filtered_p95_ms=percentile(with_filter, 0.95),
        floor_p50_ms=percentile(without, 0.5),
        floor_p95_ms=percentile(without, 0.95),
    )


# --------------------------------------------------------------------------------------------------
# The quarterly report


@dataclass
class ReportResult:
    period: str
    status: str
    build_s: float
    pdf_bytes: int
    maxrss_before_mb: float
    maxrss_after_mb: float
    traced_build_s: float | None = None
    tracemalloc_peak_mb: float | None = None

    @property
    def maxrss_delta_mb(self) -> float:
        return self.maxrss_after_mb - self.maxrss_before_mb

    def misses(self) -> list[str]:
        if self.status != "done":
            return [f"the build ended {self.status}"]
        if self.build_s > REPORT_LIMIT_S:
            return [f"build {self.build_s:.1f} s (limit {REPORT_LIMIT_S:.0f} s)"]
        return []


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _ordered_and_built(lead: Staff) -> tuple[Any, float]:
    """Order the last finished quarter's report as the lead (not queued) and build it as the Celery task does:
    `reports.services.build`, which counts, suppresses, renders the PDF and stores it as the system actor."""
    from reports import services
    from reports.models import ReportKind

    period = services.last_finished_quarter(timezone.localdate())
    report = services.order_report(
        lead, kind=ReportKind.QUARTERLY, year=period.first.year, quarter=(period.first.month + 2) // 3, enqueue=False
    )
    started = time.perf_counter()
    built = services.build(report.pk)
    elapsed = time.perf_counter() - started
    if built is None:
        raise BenchError(f"report {report.pk} vanished during its build")
    return built, elapsed


def measure_report(lead: Staff, *, trace_memory: bool = True) -> ReportResult:
    """Two builds, each a new edition in the archive: one timed (the target), whose ru_maxrss growth is the
    process's peak beyond what it held before; one under tracemalloc for the Python heap's peak (tracing slows
    it, so its time is shown apart). WeasyPrint is imported first, as a worker has it after its first report."""
    import reports.pdf  # noqa: F401  (a warm worker)

    before = _maxrss_mb()
    report, elapsed = _ordered_and_built(lead)
    result = ReportResult(
        period=report.label,
        status=str(report.status),
        build_s=elapsed,
        pdf_bytes=report.pdf.size if report.pdf else 0,
        maxrss_before_mb=before,
        maxrss_after_mb=_maxrss_mb(),
    )
    if trace_memory:
        tracemalloc.start()
        try:
            _traced, traced_elapsed = _ordered_and_built(lead)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        result.traced_build_s = traced_elapsed
        result.tracemalloc_peak_mb = peak / 1024 / 1024
    return result
