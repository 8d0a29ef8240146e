"""The national-scale data set (DESIGN.md, "Performance targets") for `manage.py seed_scale` and `make bench`.

One program of its own ("scale-riket": eight agencies, their teams, 400 staff in every role, the benchmark
personas) holding 62,000 persons, 1,000 groups, 150,000 memberships, 20,000 incidents, 20,000 exit cases,
1,000,000 contacts, 5,000 call-ins and 50,000 custom notifications, with the sections, referrals, measures,
invitations, rounds and responses around them. Rows are bulk-written (COPY on PostgreSQL) in one transaction,
with the same grant rows the services would have made; then ANALYZE. The audit trail is not back-filled: it is
append-only, so nothing the seed wrote there could ever be removed again.
"""

from __future__ import annotations

import random

from django.apps import apps
from django.db import transaction
from django.db.models import ForeignKey, Model

from gvi.accounts.models import Agency, Program, Staff, Team
from gvi.scale import interventions, mapping, outreach
from gvi.scale.build import Builder, owned_models
from gvi.scale.loader import Stats, analyze, bulk_load_mode, delete_where, is_postgres
from gvi.scale.volumes import Volumes
from gvi.scale.world import PROGRAM_SLUG, SLUG_PREFIX, build_world

__all__ = ["SeedExists", "Volumes", "reset", "seed", "seeded_program"]


class SeedExists(Exception):
    """The database holds a seeded data set already."""


def seeded_program() -> Program | None:
    return Program.objects.filter(slug=PROGRAM_SLUG).first()


# From this many contacts on, dropping indexes and foreign keys for the load pays for their rebuilding (national
# scale: 72 s instead of 105 s); below it, the DDL on some 70 tables costs more than it saves.
BULK_LOAD_FROM_CONTACTS = 100_000


def seed(
    *,
    volumes: Volumes,
    seed: int = 2024,
    batch: int = 10_000,
    bulk_load: bool | None = None,
    stats: Stats | None = None,
) -> Stats:
    """Build the data set in one transaction. Refuses (SeedExists) when one is there already. `bulk_load`:
    drop and rebuild indexes and foreign keys around the load (PostgreSQL); by default from a size on."""
    stats = stats or Stats()
    if seeded_program() is not None:
        raise SeedExists(f"the program {PROGRAM_SLUG!r} exists already")
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    with transaction.atomic():
        with stats.stage("program, agencies, teams, staff"):
            world = build_world(staff_count=volumes.staff, rng=rng)
            stats.rows["accounts.Staff"] += len(world.staff)
            stats.rows["accounts.Team"] += len(world.teams)
            stats.rows["accounts.Agency"] += len(world.agencies)
        builder = Builder(world=world, volumes=volumes, rng=rng, batch=batch, stats=stats)
        if bulk_load is None:
            bulk_load = volumes.contacts >= BULK_LOAD_FROM_CONTACTS
        with bulk_load_mode([model for model, _lookup in owned_models()] if bulk_load else [], stats):
            _load(builder, stats)
    if is_postgres():
        with stats.stage("VACUUM ANALYZE"):
            analyze(builder.loaded_models())
    return stats


def _load(builder: Builder, stats: Stats) -> None:
    plans = outreach.plan_cases(builder)
    with stats.stage("persons"):
        builder.persons(plans)
        builder.flush()
    with stats.stage("agency sections and journal notes"):
        builder.sections()
        builder.flush()
    with stats.stage("groups, memberships, relations, incidents"):
        mapping.groups_and_incidents(builder)
        builder.flush()
    with stats.stage("referrals, exit cases, contacts, measures"):
        outreach.exit_program(builder, plans)
        builder.flush()
    with stats.stage("call-ins and invitations"):
        interventions.call_ins(builder)
        builder.flush()
    with stats.stage("custom notifications"):
        interventions.notifications(builder)
        builder.flush()
    with stats.stage("enforcement rounds and responses"):
        interventions.rounds(builder)
        interventions.responses(builder)
        builder.flush()


def reset(stats: Stats | None = None) -> Stats:
    """Remove what `seed` made (its program and everything in it, its agencies, teams and staff), children
    first, in plain DELETE statements; nothing outside the seeded program is touched."""
    stats = stats or Stats()
    program = seeded_program()
    if program is None:
        return stats
    with stats.stage("reset"), transaction.atomic():
        owned = owned_models()
        for model, lookup in _made_since(dict(owned)):
            stats.deleted[model._meta.label] += model._base_manager.filter(**{lookup: program.pk}).delete()[0]
        for model, lookup in owned:
            stats.deleted[model._meta.label] += delete_where(model, **{lookup: program.pk})
        Staff.objects.filter(program=program).delete()
        teams = Team.objects.filter(slug__startswith=SLUG_PREFIX)
        groups = [t.group for t in teams] + [a.group for a in Agency.objects.filter(slug__startswith=SLUG_PREFIX)]
        teams.delete()
        Agency.objects.filter(slug__startswith=SLUG_PREFIX).delete()
        for group in groups:
            group.delete()
        program.delete()
    return stats


def _made_since(owned: dict[type[Model], str]) -> list[tuple[type[Model], str]]:
    """The other rows of the program: what was made in it after the seed, through the app (a report the bench
    ordered, an alias added to a seeded person, ...): rows of the program's own, and rows that hang off seeded
    rows. Few; Django's collector deletes them and what follows them, before the seeded rows go."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model in owned or model is Staff:
            continue
        for field in model._meta.concrete_fields:
            target = field.related_model
            if not isinstance(field, ForeignKey) or not isinstance(target, type):
                continue
            if target is Program:
                found.append((model, f"{field.name}_id"))
            elif target in owned:
                found.append((model, f"{field.name}__{owned[target]}"))
    return found
