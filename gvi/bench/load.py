"""The load test: gunicorn on a loopback port with production settings, locust's headless run of the three user
stories (tests/load/locustfile.py) against it, and its CSV figures read back for BENCHMARKS.md.

Locust's users log in through the real login form with password and TOTP code. The accounts they use are
written to a file for them (mode 0600): bench and demo accounts only, whose password is the demo one and whose
TOTP keys the database holds."""

from __future__ import annotations

import csv
import json
import math
import os
import secrets
import socket
import subprocess  # nosec B404 - starts our own gunicorn and locust, with argument lists
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from gvi.accounts.models import Role

LOCUSTFILE = Path(settings.BASE_DIR) / "tests" / "load" / "locustfile.py"
LOOPBACK = "127.0.0.1"

# The user stories of the traffic mix and their weights: the locustfile's user classes carry the same.
STORIES: Mapping[str, tuple[str, int]] = {
    "social": (Role.SOCIAL_WORKER, 3),
    "police": (Role.POLICE_COORDINATOR, 2),
    "lead": (Role.PROGRAM_LEAD, 1),
}


def story_share(users: int, story: str) -> int:
    """At most how many of `users` locust gives a story (its weight's share, rounded up)."""
    total = sum(weight for _role, weight in STORIES.values())
    return math.ceil(users * STORIES[story][1] / total)


def locust_accounts(*, password: str, users: int) -> dict[str, list[dict[str, Any]]]:
    """Per story, accounts of its role that have a confirmed TOTP device and the given password, as many as
    locust may run of that story (fewer in a small data set: locust's users then share them, one login each)."""
    stories: dict[str, list[dict[str, Any]]] = {}
    for story, (role, _weight) in STORIES.items():
        devices = (
            TOTPDevice.objects.filter(confirmed=True, user__role=role, user__is_active=True)
            .select_related("user")
            .order_by("user__username", "id")
        )
        chosen: list[dict[str, Any]] = []
        seen: set[int] = set()
        for device in devices.iterator():
            if len(chosen) >= story_share(users, story):
                break
            if device.user_id in seen or not device.user.check_password(password):
                continue
            seen.add(device.user_id)
            chosen.append(
                {
                    "username": device.user.username,
                    "password": password,
                    "totp_key": device.key,
                    "step": device.step,
                    "t0": device.t0,
                    "digits": device.digits,
                }
            )
        stories[story] = chosen
    return stories


def write_accounts(path: Path, accounts: Mapping[str, list[dict[str, Any]]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(accounts, handle, indent=1)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _tool(name: str) -> str:
    """A console script of this interpreter's environment (gunicorn, locust)."""
    return str(Path(sys.executable).parent / name)


def server_environment() -> dict[str, str]:
    """Production settings (DEBUG off, a secret key, manifest-free static files) but plain HTTP on loopback, so
    no HTTPS redirect and no Secure-only cookies; the database is the bench's (DATABASE_URL is inherited)."""
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": LOOPBACK,
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "STATIC_MANIFEST": "false",
    }


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before answering")
        try:
            health = f"{url}/healthz"  # http on loopback, made here
            with urllib.request.urlopen(health, timeout=5) as response:  # noqa: S310  # nosec B310 - see above
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer {url}/healthz within {timeout:.0f} s")


@contextmanager
def loopback_server(*, workers: int, log_path: Path) -> Iterator[str]:
    """gunicorn serving the project on a free loopback port; stopped (its own process only) on the way out."""
    port = _free_port()
    url = f"http://{LOOPBACK}:{port}"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        _tool("gunicorn"),
        "gvi.wsgi:application",
        "--bind",
        f"{LOOPBACK}:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603  # nosec B603 - our own argument list
            command, cwd=settings.BASE_DIR, env=server_environment(), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_healthy(url, process, timeout=60)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass
class LoadRow:
    method: str
    name: str
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    average_ms: float
    max_ms: float
    per_second: float


@dataclass
class LoadFailure:
    method: str
    name: str
    error: str
    occurrences: int


@dataclass
class LoadResult:
    users: int
    spawn_rate: int
    run_time: str
    workers: int
    exit_code: int
    accounts: dict[str, int] = field(default_factory=dict)
    rows: list[LoadRow] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)

    @property
    def total(self) -> LoadRow | None:
        return next((row for row in self.rows if row.name == "Aggregated"), None)

    def misses(self) -> list[str]:
        total = self.total
        if total is None:
            return ["locust recorded no requests"]
        if total.failures:
            return [f"{total.failures} of {total.requests} requests failed"]
        return []


def _number(value: str) -> float:
    return float(value) if value not in ("", "N/A") else 0.0


def read_locust_csv(prefix: Path) -> tuple[list[LoadRow], list[LoadFailure]]:
    """Locust's `<prefix>_stats.csv` (one row per request name, and "Aggregated") and `_failures.csv`."""
    with Path(f"{prefix}_stats.csv").open(newline="") as handle:
        rows = [
            LoadRow(
                method=row["Type"],
                name=row["Name"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                p50_ms=_number(row["50%"]),
                p95_ms=_number(row["95%"]),
                average_ms=_number(row["Average Response Time"]),
                max_ms=_number(row["Max Response Time"]),
                per_second=_number(row["Requests/s"]),
            )
            for row in csv.DictReader(handle)
        ]
    failures_path = Path(f"{prefix}_failures.csv")
    failures = []
    if failures_path.exists():
        with failures_path.open(newline="") as handle:
            failures = [
                LoadFailure(row["Method"], row["Name"], row["Error"], int(row["Occurrences"]))
                for row in csv.DictReader(handle)
            ]
    return rows, failures


def run_locust(
    *,
    host: str,
    accounts_path: Path,
    users: int,
    spawn_rate: int,
    run_time: str,
    csv_prefix: Path,
    log_path: Path,
    timeout: float,
) -> int:
    """Locust headless against `host` (loopback), bounded by `run_time` and, as a backstop, `timeout`."""
    if not host.startswith(f"http://{LOOPBACK}:"):
        raise ValueError(f"the load test runs against loopback only, not {host}")
    command = [
        _tool("locust"),
        "--locustfile",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        run_time,
        "--stop-timeout",
        "10",
        "--host",
        host,
        "--csv",
        str(csv_prefix),
        "--only-summary",
    ]
    env = {**os.environ, "LOCUST_ACCOUNTS": str(accounts_path)}
    with log_path.open("wb") as log:
        finished = subprocess.run(  # noqa: S603  # nosec B603 - our own argument list
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout, check=False
        )
    return finished.returncode
