"""`manage.py bench`: measure DESIGN.md's performance targets on PostgreSQL and write BENCHMARKS.md.

`make bench` prepares the database (migrated, seeded by seed_scale) and calls this with --load."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from gvi.accounts.models import Staff
from gvi.bench import load, machine, markdown, measure
from gvi.bench.routes import ROUTES, main_lists, targets_for
from gvi.demo import DEMO_PASSWORD


def _default_workers() -> int:
    """gunicorn's usual 2 × cores + 1 sync workers."""
    return 2 * (os.cpu_count() or 1) + 1


class Command(BaseCommand):
    help = (
        "Measure queries per request and p50/p95 latency of the main pages and API routes per persona, the access "
        "filter's overhead on each main list, the quarterly report build, and (--load) a locust load test; write "
        "BENCHMARKS.md. PostgreSQL only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--persona",
            action="append",
            dest="personas",
            help="Username to measure as (repeatable). Default: seed_scale's bench_most (sees the most), bench_least "
            "(a handful of grants) and bench_social (a normal caseload).",
        )
        parser.add_argument("--lead", default="bench_lead", help="Program lead who orders the quarterly report.")
        parser.add_argument("--repeat", type=int, default=30, help="Timed requests per route (default 30).")
        parser.add_argument("--warmup", type=int, default=3, help="Unmeasured requests first (default 3).")
        parser.add_argument(
            "--route", action="append", dest="routes", help="Only routes whose label contains this (repeatable)."
        )
        parser.add_argument("--search-term", default="", help="Person search term (default: from the data).")
        parser.add_argument("--no-report", action="store_true", help="Skip the quarterly report build.")
        parser.add_argument("--load", action="store_true", help="Also run the locust load test (gunicorn).")
        parser.add_argument("--users", type=int, default=50, help="Locust users (default 50).")
        parser.add_argument("--spawn-rate", type=int, default=10, help="Locust users started per second.")
        parser.add_argument("--run-time", default="2m", help="Locust run time (default 2m).")
        parser.add_argument("--workers", type=int, default=_default_workers(), help="gunicorn workers.")
        parser.add_argument(
            "--password", default=DEMO_PASSWORD, help="Password of the bench/demo accounts locust logs in as."
        )
        parser.add_argument("--output", default="BENCHMARKS.md", help="File to write (relative to the project).")
        parser.add_argument("--work-dir", default="var/bench", help="Logs, locust CSVs, results.json.")
        parser.add_argument("--strict", action="store_true", help="Exit non-zero when a target is missed.")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "bench measures PostgreSQL only (the targets are PostgreSQL's); set DATABASE_URL=postgres://... "
                "(make bench uses BENCH_DATABASE_URL)."
            )
        base = Path(settings.BASE_DIR)
        work_dir = base / options["work_dir"]
        work_dir.mkdir(parents=True, exist_ok=True)
        usernames = options["personas"] or ["bench_most", "bench_least", "bench_social"]
        try:
            users = [measure.staff_named(name) for name in usernames]
            lead = None if options["no_report"] else measure.staff_named(options["lead"])
        except measure.BenchError as exc:
            raise CommandError(str(exc)) from exc
        if settings.DEBUG:
            self.stderr.write("DEBUG is on: its overhead is in the figures (make bench turns it off).")

        bench = markdown.Benchmarks(
            machine=machine.describe_machine(),
            counts=machine.data_counts(),
            personas=usernames,
            warmup=options["warmup"],
            repeat=options["repeat"],
        )
        self.stdout.write(f"Data: {bench.counts}")
        if lead is not None:
            self.stdout.write("Quarterly report build...")
            bench.report = measure.measure_report(lead)
            self.stdout.write(f"  {bench.report.period}: {bench.report.status} in {bench.report.build_s:.2f} s")
        self._measure_in_process(bench, users, options)
        if options["load"]:
            bench.load = self._load_test(work_dir, options)

        (base / options["output"]).write_text(markdown.render(bench))
        (work_dir / "results.json").write_text(json.dumps(asdict(bench), indent=1, default=str))
        self.stdout.write(f"Wrote {options['output']}.")
        misses = bench.misses()
        for miss in misses:
            self.stdout.write(self.style.WARNING(f"MISS {miss}"))
        if not misses:
            self.stdout.write(self.style.SUCCESS("Every target met."))
        if misses and options["strict"]:
            raise CommandError(f"{len(misses)} targets missed (--strict).")

    def _measure_in_process(self, bench: markdown.Benchmarks, users: list[Staff], options: dict[str, Any]) -> None:
        lists = main_lists()
        wanted = options["routes"]
        routes = [r for r in ROUTES if not wanted or any(w in r.label for w in wanted)]
        for user in users:
            targets = targets_for(user, lists, search_term=options["search_term"])
            self.stdout.write(f"Routes as {user.username}...")
            bench.routes += measure.measure_routes(
                user,
                targets,
                routes=routes,
                warmup=options["warmup"],
                repeat=options["repeat"],
                progress=self._print_route,
            )
            self.stdout.write(f"List filters as {user.username}...")
            for spec in lists:
                result = measure.measure_filter(user, spec, warmup=options["warmup"], repeat=options["repeat"])
                bench.filters.append(result)
                overhead = result.overhead_p95_ms
                shown = result.note if overhead is None else f"p95 overhead {overhead:+.1f} ms"
                self.stdout.write(f"  {spec.key}: {shown}")

    def _print_route(self, result: measure.RouteResult) -> None:
        kind = "API " if result.api else "page"
        if result.measured:
            self.stdout.write(
                f"  {kind} {result.label}: {result.queries} queries, p50 {result.p50_ms:.1f} ms, "
                f"p95 {result.p95_ms:.1f} ms"
            )
        else:
            self.stdout.write(f"  {kind} {result.label}: {result.status or '-'} {result.note}")

    def _load_test(self, work_dir: Path, options: dict[str, Any]) -> load.LoadResult:
        accounts = load.locust_accounts(password=options["password"], users=options["users"])
        empty = [story for story, chosen in accounts.items() if not chosen]
        if empty:
            raise CommandError(
                f"no account with a TOTP device and the given password for: {', '.join(empty)} (seed_scale makes them)"
            )
        accounts_path = work_dir / "locust-accounts.json"
        load.write_accounts(accounts_path, accounts)
        result = load.LoadResult(
            users=options["users"],
            spawn_rate=options["spawn_rate"],
            run_time=options["run_time"],
            workers=options["workers"],
            exit_code=-1,
            accounts={story: len(chosen) for story, chosen in accounts.items()},
        )
        csv_prefix = work_dir / "locust"
        self.stdout.write(
            f"Load test: {result.users} users for {result.run_time} against gunicorn ({result.workers} workers)..."
        )
        with load.loopback_server(workers=options["workers"], log_path=work_dir / "gunicorn.log") as url:
            result.exit_code = load.run_locust(
                host=url,
                accounts_path=accounts_path,
                users=result.users,
                spawn_rate=result.spawn_rate,
                run_time=result.run_time,
                csv_prefix=csv_prefix,
                log_path=work_dir / "locust.log",
                timeout=_seconds(result.run_time) + 120,
            )
        result.rows, result.failures = load.read_locust_csv(csv_prefix)
        total = result.total
        if total is not None:
            self.stdout.write(f"  {total.requests} requests, {total.failures} failed, p95 {total.p95_ms:.0f} ms")
        return result


def _seconds(run_time: str) -> float:
    """Locust's run time ("2m", "90s", "1h30m") in seconds."""
    total, number = 0.0, ""
    for char in run_time:
        if char.isdigit():
            number += char
        elif char in "hms" and number:
            total += int(number) * {"h": 3600, "m": 60, "s": 1}[char]
            number = ""
        else:
            raise CommandError(f"run time {run_time!r}: use e.g. 2m, 90s, 1h30m")
    return total + (int(number) if number else 0)
