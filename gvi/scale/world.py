"""The seeded program's structure: one national-scale program, its eight agencies, their teams, the staff in
every role, and the benchmark personas. Small (hundreds of rows): written through the ORM like the demo's."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.utils.translation import override
from django_otp.plugins.otp_totp.models import TOTPDevice

from gvi.accounts.models import Agency, AgencyKind, Program, Role, Staff, Team
from gvi.accounts.selectors import program_agencies
from gvi.demo import DEMO_PASSWORD, totp_key_hex
from gvi.scale.names import FAMILY_NAMES, GIVEN_NAMES_F, GIVEN_NAMES_M
from interventions.models import ResponseTemplateItem
from interventions.services.responses import STANDARD_ROUTINE

PROGRAM_SLUG = "scale-riket"
PROGRAM_NAME = "Sluta skjut Riket (skaltest)"
SLUG_PREFIX = "scale-"

# slug -> (name, kind). The first police agency (by name, as the routine picks it) is the big one.
AGENCIES: dict[str, tuple[str, AgencyKind]] = {
    "scale-polisen-syd": ("Polisregion Syd (skaltest)", AgencyKind.POLICE),
    "scale-polisen-vast": ("Polisregion Väst (skaltest)", AgencyKind.POLICE),
    "scale-goteborg": ("Göteborgs stad (skaltest)", AgencyKind.MUNICIPALITY),
    "scale-malmo": ("Malmö stad (skaltest)", AgencyKind.MUNICIPALITY),
    "scale-stockholm": ("Stockholms stad (skaltest)", AgencyKind.MUNICIPALITY),
    "scale-uppsala": ("Uppsala kommun (skaltest)", AgencyKind.MUNICIPALITY),
    "scale-orebro": ("Örebro kommun (skaltest)", AgencyKind.MUNICIPALITY),
    "scale-kriminalvarden": ("Kriminalvården Region Syd (skaltest)", AgencyKind.PRISON_SERVICE),
}
MAIN_POLICE = "scale-polisen-syd"
# Share of the staff per role (the rest are social workers); at least one of each.
ROLE_SHARES = {
    Role.POLICE_COORDINATOR: 0.05,
    Role.POLICE_ANALYST: 0.17,
    Role.EXIT_COORDINATOR: 0.03,
    Role.PROBATION_OFFICER: 0.15,
    Role.PROGRAM_LEAD: 0.005,
    Role.AUDITOR: 0.005,
}
MIN_STAFF = 40
SOCIAL_WORKERS_PER_TEAM = 9

# The benchmark personas: the bench helper logs in as these (password and TOTP key as the demo personas').
BENCH_MOST = "bench_most"
BENCH_LEAST = "bench_least"
BENCH_LEAD = "bench_lead"
BENCH_SOCIAL = "bench_social"
BENCH_PERSONAS = (BENCH_MOST, BENCH_LEAST, BENCH_LEAD, BENCH_SOCIAL)
LEAST_TEAM = "scale-uppsala-nattlaget"
SOCIAL_TEAM = "scale-malmo-exit-1"


@dataclass
class World:
    """The program's structure as the data builders need it: who works where, by role and agency."""

    program: Program
    agencies: dict[str, Agency]
    teams: dict[str, Team]
    staff: list[Staff]
    by_role: dict[str, list[Staff]] = field(default_factory=dict)

    def members(self, role: str, agency: Agency | None = None) -> list[Staff]:
        """Staff to pick at random for records: never bench_least, who gets only her own few, on purpose."""
        found = self.by_role.get(role, [])
        return [s for s in found if s.username != BENCH_LEAST and (agency is None or s.agency_id == agency.pk)]

    def persona(self, username: str) -> Staff:
        return next(s for s in self.staff if s.username == username)

    def of_kind(self, kind: AgencyKind) -> list[Agency]:
        return [a for a in self.agencies.values() if a.kind == kind]


def _teams(program_staff: int) -> dict[str, tuple[str, str]]:
    """slug -> (name, agency slug). Exit teams grow with the number of social workers."""
    teams = {
        "scale-syd-gvi": ("Sluta skjut-gruppen Syd", "scale-polisen-syd"),
        "scale-syd-intel": ("Underrättelsesektionen Syd", "scale-polisen-syd"),
        "scale-syd-area": ("Områdespolisen Syd", "scale-polisen-syd"),
        "scale-vast-gvi": ("Sluta skjut-gruppen Väst", "scale-polisen-vast"),
        "scale-krim-malmo": ("Frivården Malmö (skaltest)", "scale-kriminalvarden"),
        "scale-krim-lund": ("Frivården Lund (skaltest)", "scale-kriminalvarden"),
        "scale-krim-hbg": ("Frivården Helsingborg (skaltest)", "scale-kriminalvarden"),
        LEAST_TEAM: ("Nattlaget", "scale-uppsala"),
    }
    municipalities = [slug for slug, (_n, kind) in AGENCIES.items() if kind == AgencyKind.MUNICIPALITY]
    social_workers = program_staff * (1 - sum(ROLE_SHARES.values()))
    per_municipality = max(1, round(social_workers / len(municipalities) / SOCIAL_WORKERS_PER_TEAM))
    for slug in municipalities:
        for number in range(1, per_municipality + 1):
            teams[f"{slug}-exit-{number}"] = (f"Avhopparteam {number}", slug)
        teams[f"{slug}-field"] = ("Fältgruppen", slug)
    return teams


def _name(rng: random.Random) -> tuple[str, str]:
    given = rng.choice(GIVEN_NAMES_F if rng.random() < 0.6 else GIVEN_NAMES_M)
    return given, rng.choice(FAMILY_NAMES)


