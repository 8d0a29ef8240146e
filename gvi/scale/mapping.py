"""The group map of the national-scale data set: groups of skewed sizes, their memberships over five years,
alliances and conflicts, and incidents that peak in summer and autumn, with the groups and persons involved."""

from __future__ import annotations

from datetime import timedelta

from gvi.accounts.models import Role
from gvi.mapping.models import Group, GroupMembership, GroupRelation, Incident, IncidentInvolvement, review_date_after
from gvi.scale import names
from gvi.scale.build import Builder, at, owner_grants, spread


def groups_and_incidents(builder: Builder) -> None:
    """`gvi.mapping.services`: `group_create` (granted to its creator, team and agency), `membership_add`,
    `relation_add`, `incident_create` with groups and involvements. Group sizes are skewed (many small,
    a few large); incidents peak in summer and autumn."""
    rng = builder.rng
    volumes = builder.volumes
    group_ids = builder.ids.reserve(Group, volumes.groups)
    taken: set[tuple[int, str]] = set()
    sizes = spread(volumes.memberships, [rng.paretovariate(1.2) for _g in group_ids])
    for group_id, size in zip(group_ids, sizes, strict=True):
        agency = builder.police_agency()
        creator = rng.choice(builder.police_staff(agency, Role.POLICE_ANALYST))
        district = rng.choice(names.DISTRICTS)
        name = f"{rng.choice(names.GROUP_WORDS)} {district}"
        while (agency.pk, name) in taken:
            name = f"{name} {rng.randint(2, 99)}"
        taken.add((agency.pk, name))
        created = builder.day_in_window()
        status = rng.choices(("active", "dormant", "dissolved"), weights=(7, 2, 1))[0]
        builder.table(
            Group,
            (
                "id",
                "created_at",
                "created_by_id",
                "updated_at",
                "program_id",
                "owner_agency_id",
                "name",
                "district",
                "status",
            ),
        ).add(
            group_id, at(created, 8), creator.pk, at(created, 8), builder.program_id, agency.pk, name, district, status
        )
        builder.grants.give(Group, group_id, owner_grants("mapping.group", creator))
        builder.groups_of.setdefault(agency.pk, []).append(group_id)
        pool = builder.persons_of.get(agency.pk, [])
        members = rng.sample(pool, min(size, len(pool)))
        # A group larger than the agency's records repeats members over time (earlier, ended memberships).
        members += [rng.choice(pool) for _n in range(size - len(members))] if pool else []
        builder.members_of[group_id] = members
        for n, person_id in enumerate(members):
            _membership(builder, group_id, person_id, leader=n < max(1, size // 30))
    _relations(
        builder,
    )
    _incidents(
        builder,
    )


def _membership(builder: Builder, group_id: int, person_id: int, *, leader: bool) -> None:
    rng = builder.rng
    valid_from = builder.day_in_window()
    ended = rng.random() < 0.35
    valid_to = min(builder.today, valid_from + timedelta(days=rng.randint(30, 900))) if ended else None
    last = (valid_to or builder.today) - valid_from
    last_confirmed = valid_from + timedelta(days=rng.randint(0, max(last.days, 0)))
    builder.table(
        GroupMembership,
        (
            "group_id",
            "person_id",
            "role",
            "confidence",
            "source",
            "valid_from",
            "valid_to",
            "last_confirmed",
            "review_due",
            "created_at",
        ),
    ).add(
        group_id,
        person_id,
        "leader" if leader else rng.choices(("member", "associate"), weights=(4, 1))[0],
        rng.choices(("confirmed", "probable", "possible"), weights=(5, 3, 2))[0],
        rng.choice(("spaning", "förundersökning", "tips", "sociala medier")),
        valid_from,
        valid_to,
        last_confirmed,
        review_date_after(last_confirmed),
        at(valid_from, 9),
    )


def _relations(builder: Builder) -> None:
    rng = builder.rng
    for groups in builder.groups_of.values():
        if len(groups) < 2:
            continue
        for _n in range(len(groups) * 2):
            group, other = rng.sample(groups, 2)
            valid_from = builder.day_in_window()
            ended = rng.random() < 0.3
            builder.table(
                GroupRelation,
                ("group_id", "other_group_id", "kind", "intensity", "valid_from", "valid_to", "created_at"),
            ).add(
                group,
                other,
                rng.choices(("conflict", "alliance", "rivalry"), weights=(5, 3, 2))[0],
                rng.randint(1, 3),
                valid_from,
                min(builder.today, valid_from + timedelta(days=rng.randint(30, 600))) if ended else None,
                at(valid_from, 9),
            )


def _incidents(builder: Builder) -> None:
    rng = builder.rng
    incident_ids = builder.ids.reserve(Incident, builder.volumes.incidents)
    through = Incident.groups.through
    for incident_id in incident_ids:
        agency = builder.police_agency()
        creator = rng.choice(builder.police_staff(agency, Role.POLICE_COORDINATOR, Role.POLICE_ANALYST))
        day = builder.day_in_window(seasonal=True)
        when = at(day, rng.randrange(0, 24), rng.randrange(0, 60))
        district = rng.choice(names.DISTRICTS)
        kind = rng.choices(("shooting", "explosion", "other"), weights=(6, 3, 1))[0]
        builder.table(
            Incident,
            (
                "id",
                "created_at",
                "created_by_id",
                "updated_at",
                "program_id",
                "owner_agency_id",
                "kind",
                "occurred_at",
                "place",
                "district",
                "killed",
                "injured",
                "gmi",
                "police_case_number",
            ),
        ).add(
            incident_id,
            when + timedelta(hours=2),
            creator.pk,
            when + timedelta(hours=2),
            builder.program_id,
            agency.pk,
            kind,
            when,
            f"{rng.choice(names.STREETS)} {rng.randint(1, 90)}",
            district,
            1 if rng.random() < 0.1 else 0,
            rng.choice((0, 0, 0, 1, 1, 2)),
            rng.choices(("confirmed", "suspected", "none"), weights=(5, 3, 2))[0],
            f"{5000 + agency.pk % 1000}-K{incident_id}-{day:%y}",
        )
        builder.grants.give(Incident, incident_id, owner_grants("mapping.incident", creator))
        builder.incidents_of.setdefault(agency.pk, []).append((incident_id, when, district, kind))
        groups = builder.groups_of.get(agency.pk, [])
        for group_id in rng.sample(groups, min(len(groups), rng.choice((1, 1, 2)))):
            builder.table(through, ("incident_id", "group_id")).add(incident_id, group_id)
        pool = builder.persons_of.get(agency.pk, [])
        for person_id in rng.sample(pool, min(len(pool), rng.choice((0, 0, 1, 2, 3)))):
            builder.table(IncidentInvolvement, ("incident_id", "person_id", "role")).add(
                incident_id, person_id, rng.choices(("suspect", "victim", "witness"), weights=(3, 2, 1))[0]
            )
