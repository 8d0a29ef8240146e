"""BENCHMARKS.md, written whole from one bench run: machine and data, the targets missed, then the tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from gvi.bench.load import LoadResult
from gvi.bench.measure import (
    FILTER_OVERHEAD_LIMIT_MS,
    P95_LIMIT_MS,
    QUERY_BUDGET,
    REPORT_LIMIT_S,
    FilterResult,
    ReportResult,
    RouteResult,
)


@dataclass
class Benchmarks:
    machine: dict[str, str]
    counts: dict[str, int]
    personas: list[str]
    warmup: int
    repeat: int
    routes: list[RouteResult] = field(default_factory=list)
    filters: list[FilterResult] = field(default_factory=list)
    report: ReportResult | None = None
    load: LoadResult | None = None

    def misses(self) -> list[str]:
        """Every target missed, one line each, naming the route or list and the figures."""
        found = []
        for route in self.routes:
            found += [f"{route.persona} {_route_name(route)}: {miss}" for miss in route.misses()]
        for result in self.filters:
            found += [f"{result.persona} {result.key} list filter: {miss}" for miss in result.misses()]
        if self.report is not None:
            found += [f"quarterly report {self.report.period}: {miss}" for miss in self.report.misses()]
        if self.load is not None:
            found += [f"load test: {miss}" for miss in self.load.misses()]
        return found


def _route_name(route: RouteResult) -> str:
    return f"{'API' if route.api else 'page'} {route.label} ({route.method} {route.path or '-'})"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _mark(misses: Sequence[str], measured: bool = True) -> str:
    if misses:
        return "MISS"
    return "ok" if measured else "–"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def render(bench: Benchmarks) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`manage.py bench`, gvi/bench/); regenerated whole on every run, do not edit.",
        "Targets (DESIGN.md, Performance targets): "
        f"≤ {QUERY_BUDGET} queries per page, p95 ≤ {P95_LIMIT_MS:.0f} ms server time, access filter p95 ≤ unfiltered "
        f"p95 + {FILTER_OVERHEAD_LIMIT_MS:.0f} ms, quarterly PDF ≤ {REPORT_LIMIT_S:.0f} s, load test 0 errors.",
        "",
        "## Machine and data",
        "",
        *_table(["", ""], bench.machine.items()),
        "",
        *_table(["table", "rows"], [(label, f"{count:,}") for label, count in bench.counts.items()]),
        "",
        "## Targets missed",
        "",
    ]
    misses = bench.misses()
    lines += [f"- {miss}" for miss in misses] if misses else ["None."]
    lines += _routes_section(bench) + _filters_section(bench) + _report_section(bench) + _load_section(bench)
    return "\n".join(lines) + "\n"


def _routes_section(bench: Benchmarks) -> list[str]:
    lines = [
        "",
        "## Pages and API",
        "",
        f"In process through Django's test client, logged in and OTP-verified (personas: {', '.join(bench.personas)}). "
        f"Queries: one warm request. Latency: {bench.repeat} requests after {bench.warmup} warm-ups, server time only "
        "(no network, no browser). Routes a persona cannot open are listed, not timed.",
        "",
    ]
    rows = [
        (
            route.persona,
            "API" if route.api else "page",
            route.label,
            f"{route.method} {route.path}" if route.path else "–",
            str(route.status or "–"),
            "–" if route.queries is None else str(route.queries),
            _ms(route.p50_ms),
            _ms(route.p95_ms),
            _mark(route.misses(), route.measured),
            route.note,
        )
        for route in bench.routes
    ]
    header = ["persona", "kind", "route", "request", "status", "queries", "p50 ms", "p95 ms", "target", "note"]
    return lines + _table(header, rows)


def _filters_section(bench: Benchmarks) -> list[str]:
    lines = [
        "",
        "## Access filter overhead",
        "",
        "Each main list's first page (50 rows) in its page's default order: `access.visible(user, Model)` against "
        "the same query on `Model.objects` (the floor), timed alternately.",
        "",
    ]
    rows = [
        (
            result.persona,
            result.key,
            str(result.rows),
            _ms(result.filtered_p50_ms),
            _ms(result.filtered_p95_ms),
            _ms(result.floor_p50_ms),
            _ms(result.floor_p95_ms),
            "–" if result.overhead_p95_ms is None else f"{result.overhead_p95_ms:+.1f}",
            _mark(result.misses(), result.overhead_p95_ms is not None),
            result.note,
        )
        for result in bench.filters
    ]
    header = [
        "persona",
        "list",
        "rows shown",
        "filtered p50",
        "filtered p95",
        "floor p50",
        "floor p95",
        "p95 overhead ms",
        "target",
        "note",
    ]
    return lines + _table(header, rows)


def _report_section(bench: Benchmarks) -> list[str]:
    lines = ["", "## Quarterly report", ""]
    report = bench.report
    if report is None:
        return [*lines, "Not measured in this run."]
    rows = [
        ("period", report.period),
        ("status", report.status),
        ("build time (count, suppress, render PDF, store)", f"{report.build_s:.2f} s"),
        ("target", _mark(report.misses())),
        ("PDF size", f"{report.pdf_bytes / 1024:.0f} KiB"),
        (
            "peak resident memory (ru_maxrss) before → after the build",
            f"{report.maxrss_before_mb:.0f} → {report.maxrss_after_mb:.0f} MiB (+{report.maxrss_delta_mb:.0f} MiB)",
        ),
    ]
    if report.tracemalloc_peak_mb is not None and report.traced_build_s is not None:
        rows.append(("Python heap peak of a second build (tracemalloc)", f"{report.tracemalloc_peak_mb:.1f} MiB"))
        rows.append(("that build's time, slowed by tracing", f"{report.traced_build_s:.2f} s"))
    note = (
        "Built as the Celery task builds it (`reports.services.build`, as the program's system actor), in process, "
        "after ordering it as the program lead; each run adds its editions to the archive."
    )
    return [*lines, note, "", *_table(["", ""], rows)]


def _load_section(bench: Benchmarks) -> list[str]:
    lines = ["", "## Load test", ""]
    load = bench.load
    if load is None:
        return [*lines, "Not run in this run (`manage.py bench --load` runs it)."]
    accounts = ", ".join(f"{story} {count}" for story, count in load.accounts.items())
    lines += [
        f"locust (tests/load/locustfile.py), headless: {load.users} users, spawn rate {load.spawn_rate}/s, "
        f"{load.run_time}, against gunicorn ({load.workers} sync workers, DEBUG off) on 127.0.0.1, both on this "
        f"machine. Users log in through the login form with password and TOTP (accounts per story: {accounts}; "
        "users of one account share its session). Latency under load is reported, not a target; errors are.",
        "",
        f"Errors: {_mark(load.misses())} (locust exit code {load.exit_code}).",
        "",
    ]
    rows = [
        (
            row.method,
            row.name,
            str(row.requests),
            str(row.failures),
            f"{row.p50_ms:.0f}",
            f"{row.p95_ms:.0f}",
            f"{row.average_ms:.0f}",
            f"{row.max_ms:.0f}",
            f"{row.per_second:.1f}",
        )
        for row in load.rows
    ]
    header = ["method", "request", "requests", "failures", "p50 ms", "p95 ms", "mean ms", "max ms", "req/s"]
    lines += _table(header, rows)
    if load.failures:
        lines += ["", "Failures:", ""]
        lines += _table(
            ["method", "request", "error", "count"],
            [(f.method, f.name, f.error, str(f.occurrences)) for f in load.failures],
        )
    return lines