def build_world(*, staff_count: int, rng: random.Random) -> World:
    """Program, agencies, teams, routine, staff and personas. One password hash for everyone (hashing 400
    passwords one by one would take minutes), the demo personas' password; TOTP devices made as the demo's are."""
    program = Program.objects.create(slug=PROGRAM_SLUG, name=PROGRAM_NAME, emergency_access_allowed=True)
    agencies = {}
    for slug, (name, kind) in AGENCIES.items():
        agency = Agency(slug=slug, name=name, kind=kind)
        agency.save()
        agency.programs.set([program])
        agencies[slug] = agency
    staff_count = max(staff_count, MIN_STAFF)
    teams = {}
    for slug, (name, agency_slug) in _teams(staff_count).items():
        new_team = Team(slug=slug, name=name, agency=agencies[agency_slug])
        new_team.save()
        teams[slug] = new_team
    _install_routine(program)

    password = make_password(DEMO_PASSWORD)
    plan = _staff_plan(staff_count, agencies, teams)
    staff = []
    for number, (role, agency, team, username) in enumerate(plan, start=1):
        given, family = _name(rng)
        staff.append(
            Staff(
                username=username or f"scale-{role.replace('_', '-')}-{number:04d}",
                first_name=given,
                last_name=family,
                email=f"{username or f'scale-{number:04d}'}@example.invalid",
                role=role,
                program=program,
                agency=agency,
                team=team,
                password=password,
            )
        )
    Staff.objects.bulk_create(staff, batch_size=500)
    staff = list(Staff.objects.filter(program=program).order_by("pk"))
    # Every account can log in as a demo persona does (the load test logs many in at once).
    TOTPDevice.objects.bulk_create(
        TOTPDevice(user=s, name="demo", key=totp_key_hex(s.username), confirmed=True, tolerance=1) for s in staff
    )
    world = World(program=program, agencies=agencies, teams=teams, staff=staff)
    for member in staff:
        world.by_role.setdefault(member.role, []).append(member)
    return world


def _staff_plan(
    count: int, agencies: dict[str, Agency], teams: dict[str, Team]
) -> list[tuple[str, Agency, Team | None, str]]:
    """(role, agency, team, username or "") for every staff member; the personas first."""
    by_agency: dict[int, list[Team]] = {}
    for slug, team in teams.items():
        if slug != LEAST_TEAM and not slug.endswith("-field"):
            by_agency.setdefault(team.agency_id, []).append(team)
    field_teams = {team.agency_id: team for slug, team in teams.items() if slug.endswith("-field")}
    municipalities = [a for a in agencies.values() if a.kind == AgencyKind.MUNICIPALITY]
    polices = [agencies[MAIN_POLICE], agencies["scale-polisen-vast"]]
    lead_agency = agencies["scale-malmo"]
    plan: list[tuple[str, Agency, Team | None, str]] = [
        (Role.POLICE_COORDINATOR, polices[0], teams["scale-syd-gvi"], BENCH_MOST),
        (Role.SOCIAL_WORKER, agencies["scale-uppsala"], teams[LEAST_TEAM], BENCH_LEAST),
        (Role.PROGRAM_LEAD, lead_agency, None, BENCH_LEAD),
        (Role.SOCIAL_WORKER, lead_agency, teams[SOCIAL_TEAM], BENCH_SOCIAL),
    ]
    counts = {role: max(1, round(count * share)) for role, share in ROLE_SHARES.items()}
    counts[Role.PROGRAM_LEAD] -= 1  # bench_lead
    counts[Role.POLICE_COORDINATOR] -= 1  # bench_most
    for role, number in counts.items():
        for n in range(number):
            if role in (Role.POLICE_COORDINATOR, Role.POLICE_ANALYST):
                agency = polices[0] if n % 4 else polices[1]  # three in four in the big region
                plan.append((role, agency, by_agency[agency.pk][n % len(by_agency[agency.pk])], ""))
            elif role == Role.PROBATION_OFFICER:
                agency = agencies["scale-kriminalvarden"]
                plan.append((role, agency, by_agency[agency.pk][n % len(by_agency[agency.pk])], ""))
            elif role == Role.EXIT_COORDINATOR:
                agency = municipalities[n % len(municipalities)]
                plan.append((role, agency, by_agency[agency.pk][0], ""))
            else:
                plan.append((role, lead_agency, None, ""))
    n = 0
    while len(plan) < count:
        agency = municipalities[n % len(municipalities)]
        own = by_agency[agency.pk]
        # Every tenth social worker works in the field team; the rest in the exit teams.
        team = field_teams[agency.pk] if n % 10 == 9 else own[(n // len(municipalities)) % len(own)]
        plan.append((Role.SOCIAL_WORKER, agency, team, ""))
        n += 1
    return plan


def _install_routine(program: Program) -> None:
    """The standard response routine, as `routine_install_standard` makes it (first agency of each kind, in the
    program's language), written directly: that service also audits, and the trail is never deleted."""
    from django.conf import settings
    from django.utils.translation import gettext

    by_kind: dict[str, Agency] = {}
    for agency in program_agencies(program_id=program.pk):
        by_kind.setdefault(agency.kind, agency)
    with override(settings.LANGUAGE_CODE):
        ResponseTemplateItem.objects.bulk_create(
            ResponseTemplateItem(
                program=program,
                title=gettext(title),
                description=gettext(description),
                agency=by_kind[kind],
                deadline_hours=hours,
                order=order,
            )
            for order, (title, description, kind, hours) in enumerate(STANDARD_ROUTINE, start=1)
            if kind in by_kind
        )
