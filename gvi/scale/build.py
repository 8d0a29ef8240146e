"""The core of the national-scale data set: the builder (ids, tables, grants, dates) and the records everything
else hangs off: persons and their agency sections. Every root object gets the grant rows its creating service
would have given it (each builder's docstring names the service); child rows follow their parents. The group map,
the exit program and the interventions are in gvi/scale/mapping.py, outreach.py and interventions.py."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Model
from django.utils import timezone
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from cases.models import PoliceNote, PoliceSection, ProbationNote, ProbationSection, SocialNote, SocialSection
from cases.models.persons import Person
from cases.names import search_key
from gvi import access
from gvi.accounts.models import Agency, AgencyKind, Role, Staff
from gvi.demo import identity_number
from gvi.mapping.models import (
    Group,
    GroupMembership,
    GroupRelation,
    Incident,
    IncidentInvolvement,
)
from gvi.scale import names
from gvi.scale.loader import Grantee, Grants, Ids, Stats, Table
from gvi.scale.volumes import Volumes
from gvi.scale.world import MAIN_POLICE, World
from interventions.models import (
    CallIn,
    CallInInvitation,
    CustomNotification,
    EnforcementAction,
    EnforcementRound,
    IncidentResponse,
    ResponseTask,
    ResponseTemplateItem,
    Speaker,
)
from outreach.models import Contact, ExitCase, Referral, Relative, SupportMeasure, ThreatAssessment

YEARS = 5
# Shootings and explosions peak in summer and autumn: relative weight per month (January first).
SEASON = (0.7, 0.7, 0.8, 0.9, 1.0, 1.2, 1.3, 1.3, 1.3, 1.2, 1.0, 0.8)
CONTACT_NOTES = (
    "Samtal om boende och ekonomi.",
    "Träffades på kontoret. Motiverad att fortsätta.",
    "Telefonsamtal, kort avstämning.",
    "Hembesök. Lugnt hemma.",
    "Följde med till Arbetsförmedlingen.",
    "Besök på anstalt tillsammans med frivården.",
    "Uteblev från mötet; nådd per telefon senare.",
    "Pratade om hot från tidigare umgänge.",
    "Planerade skolstart och praktik.",
    "Avstämning med anhörig.",
)


def owned_models() -> list[tuple[type[Model], str]]:
    """Every table the seed writes to, children before parents, with the lookup from a row to its program:
    `reset` deletes in this order."""
    roots: list[type[Model]] = [
        ResponseTask,
        IncidentResponse,
        EnforcementAction,
        EnforcementRound,
        CustomNotification,
        CallInInvitation,
        CallIn,
        ExitCase,
        Referral,
        Incident,
        Group,
        PoliceSection,
        SocialSection,
        ProbationSection,
        Person,
    ]
    grant_tables = [
        (table, "content_object__program_id")
        for root in roots
        for table in (get_user_obj_perms_model(root), get_group_obj_perms_model(root))  # type: ignore[arg-type]
    ]
    return [
        *grant_tables,
        (ResponseTask, "program_id"),
        (IncidentResponse, "program_id"),
        (EnforcementAction, "program_id"),
        (EnforcementRound.incidents.through, "enforcementround__program_id"),
        (EnforcementRound, "program_id"),
        (CustomNotification.deliverers.through, "customnotification__program_id"),
        (CustomNotification, "program_id"),
        (Speaker, "call_in__program_id"),
        (CallInInvitation, "program_id"),
        (CallIn.groups.through, "callin__program_id"),
        (CallIn, "program_id"),
        (Contact, "exit_case__program_id"),
        (ThreatAssessment, "exit_case__program_id"),
        (SupportMeasure, "exit_case__program_id"),
        (Relative, "exit_case__program_id"),
        (ExitCase, "program_id"),
        (Referral, "program_id"),
        (IncidentInvolvement, "incident__program_id"),
        (Incident.groups.through, "incident__program_id"),
        (Incident, "program_id"),
        (GroupRelation, "group__program_id"),
        (GroupMembership, "group__program_id"),
        (Group, "program_id"),
        (PoliceNote, "section__program_id"),
        (SocialNote, "section__program_id"),
        (ProbationNote, "section__program_id"),
        (PoliceSection, "program_id"),
        (SocialSection, "program_id"),
        (ProbationSection, "program_id"),
        (Person, "program_id"),
        (ResponseTemplateItem, "program_id"),
    ]


def owner_grants(label: str, creator: Staff) -> list[tuple[Grantee, tuple[str, ...]]]:
    """`access.grant_to_owner`: the creator, the creator's team and agency, with the model's OWNER_ACTIONS."""
    actions = access.OWNER_ACTIONS[label]
    grants: list[tuple[Grantee, tuple[str, ...]]] = [(("user", creator.pk), actions)]
    if creator.team is not None:
        grants.append((("group", creator.team.group_id), actions))
    if creator.agency is not None:
        grants.append((("group", creator.agency.group_id), actions))
    return grants


def spread(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights`, whole numbers that add up exactly (largest remainder)."""
    if not weights:
        return []
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [math.floor(s) for s in shares]
    order = sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A moment of a day (UTC): cheap to make a million of, unlike a local time zone's."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


