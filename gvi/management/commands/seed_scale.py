"""`manage.py seed_scale`: the national-scale data set for `make bench` (gvi/scale)."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gvi import scale
from gvi.demo import DEMO_PASSWORD
from gvi.scale.loader import Stats
from gvi.scale.world import BENCH_PERSONAS, PROGRAM_SLUG


class Command(BaseCommand):
    help = (
        "Build the national-scale data set of DESIGN.md (62,000 persons, 1,000 groups, 150,000 memberships, "
        "20,000 incidents, 20,000 exit cases, 1,000,000 contacts, 5,000 call-ins, 50,000 custom notifications, "
        "8 agencies, 400 staff) in a program of its own, with the benchmark personas "
        f"({', '.join(BENCH_PERSONAS)}). Volumes: --scale multiplies every figure; --persons alone sets the "
        "persons and scales the rest by persons/62000; with both, --persons sets the persons and --scale the rest. "
        "Staff: at least 40, so that every role and team has someone."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--persons", type=int, help="persons (default 62000 times --scale)")
        parser.add_argument("--scale", type=float, help="multiplies every volume (default 1.0)")
        parser.add_argument(
            "--seed",
            type=int,
            default=2024,
            help="random seed: the same seed gives the same data (dates relative to today)",
        )
        parser.add_argument("--batch", type=int, default=20_000, help="rows per COPY / bulk_create batch")
        parser.add_argument(
            "--reset", action="store_true", help="first remove the data set seed_scale made before (nothing else)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        persons, factor = options["persons"], options["scale"]
        if factor is None:
            factor = persons / 62_000 if persons else 1.0
        if factor <= 0 or (persons is not None and persons <= 0):
            raise CommandError("--scale and --persons must be positive")
        volumes = scale.Volumes.national(scale=factor, persons=persons)
        stats = Stats()
        started = time.perf_counter()
        if scale.seeded_program() is not None:
            if not options["reset"]:
                raise CommandError(
                    f"This database holds a seeded data set already (program {PROGRAM_SLUG!r}). "
                    "Run again with --reset to remove it (and only it) and seed anew."
                )
            scale.reset(stats)
        scale.seed(
            volumes=volumes,
            seed=options["seed"],
            batch=options["batch"],
            stats=stats,
        )
        self._summary(stats, time.perf_counter() - started)

    def _summary(self, stats: Stats, total: float) -> None:
        if stats.deleted:
            self.stdout.write(f"Rows of the earlier seed deleted: {sum(stats.deleted.values()):,}")
        self.stdout.write("Rows written")
        for label, count in sorted(stats.rows.items()):
            self.stdout.write(f"  {label:<58} {count:>10,}")
        self.stdout.write("Stages")
        for name, seconds in stats.stages:
            self.stdout.write(f"  {name:<58} {seconds:>9.1f}s")
        self.stdout.write(f"  {'total':<58} {total:>9.1f}s")
        self.stdout.write(
            self.style.SUCCESS(
                f"Personas: {', '.join(BENCH_PERSONAS)}. Every seeded account has the demo personas' password "
                f"({DEMO_PASSWORD!r}) and a TOTP device keyed as theirs (gvi.demo.current_totp(<username>))."
            )
        )
