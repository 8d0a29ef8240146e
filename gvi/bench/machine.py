"""What the figures were measured on: the machine, the database and how much data it held."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

# The tables of DESIGN.md's national scale, plus what the bench itself adds to (reports, audit events).
COUNTED_MODELS = (
    "cases.person",
    "mapping.group",
    "mapping.groupmembership",
    "mapping.incident",
    "outreach.exitcase",
    "outreach.contact",
    "interventions.callin",
    "interventions.callininvitation",
    "interventions.customnotification",
    "interventions.enforcementround",
    "interventions.incidentresponse",
    "notifications.notification",
    "reports.report",
    "accounts.agency",
    "accounts.staff",
    "audit.auditevent",
)


def _proc_value(path: str, key: str) -> str:
    """A "key : value" line of a /proc file, or "" where there is none (not Linux)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return ""
    for line in lines:
        name, _sep, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    return ""


def database_version() -> str:
    version = ".".join(str(part) for part in connection.get_database_version())
    return f"{connection.display_name} {version}"


def describe_machine() -> dict[str, str]:
    memory_kb = _proc_value("/proc/meminfo", "MemTotal").removesuffix(" kB")
    memory = f"{int(memory_kb) / 1024 / 1024:.1f} GiB" if memory_kb.isdigit() else "unknown"
    return {
        "date": timezone.now().strftime("%Y-%m-%d %H:%M UTC"),
        "cpus (nproc)": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
        "cpu model": _proc_value("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "memory": memory,
        "database": database_version(),
        "database name": str(settings.DATABASES["default"].get("NAME", "")),
        "python": platform.python_version(),
        "django": django.get_version(),
        "debug": "on" if settings.DEBUG else "off",
        # Other work on the machine shows in the figures: the 1-minute load average as the bench started.
        "load average at start": f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "unknown",
    }


def data_counts() -> dict[str, int]:
    return {label: apps.get_model(label)._default_manager.count() for label in COUNTED_MODELS}