@dataclass
class CasePlan:
    """One exit case, decided before the persons are made: its person's record is made by its referrer (or its
    responsible worker), so the person's grants follow from the plan."""

    municipality: Agency
    responsible: Staff
    referrer: Staff | None
    opened_on: date
    closed_on: date | None
    person_id: int = 0


class Builder:
    """What the builders share: the world, the random source, reserved ids, the tables and grants being written,
    and what later records pick from (each agency's persons, groups and their members, incidents)."""

    def __init__(self, *, world: World, volumes: Volumes, rng: random.Random, batch: int, stats: Stats) -> None:
        self.world = world
        self.volumes = volumes
        self.rng = rng
        self.batch = batch
        self.stats = stats
        self.ids = Ids()
        self.grants = Grants(batch=batch, stats=stats)
        self.tables: dict[type[Any], Table] = {}
        self.today = timezone.localdate()
        self.program_id = world.program.pk
        self.police = world.of_kind(AgencyKind.POLICE)
        self.municipalities = world.of_kind(AgencyKind.MUNICIPALITY)
        self.prison = world.of_kind(AgencyKind.PRISON_SERVICE)[0]
        self.persons_of: dict[int, list[int]] = {}
        self.person_creator: dict[int, Staff] = {}
        self.person_teams: dict[int, set[int]] = {}
        self.names_of: dict[int, tuple[str, str, str, int]] = {}
        self.numbers_of: dict[int, set[str]] = {}
        self.members_of: dict[int, list[int]] = {}
        self.groups_of: dict[int, list[int]] = {}
        self.incidents_of: dict[int, list[tuple[int, datetime, str, str]]] = {}

    # ----------------------------------------------------------------------------------------------
    # Helpers

    def table(self, model: type[Any], columns: Sequence[str]) -> Table:
        if model not in self.tables:
            self.tables[model] = Table(model, columns, batch=self.batch, stats=self.stats)
        return self.tables[model]

    def flush(self) -> None:
        for table in self.tables.values():
            table.flush()
        self.grants.flush()

    def loaded_models(self) -> list[type[Any]]:
        return [*self.tables, *self.grants.tables]

    def day_in_window(self, *, years: float = YEARS, seasonal: bool = False) -> date:
        span = int(365 * years)
        while True:
            day = self.today - timedelta(days=self.rng.randrange(0, span))
            if not seasonal or self.rng.random() * max(SEASON) < SEASON[day.month - 1]:
                return day

    def police_agency(self) -> Agency:
        """Three records in four are the big police region's."""
        main = self.world.agencies[MAIN_POLICE]
        return main if self.rng.random() < 0.75 else next(a for a in self.police if a.pk != main.pk)

    def police_staff(self, agency: Agency, *roles: str) -> list[Staff]:
        return [s for role in roles for s in self.world.members(role, agency)]

    # ----------------------------------------------------------------------------------------------
    # Persons

    def _person_row(self, person_id: int, agency: Agency, creator: Staff, created: date, birth_from: int) -> None:
        rng = self.rng
        given = rng.choice(names.GIVEN_NAMES_M if rng.random() < 0.9 else names.GIVEN_NAMES_F)
        family = rng.choice(names.FAMILY_NAMES)
        year = rng.randint(birth_from, 2009)
        number = None
        if rng.random() < 0.75:
            taken = self.numbers_of.setdefault(agency.pk, set())
            while number is None or number in taken:
                number = identity_number(year, rng.randint(1, 12), rng.randint(1, 28), rng.randrange(1000))
            taken.add(number)
        self.table(
            Person,
            (
                "id",
                "created_at",
                "created_by_id",
                "updated_at",
                "program_id",
                "owner_agency_id",
                "given_name",
                "family_name",
                "identity_number",
                "birth_year",
                "protected_identity",
                "search_key",
            ),
        ).add(
            person_id,
            at(created, 10),
            creator.pk,
            at(created, 10),
            self.program_id,
            agency.pk,
            given,
            family,
            number,
            year,
            rng.random() < 0.02,
            search_key(given, family),
        )
        self.grants.give(Person, person_id, owner_grants("cases.person", creator))
        self.persons_of.setdefault(agency.pk, []).append(person_id)
        self.person_creator[person_id] = creator
        self.person_teams[person_id] = {creator.team.group_id} if creator.team is not None else set()
        self.names_of[person_id] = (given, family, number or "", year)

    def persons(self, case_plans: list[CasePlan]) -> None:
        """`cases.services.person_create` per person: the police's records of group members and victims, the
        municipalities' records of their exit-program clients, Kriminalvården's of its clients."""
        total = self.volumes.persons
        municipal = min(len(case_plans), total // 2)
        probation = round(total * 0.08)
        police = max(total - municipal - probation, 1)
        ids = iter(self.ids.reserve(Person, police + municipal + probation))
        for _n in range(police):
            agency = self.police_agency()
            creator = self.rng.choice(self.police_staff(agency, Role.POLICE_ANALYST, Role.POLICE_COORDINATOR))
            self._person_row(next(ids), agency, creator, self.day_in_window(), 1985)
        for plan in case_plans[:municipal]:
            creator = plan.referrer or plan.responsible
            plan.person_id = next(ids)
            created = plan.opened_on - timedelta(days=30 if plan.referrer else 0)
            self._person_row(plan.person_id, plan.municipality, creator, created, 1990)
        officers = self.world.members(Role.PROBATION_OFFICER)
        for _n in range(probation):
            self._person_row(next(ids), self.prison, self.rng.choice(officers), self.day_in_window(), 1980)

    def sections(self) -> None:
        """`cases.services.section_create` (+ `note_add`): a police section on two police records in five, a
        social-services section on most municipal records, a probation section (with its officer) on every
        Kriminalvården record; a few journal notes each."""
        rng = self.rng
        common = ("id", "created_at", "created_by_id", "updated_at", "program_id", "owner_agency_id", "person_id")
        kinds: list[tuple[type[Any], type[Any], str, float, tuple[str, ...]]] = [
            (PoliceSection, PoliceNote, "cases.policesection", 0.4, ("risk_level",)),
            (SocialSection, SocialNote, "cases.socialsection", 0.6, ()),
            (
                ProbationSection,
                ProbationNote,
                "cases.probationsection",
                1.0,
                ("supervision_type", "probation_officer_id"),
            ),
        ]
        by_kind = {
            "cases.policesection": [p for a in self.police for p in self.persons_of.get(a.pk, [])],
            "cases.socialsection": [p for a in self.municipalities for p in self.persons_of.get(a.pk, [])],
            "cases.probationsection": list(self.persons_of.get(self.prison.pk, [])),
        }
        for model, note_model, label, share, extra in kinds:
            chosen = [p for p in by_kind[label] if rng.random() < share]
            section_ids = self.ids.reserve(model, len(chosen))
            for section_id, person_id in zip(section_ids, chosen, strict=True):
                creator = self.person_creator[person_id]
                created = self.day_in_window(years=YEARS - 1)
                values: list[Any] = []
                if model is PoliceSection:
                    values = [rng.choice(("low", "low", "elevated", "high", "acute"))]
                elif model is ProbationSection:
                    values = [rng.choice(("probation", "parole")), creator.pk]
                self.table(model, (*common, *extra)).add(
                    section_id,
                    at(created, 9),
                    creator.pk,
                    at(created, 9),
                    self.program_id,
                    creator.agency_id,
                    person_id,
                    *values,
                )
                grants = owner_grants(label, creator)
                if model is ProbationSection:
                    grants.append((("user", creator.pk), ("view", "change")))  # the officer: the creator here
                self.grants.give(model, section_id, grants)
                for n in range(rng.choice((0, 1, 1, 2, 3, 4))):
                    self.table(note_model, ("text", "created_at", "author_id", "section_id")).add(
                        rng.choice(CONTACT_NOTES), at(created + timedelta(days=7 * n), 14), creator.pk, section_id
                    )
