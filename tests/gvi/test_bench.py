"""`make bench`'s measuring pieces on the demo data (Petra the police coordinator, Sara the social worker, Lena
the program lead), with two repetitions: numbers come out, refusals are listed and not timed, BENCHMARKS.md
renders, and the locustfile defines the three stories. Nothing here starts a server or a load run."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from gvi.bench import load, machine, markdown, measure
from gvi.bench.routes import ROUTES, main_lists, targets_for
from gvi.demo import DEMO_PASSWORD

LOCUST_STATS = """Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,\
Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%
GET,caseload,30,0,50,159.2,21,903,5120,1.01,0.0,50,71,79,340,630,880,900,900,900,900,900
POST,login,6,1,950,1169.4,889,1755,0,0.2,0.03,950,950,1600,1600,1800,1800,1800,1800,1800,1800,1800
,Aggregated,36,1,58,179.0,11,1837,4300,1.21,0.03,58,82,120,200,540,890,1600,1800,1800,1800,1800
"""
LOCUST_FAILURES = """Method,Name,Error,Occurrences
POST,login,login refused for sara (200),1
"""


def _routes(*labels: tuple[str, bool]) -> list[Any]:
    return [r for r in ROUTES if (r.label, r.api) in labels]


def test_police_coordinator_routes_give_queries_and_latency(world: dict[str, Any]) -> None:
    petra = world["petra"]
    targets = targets_for(petra, main_lists())
    routes = _routes(("group list", False), ("group page", False), ("person search", True))
    results = measure.measure_routes(petra, targets, routes=routes, warmup=0, repeat=2)
    assert [r.label for r in results] == ["group list", "group page", "person search"]
    for result in results:
        assert result.status == 200, result
        assert result.queries
        assert 0 < (result.p50_ms or 0) <= (result.p95_ms or 0)
    assert results[1].path == f"/mapping/groups/{targets.pks['group']}/"
    assert targets.search_term
    assert targets.search_term in results[2].note


def test_a_route_the_social_worker_cannot_open_is_listed_not_timed(world: dict[str, Any]) -> None:
    sara = world["sara"]
    targets = targets_for(sara, main_lists())
    assert "group" not in targets.pks  # the police's map is not hers
    group_list, group_page = measure.measure_routes(
        sara, targets, routes=_routes(("group list", False), ("group page", False)), warmup=0, repeat=2
    )
    assert (group_list.status, group_list.note, group_list.measured) == (404, "not open to this persona", False)
    assert (group_page.status, group_page.note) == (0, "sees no group")
    assert group_list.misses() == group_page.misses() == []


def test_list_filter_is_timed_against_the_unfiltered_floor(world: dict[str, Any]) -> None:
    specs = {spec.key: spec for spec in main_lists()}
    persons = measure.measure_filter(world["sara"], specs["person"], warmup=0, repeat=2)
    assert persons.rows > 0
    assert persons.filtered_p95_ms is not None
    assert persons.floor_p95_ms is not None
    assert persons.overhead_p95_ms == pytest.approx(persons.filtered_p95_ms - persons.floor_p95_ms)
    groups = measure.measure_filter(world["sara"], specs["group"], warmup=0, repeat=2)
    assert (groups.rows, groups.note, groups.overhead_p95_ms) == (0, "the role sees none", None)


def test_quarterly_report_build_is_timed_and_its_memory_measured(world: dict[str, Any]) -> None:
    result = measure.measure_report(world["lena"], trace_memory=False)
    assert result.status == "done"
    assert result.build_s > 0
    assert result.pdf_bytes > 0
    assert result.maxrss_after_mb >= result.maxrss_before_mb > 0
    assert result.misses() == []


def test_targets_missed_are_named_with_route_and_figures() -> None:
    slow = measure.RouteResult("petra", "group list", False, "GET", "/mapping/groups/", 200, 16, 40.0, 120.0)
    assert slow.misses() == ["16 queries (budget 15)", "p95 120.0 ms (limit 100 ms)"]
    broken = measure.RouteResult("petra", "inbox", False, "GET", "/notifications/", 500, note="server error")
    assert broken.misses() == ["answered 500"]
    filtered = measure.FilterResult("sara", "contact", "outreach.contact", 50, 20.0, 25.0, 2.0, 3.0)
    assert filtered.misses() == ["filtered p95 25.0 ms vs floor 3.0 ms: +22.0 ms (limit +10 ms)"]


def test_benchmarks_markdown_renders_every_section(world: dict[str, Any], tmp_path: Path) -> None:
    petra = world["petra"]
    routes = measure.measure_routes(
        petra, targets_for(petra, main_lists()), routes=_routes(("inbox", True)), warmup=0, repeat=2
    )
    filters = [measure.measure_filter(petra, main_lists()[0], warmup=0, repeat=2)]
    Path(f"{tmp_path}/locust_stats.csv").write_text(LOCUST_STATS)
    Path(f"{tmp_path}/locust_failures.csv").write_text(LOCUST_FAILURES)
    rows, failures = load.read_locust_csv(tmp_path / "locust")
    run = load.LoadResult(50, 10, "2m", 5, 1, accounts={"social": 3}, rows=rows, failures=failures)
    bench = markdown.Benchmarks(
        machine=machine.describe_machine(),
        counts=machine.data_counts(),
        personas=["petra"],
        warmup=0,
        repeat=2,
        routes=routes,
        filters=filters,
        load=run,
    )
    text = markdown.render(bench)
    assert text.startswith("# Benchmarks\n")
    for heading in ("## Machine and data", "## Targets missed", "## Pages and API", "## Access filter overhead"):
        assert heading in text
    assert "| cases.person |" in text
    assert "| petra | API | inbox | GET /api/notifications/ | 200 |" in text
    assert "Not measured in this run." in text  # no report build here
    assert "| POST | login | 6 | 1 | 950 | 1800 |" in text
    assert "- load test: 1 of 36 requests failed" in text
    assert "login refused for sara (200)" in text


def test_locust_accounts_are_the_stories_roles_with_their_totp_keys(world: dict[str, Any], tmp_path: Path) -> None:
    accounts = load.locust_accounts(password=DEMO_PASSWORD, users=50)
    usernames = {story: [a["username"] for a in chosen] for story, chosen in accounts.items()}
    assert "sara" in usernames["social"]
    assert "petra" in usernames["police"]
    assert "lena" in usernames["lead"]
    assert not any("anders" in chosen for chosen in usernames.values())  # an analyst is none of the stories
    sara = next(a for a in accounts["social"] if a["username"] == "sara")
    assert len(bytes.fromhex(sara["totp_key"])) == 20
    assert sara["digits"] == 6
    assert load.locust_accounts(password="not the password", users=50) == {"social": [], "police": [], "lead": []}
    path = tmp_path / "accounts.json"
    load.write_accounts(path, accounts)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_load_test_refuses_any_host_but_loopback(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="loopback only"):
        load.run_locust(
            host="http://10.0.0.5:8000",
            accounts_path=tmp_path / "a.json",
            users=1,
            spawn_rate=1,
            run_time="1s",
            csv_prefix=tmp_path / "locust",
            log_path=tmp_path / "locust.log",
            timeout=5,
        )


def test_percentile_is_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 31)]
    assert measure.percentile(samples, 0.5) == 15.0
    assert measure.percentile(samples, 0.95) == 29.0
    assert measure.percentile([7.0], 0.95) == 7.0


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="on PostgreSQL the command would run the real bench",
)
def test_bench_command_refuses_sqlite(db: None) -> None:
    with pytest.raises(CommandError, match="PostgreSQL only"):
        call_command("bench")


def test_locustfile_defines_the_three_stories() -> None:
    """Listed by locust itself in a child process: importing locust here would monkey-patch this one."""
    locust = Path(sys.executable).parent / "locust"
    listed = subprocess.run(
        [str(locust), "--locustfile", str(load.LOCUSTFILE), "--list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert set(listed.stdout.split()) >= {"SocialWorker", "PoliceCoordinator", "ProgramLead"}
