"""The demo program: personas and data, built through the services. Used by `make run` and every test.

Everything here is idempotent: running it twice changes nothing. Dates are relative to today.
The personas' TOTP keys are fixed so that tests and the demo can compute codes; they exist only here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum import luhn

from gvi.accounts.models import Agency, AgencyKind, Program, Role, Staff, Team

if TYPE_CHECKING:
    from cases.models import Consent, Person

DEMO_PASSWORD = "sluta-skjut-demo"


@dataclass(frozen=True)
class PersonaSpec:
    username: str
    first_name: str
    last_name: str
    role: str
    program: str
    agency: str | None
    team: str | None
    description: str


PROGRAMS = {
    "malmo": "Sluta skjut Malmö",
    "orebro": "Sluta skjut Örebro",
}

# slug -> (name, kind, programs)
AGENCIES = {
    "polisen-malmo": ("Polisen Malmö", AgencyKind.POLICE, ["malmo"]),
    "malmo-stad": ("Malmö stad", AgencyKind.MUNICIPALITY, ["malmo"]),
    "kriminalvarden-malmo": ("Kriminalvården Malmö", AgencyKind.PRISON_SERVICE, ["malmo"]),
    "orebro-kommun": ("Örebro kommun", AgencyKind.MUNICIPALITY, ["orebro"]),
    "polisen-orebro": ("Polisen Örebro", AgencyKind.POLICE, ["orebro"]),
}

# slug -> (name, agency slug)
TEAMS = {
    "malmo-gvi-police": ("Sluta skjut-gruppen", "polisen-malmo"),
    "malmo-exit-team": ("Avhopparverksamheten", "malmo-stad"),
    "malmo-field-team": ("Fältgruppen", "malmo-stad"),
    "malmo-frivard": ("Frivården Malmö", "kriminalvarden-malmo"),
    "orebro-exit-team": ("Avhopparverksamheten Örebro", "orebro-kommun"),
}

PERSONAS = [
    PersonaSpec(
        "petra",
        "Petra",
        "Lind",
        Role.POLICE_COORDINATOR,
        "malmo",
        "polisen-malmo",
        "malmo-gvi-police",
        "police coordinator",
    ),
    PersonaSpec(
        "anders", "Anders", "Berg", Role.POLICE_ANALYST, "malmo", "polisen-malmo", "malmo-gvi-police", "police analyst"
    ),
    PersonaSpec(
        "sara",
        "Sara",
        "Nilsson",
        Role.SOCIAL_WORKER,
        "malmo",
        "malmo-stad",
        "malmo-exit-team",
        "social worker, exit team",
    ),
    PersonaSpec(
        "erik", "Erik", "Holm", Role.EXIT_COORDINATOR, "malmo", "malmo-stad", "malmo-exit-team", "exit coordinator"
    ),
    PersonaSpec(
        "karin",
        "Karin",
        "Ek",
        Role.PROBATION_OFFICER,
        "malmo",
        "kriminalvarden-malmo",
        "malmo-frivard",
        "probation officer",
    ),
    PersonaSpec("lena", "Lena", "Sjöberg", Role.PROGRAM_LEAD, "malmo", "malmo-stad", None, "program lead"),
    PersonaSpec("olof", "Olof", "Strand", Role.AUDITOR, "malmo", "malmo-stad", None, "auditor"),
    PersonaSpec("ada", "Ada", "Wikström", Role.ADMIN, "malmo", None, None, "administrator (accounts, no case data)"),
    PersonaSpec(
        "nils",
        "Nils",
        "Åberg",
        Role.SOCIAL_WORKER,
        "orebro",
        "orebro-kommun",
        "orebro-exit-team",
        "social worker, Örebro",
    ),
    PersonaSpec("maja", "Maja", "Forsberg", Role.PROGRAM_LEAD, "orebro", "orebro-kommun", None, "program lead, Örebro"),
    # Not personas: demo staff, so that team scope and the other program have something to hide.
    PersonaSpec(
        "malin",
        "Malin",
        "Dahl",
        Role.SOCIAL_WORKER,
        "malmo",
        "malmo-stad",
        "malmo-field-team",
        "social worker, field team",
    ),
    PersonaSpec(
        "olle", "Olle", "Grahn", Role.POLICE_ANALYST, "orebro", "polisen-orebro", None, "police analyst, Örebro"
    ),
]
DEMO_STAFF_ONLY = frozenset({"malin", "olle"})
PERSONA_NAMES = tuple(p.username for p in PERSONAS if p.username not in DEMO_STAFF_ONLY)


def totp_key_hex(username: str) -> str:
    """The persona's fixed TOTP key (20 bytes, hex). Demo and test data only."""
    return hashlib.sha1(f"gvi-demo-totp-{username}".encode(), usedforsecurity=False).hexdigest()


def current_totp(username: str, *, at: float | None = None) -> str:
    """The persona's six-digit code now (or at the given UNIX time)."""
    generator = TOTP(bytes.fromhex(totp_key_hex(username)), step=30, t0=0, digits=6)
    if at is not None:
        generator.time = at
    return f"{generator.token():06d}"


def identity_number(year: int, month: int, day: int, serial: int) -> str:
    """A synthetic identity number with a correct check digit (YYYYMMDD-NNNN)."""
    body = f"{year % 100:02d}{month:02d}{day:02d}{serial:03d}"
    return f"{year:04d}{month:02d}{day:02d}-{serial:03d}{luhn.calc_check_digit(body)}"


# (creator, key, given name, family name, (year, month, day, serial) or None, birth year, protected)
PERSONS = [
    ("petra", "malmo_police_person", "Adam", "Karlsson", (2003, 4, 12, 123), None, False),
    ("petra", None, "Bilal", "Hassan", (2001, 9, 3, 245), None, False),
    ("petra", None, "Dino", "Marković", (2004, 1, 22, 331), None, False),
    ("anders", None, "Elias", "Johansson", (2002, 6, 30, 417), None, False),
    ("anders", None, "Filip", "Andersson", None, 2005, False),
    ("petra", None, "Hamza", "Ali", (2000, 11, 15, 559), None, False),
    ("sara", "malmo_social_person", "Adam", "Karlsson", (2003, 4, 12, 123), None, False),
    ("sara", None, "Jonas", "Pettersson", (2004, 8, 19, 612), None, True),
    ("sara", None, "Kevin", "Lindqvist", None, 2006, False),
    ("erik", None, "Liam", "Eriksson", (2003, 2, 7, 718), None, False),
    ("malin", "malmo_field_team_person", "Mohammed", "Yusuf", (2005, 5, 5, 832), None, False),
    ("karin", "malmo_probation_person", "Adam", "Karlsson", (2003, 4, 12, 123), None, False),
    ("karin", None, "Oskar", "Nyberg", (1999, 12, 1, 914), None, False),
    ("nils", "orebro_person", "Rami", "Saleh", (2002, 3, 14, 276), None, False),
    # Children: guardians, a guardian's consent, a report of concern.
    ("sara", "malmo_minor_person", "Sami", "Nordström", (2011, 7, 9, 143), None, False),
    ("petra", "malmo_police_minor", "Noah", "Berglund", (2012, 2, 18, 268), None, False),
]


def _program(slug: str) -> Program:
    program, _created = Program.objects.get_or_create(slug=slug, defaults={"name": PROGRAMS[slug]})
    return program


def _agency(slug: str) -> Agency:
    name, kind, programs = AGENCIES[slug]
    agency = Agency.objects.filter(slug=slug).first()
    if agency is None:
        agency = Agency(slug=slug, name=name, kind=kind)
        agency.save()
        agency.programs.set([_program(p) for p in programs])
    return agency


def _team(slug: str) -> Team:
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        name, agency_slug = TEAMS[slug]
        team = Team(slug=slug, name=name, agency=_agency(agency_slug))
        team.save()
    return team


def _persona(spec: PersonaSpec) -> Staff:
    staff = Staff.objects.filter(username=spec.username).first()
    if staff is None:
        staff = Staff(
            username=spec.username,
            first_name=spec.first_name,
            last_name=spec.last_name,
            role=spec.role,
            program=_program(spec.program),
            agency=_agency(spec.agency) if spec.agency else None,
            team=_team(spec.team) if spec.team else None,
            is_staff=spec.role == Role.ADMIN,
            is_superuser=spec.role == Role.ADMIN,
            email=f"{spec.username}@example.invalid",
        )
        staff.set_password(DEMO_PASSWORD)
        staff.save()
    TOTPDevice.objects.get_or_create(
        user=staff, name="demo", defaults={"key": totp_key_hex(spec.username), "confirmed": True, "tolerance": 1}
    )
    return staff


@transaction.atomic
def build_personas() -> dict[str, Staff]:
    """Programs, agencies, teams and every persona (plus demo staff). Idempotent."""
    for slug in PROGRAMS:
        _program(slug)
    for slug in AGENCIES:
        _agency(slug)
    for slug in TEAMS:
        _team(slug)
    return {spec.username: _persona(spec) for spec in PERSONAS}


@transaction.atomic
def build_persons(staff: dict[str, Staff]) -> dict[str, object]:
    """The demo persons, each an agency's own record. Returns the named scope objects."""
    from cases.models import Person
    from cases.services import person_create

    named: dict[str, object] = {}
    for creator, key, given, family, number, birth_year, protected in PERSONS:
        actor = staff[creator]
        canonical = identity_number(*number) if number else None
        existing = Person.objects.filter(owner_agency_id=actor.agency_id, given_name=given, family_name=family).first()
        person = existing or person_create(
            actor=actor,
            given_name=given,
            family_name=family,
            identity_number=canonical,
            birth_year=birth_year,
            protected_identity=protected,
            purpose="demo data",
        )
        if key:
            named[key] = person
    return named


def build_demo() -> dict[str, object]:
    """Everything: personas, then each section's data. Later sections add their builders here."""
    staff = build_personas()
    named: dict[str, object] = dict(staff)
    named.update(build_persons(staff))
    named.update(build_mapping(staff))
    named.update(build_case_files(staff))
    named.update(build_exit_program(staff, named))
    named.update(build_interventions(staff, named))
    named.update(build_enforcement(staff, named))
    named.update(build_reports(staff))
    named.update(build_retention(staff, named))
    named.update(build_emergency_access(staff))
    return named


# --- Group mapping ------------------------------------------------------------------------------

# name, district
GROUPS = [
    ("Grupp Falken", "Rosengård"),
    ("Grupp Vargen", "Lindängen"),
    ("Grupp Ugglan", "Holma"),
    ("Grupp Räven", "Sofielund"),
    ("Grupp Björnen", "Hermodsdal"),
    ("Grupp Lodjuret", "Kroksbäck"),
]
# group, other group, kind, intensity (1-3), began how many days ago
RELATIONS = [
    ("Grupp Falken", "Grupp Vargen", "conflict", 3, 400),
    ("Grupp Ugglan", "Grupp Räven", "conflict", 2, 250),
    ("Grupp Falken", "Grupp Björnen", "alliance", 2, 700),
    ("Grupp Vargen", "Grupp Lodjuret", "alliance", 1, 500),
    ("Grupp Räven", "Grupp Björnen", "rivalry", 1, 150),
]
MEMBER_NAMES = [
    ("Ali", "Omar"),
    ("Ben", "Svensson"),
    ("Chris", "Nordin"),
    ("David", "Sandberg"),
    ("Emil", "Hedlund"),
    ("Fredrik", "Lundgren"),
    ("Gabriel", "Mattsson"),
    ("Hugo", "Axelsson"),
    ("Isak", "Berglund"),
    ("Jamal", "Abdi"),
    ("Kasper", "Fransson"),
    ("Leo", "Hansen"),
    ("Mustafa", "Karimi"),
    ("Nils", "Ström"),
    ("Omid", "Rahimi"),
    ("Patrik", "Holmberg"),
    ("Robin", "Engström"),
    ("Samir", "Haddad"),
]
INCIDENTS_PER_YEAR = (36, 27, 18, 10)  # four years up to today: a falling trend
SCOPE_CASE_NUMBER = "5000-K100-01"
STREETS = (
    "Ystadvägen",
    "Amiralsgatan",
    "Lantmannagatan",
    "Bergsgatan",
    "Rosengårdsstråket",
)
DISTRICTS = [district for _name, district in GROUPS] + ["Möllevången", "Centrum"]


def build_mapping(staff: dict[str, Staff]) -> dict[str, object]:
    """Groups in Malmö districts with conflicts and alliances, recently confirmed members, four years of
    incidents up to today; one Örebro group. Idempotent."""
    from cases.models import Person
    from gvi.mapping.models import Group, GroupMembership, GroupRelation, Incident, IncidentInvolvement

    petra, anders, olle = staff["petra"], staff["anders"], staff["olle"]
    if not Group.objects.filter(owner_agency_id=petra.agency_id).exists():
        _build_malmo_map(petra, anders)
    if not Group.objects.filter(owner_agency_id=olle.agency_id).exists():
        from gvi.mapping.services import group_create

        group_create(actor=olle, name="Grupp Gäddan", district="Vivalla")
    police = Group.objects.filter(owner_agency_id=petra.agency_id)
    falken = police.get(name="Grupp Falken")
    police_person = Person.objects.get(pk=named_person_pk(staff, "malmo_police_person"))
    scope_incident = Incident.objects.filter(
        owner_agency_id=petra.agency_id, police_case_number=SCOPE_CASE_NUMBER
    ).first()
    return {
        "malmo_group": falken,
        "malmo_other_group": police.get(name="Grupp Vargen"),
        "malmo_membership": GroupMembership.objects.filter(group=falken, person=police_person).first(),
        "malmo_relation": GroupRelation.objects.filter(group=falken).order_by("id").first(),
        "malmo_incident": scope_incident,
        "malmo_involvement": IncidentInvolvement.objects.filter(incident=scope_incident).order_by("id").first(),
        "orebro_group": Group.objects.get(owner_agency_id=olle.agency_id, name="Grupp Gäddan"),
    }


def named_person_pk(staff: dict[str, Staff], key: str) -> int:
    from cases.models import Person

    for creator, person_key, given, family, *_rest in PERSONS:
        if person_key == key:
            return Person.objects.get(owner_agency_id=staff[creator].agency_id, given_name=given, family_name=family).pk
    raise KeyError(key)


def _build_malmo_map(petra: Staff, anders: Staff) -> None:
    import random
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from cases.models import Person
    from cases.services import person_create
    from gvi.mapping import services

    today = timezone.localdate()
    rng = random.Random(2018)  # noqa: S311 - demo data, not security
    groups = {name: services.group_create(actor=anders, name=name, district=district) for name, district in GROUPS}
    for name, other, kind, intensity, days_ago in RELATIONS:
        services.relation_add(
            actor=anders,
            group=groups[name],
            other_group=groups[other],
            kind=kind,
            intensity=intensity,
            valid_from=today - timedelta(days=days_ago),
        )
    existing = list(Person.objects.filter(owner_agency_id=petra.agency_id).order_by("id"))
    created = [
        person_create(actor=anders, given_name=given, family_name=family, birth_year=1996 + i % 10, purpose="demo data")
        for i, (given, family) in enumerate(MEMBER_NAMES)
    ]
    members = existing + created
    group_list = list(groups.values())
    for i, person in enumerate(members):
        group = group_list[i % len(group_list)]
        confirmed = today - timedelta(days=20 + (i * 17) % 300)
        services.membership_add(
            actor=anders,
            group=group,
            person=person,
            role="leader" if i < len(group_list) else "member",
            confidence=("confirmed", "probable", "possible")[i % 3],
            source="spaning" if i % 2 else "förundersökning",
            valid_from=confirmed - timedelta(days=200),
            last_confirmed=confirmed,
            purpose="demo data",
        )
    # One membership not reconfirmed in time: it has lapsed and counts nowhere.
    lapsed = created[-1]
    services.membership_add(
        actor=anders,
        group=groups["Grupp Ugglan"],
        person=lapsed,
        confidence="possible",
        source="tips",
        valid_from=today - timedelta(days=800),
        last_confirmed=today - timedelta(days=500),
        purpose="demo data",
    )
    victims = existing[:3]
    number = 0
    for years_ago, count in enumerate(reversed(INCIDENTS_PER_YEAR)):
        span_end = today - timedelta(days=365 * years_ago)
        for _n in range(count):
            number += 1
            day = span_end - timedelta(days=rng.randrange(1, 365))
            when = timezone.make_aware(datetime.combine(day, time(rng.randrange(0, 24), rng.randrange(0, 60))))
            involved = rng.sample(group_list, k=rng.choice((1, 2)))
            kind = rng.choices(("shooting", "explosion", "other"), weights=(6, 3, 1))[0]
            services.incident_create(
                actor=petra,
                kind=kind,
                occurred_at=when,
                place=f"{rng.choice(STREETS)} {rng.randrange(1, 90)}",
                district=involved[0].district if rng.random() < 0.8 else rng.choice(DISTRICTS),
                killed=1 if rng.random() < 0.12 else 0,
                injured=rng.choice((0, 0, 0, 1, 1, 2)),
                gmi=rng.choices(("confirmed", "suspected", "none"), weights=(5, 3, 2))[0],
                police_case_number=f"5000-K{99 + number}-{day:%y}",
                groups=involved,
                involvements=[(victims[number % len(victims)], "victim")] if number % 4 == 0 else [],
                purpose="demo data",
            )
    # The named scope incident: recent, with a victim who is in no group and is not made a member by it.
    bystander = person_create(
        actor=petra, given_name="Tobias", family_name="Wallin", birth_year=2004, purpose="demo data"
    )
    services.incident_create(
        actor=petra,
        kind="shooting",
        occurred_at=timezone.now() - timedelta(days=3),
        place="Ystadvägen 12",
        district="Rosengård",
        injured=1,
        gmi="suspected",
        police_case_number=SCOPE_CASE_NUMBER,
        groups=[groups["Grupp Falken"], groups["Grupp Vargen"]],
        involvements=[(bystander, "victim"), (created[1], "witness")],
        purpose="demo data",
    )


# --- Person case files: sections, journal notes, consents, shares, reports of concern ----------------

# key, creator, person key (or (given, family) of an unnamed person), kind, fields
SECTIONS: list[tuple[str, str, str | tuple[str, str], str, dict[str, object]]] = [
    ("malmo_police_section", "petra", "malmo_police_person", "police", {"risk_level": "high"}),
    ("malmo_social_section", "sara", "malmo_social_person", "social", {"notes": "Vill ut. Motiverad."}),
    ("malmo_field_team_section", "malin", "malmo_field_team_person", "social", {}),
    (
        "malmo_probation_section",
        "karin",
        "malmo_probation_person",
        "probation",
        {"supervision_type": "parole", "conditions": "Anmälningsplikt varje måndag."},
    ),
    ("orebro_section", "nils", "orebro_person", "social", {}),
    ("malmo_shared_police_section", "petra", ("Bilal", "Hassan"), "police", {"risk_level": "elevated"}),
    ("malmo_jonas_section", "sara", ("Jonas", "Pettersson"), "social", {}),
]
JOURNAL = {
    "malmo_police_section": ["Uppgifter om hot mot personen efter skjutningen i Rosengård."],
    "malmo_social_section": ["Första samtal. Vill ha hjälp med boende.", "Har fått tid hos Arbetsförmedlingen."],
    "malmo_probation_section": ["Inställde sig enligt plan."],
    "malmo_field_team_section": ["Träffad på fritidsgården."],
    "orebro_section": ["Första kontakt."],
}


def _demo_person(staff: dict[str, Staff], named: dict[str, object], ref: str | tuple[str, str], creator: str) -> Person:
    from cases.models import Person

    if isinstance(ref, str):
        return Person.objects.get(pk=named_person_pk(staff, ref))
    given, family = ref
    return Person.objects.get(owner_agency_id=staff[creator].agency_id, given_name=given, family_name=family)


@transaction.atomic
def build_case_files(staff: dict[str, Staff]) -> dict[str, object]:
    """Sections of each agency with journal notes; a child with guardians and a guardian's consent; a
    probation section shared with the police on OSL 10 kap. 2 §; a consent-based share that ended when
    the consent was revoked; a report of concern. Idempotent."""
    from datetime import timedelta

    from django.utils import timezone

    from cases import services
    from cases.models import ConcernReport, Consent, Share
    from cases.models.sections import SECTION_KINDS

    today = timezone.localdate()
    named: dict[str, object] = {}
    for key, creator, ref, kind, fields in SECTIONS:
        person = _demo_person(staff, named, ref, creator)
        model, _note_model = SECTION_KINDS[kind]
        section = model._default_manager.filter(person=person).first()
        if section is None:
            extra = {"probation_officer": staff[creator]} if kind == "probation" else {}
            section = services.section_create(actor=staff[creator], person=person, kind=kind, **fields, **extra)
            for text in JOURNAL.get(key, []):
                services.note_add(actor=staff[creator], section=section, text=text)
        named[key] = section
    named["malmo_social_note"] = named["malmo_social_section"].journal.order_by("id").first()  # type: ignore[attr-defined]
    named["malmo_police_note"] = named["malmo_police_section"].journal.order_by("id").first()  # type: ignore[attr-defined]

    sara, petra, karin = staff["sara"], staff["petra"], staff["karin"]
    police_agency, municipality, prison = petra.agency, sara.agency, karin.agency
    minor = _demo_person(staff, named, "malmo_minor_person", "sara")
    guardian = minor.guardians.first()
    if guardian is None:
        guardian = services.guardian_add(
            actor=sara,
            person=minor,
            name="Lina Nordström",
            relation="mother",
            phone="070-123 45 67",
        )
        services.alias_add(actor=sara, person=minor, name="Sam", kind="nickname")
    minor_consent = Consent.objects.filter(person=minor).first()
    if minor_consent is None:
        minor_consent = services.consent_record(
            actor=sara,
            person=minor,
            given_on=today - timedelta(days=14),
            recipients=[prison],  # type: ignore[list-item]
            subjects=["identity", "social"],
            guardians=[guardian],
            note="Samtycke i samtal med Sami och hans mamma.",
        )
    named["malmo_minor_consent"] = minor_consent

    # Kriminalvården shares a probation summary with the police (the police team), OSL 10 kap. 2 §.
    probation_section = named["malmo_probation_section"]
    probation_share = Share.objects.filter(person=probation_section.person, receiving_agency=police_agency).first()  # type: ignore[attr-defined]
    if probation_share is None:
        probation_share = services.share_create(
            actor=karin,
            person=probation_section.person,  # type: ignore[attr-defined]
            subject="probation",
            scope="summary",
            receiving_agency=police_agency,  # type: ignore[arg-type]
            receiving_team=petra.team,
            legal_basis="osl_10_2",
            purpose="Planering av samtal (call-in)",
            note_to_recipient="Visar bara tillsynsform och period; villkoren och journalen delas inte.",
            valid_until=today + timedelta(days=90),
        )
    named["malmo_share"] = probation_share

    # Sara's record of Jonas: consent to share with the police, a share, then the consent withdrawn.
    jonas_section = named["malmo_jonas_section"]
    jonas = jonas_section.person  # type: ignore[attr-defined]
    if not Consent.objects.filter(person=jonas).exists():
        consent = services.consent_record(
            actor=sara,
            person=jonas,
            given_on=today - timedelta(days=60),
            recipients=[police_agency],  # type: ignore[list-item]
            subjects=["identity", "social"],
        )
        services.share_create(
            actor=sara,
            person=jonas,
            subject="social",
            scope="summary",
            receiving_agency=police_agency,  # type: ignore[arg-type]
            legal_basis="consent",
            consent=consent,
            purpose="Samordning inför individuellt samtal",
            note_to_recipient="Att personen har kontakt med socialtjänsten, inget mer.",
            valid_until=today + timedelta(days=30),
        )
        services.consent_revoke(actor=sara, consent=consent)
    named["malmo_revoked_share"] = Share.objects.filter(person=jonas).first()

    police_minor = _demo_person(staff, named, "malmo_police_minor", "petra")
    concern = ConcernReport.objects.filter(person=police_minor).first()
    if concern is None:
        concern = services.concern_file(
            actor=petra,
            person=police_minor,
            receiving_agency=municipality,  # type: ignore[arg-type]
            concern="Tolvåring sedd som springpojke åt Grupp Falken.",
            reporter_phone="010-567 00 00",
            urgent=True,
        )
    named["malmo_concern"] = concern
    return named


# --- Exit program: referrals in every status, exit cases with contacts, overdue follow-ups ---------------

# days ago, channel, minutes, note, next step, follow-up in days from the contact
EXIT_CONTACTS = [
    (110, "meeting", 60, "Första möte på kontoret. Vill lämna gruppen; orolig för sin mamma.", "Boende", 7),
    (95, "phone", 15, "Har sökt lägenhet via kommunen.", "", 14),
    (70, "home_visit", 45, "Hembesök. Lugnare hemma.", "Arbetsförmedlingen", 14),
    (40, "in_prison", 60, "Besök på anstalt tillsammans med frivården.", "", 10),
    (12, "meeting", 30, "Träffade Hamza på torget. Planerar flytt.", "Flytt till Växjö", 5),
]


@transaction.atomic
def build_exit_program(staff: dict[str, Staff], named: dict[str, object]) -> dict[str, object]:
    """Referrals in every status (from the police on consent, from Kriminalvården on OSL 10 kap. 2 §, a
    self-referral), exit cases of Sara, Erik, the field team and Örebro, contacts over the last months with
    an overdue follow-up, a threat assessment, measures (a relocation among them) and a threatened relative
    with protected identity. Idempotent."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from cases import services as case_services
    from cases.models import Consent
    from outreach import services
    from outreach.models import Contact, ExitCase, Referral

    today = timezone.localdate()
    petra, karin, sara, erik = staff["petra"], staff["karin"], staff["sara"], staff["erik"]
    municipality, exit_team = sara.agency, sara.team
    out: dict[str, object] = {}

    def referral(
        key: str,
        actor: Staff,
        person: Person,
        reason: str,
        *,
        legal_basis: str = "",
        consent: Consent | None = None,
        source: str = "",
    ) -> Referral:
        existing = Referral.objects.filter(source_person=person).first()
        if existing is None:
            existing = services.referral_create(
                actor=actor,
                source_person=person,
                receiving_agency=municipality,  # type: ignore[arg-type]
                receiving_team=exit_team,
                reason=reason,
                legal_basis=legal_basis,
                consent=consent,
                source=source,
                received_on=today - timedelta(days=130) if key == "malmo_referral" else None,
            )
        out[key] = existing
        return existing

    # The police refer Hamza on his consent; the exit team accepts and opens the case (on a record of its own,
    # made from the identity the referral shared).
    hamza_police = _demo_person(staff, named, ("Hamza", "Ali"), "petra")
    consent = Consent.objects.filter(person=hamza_police).first() or case_services.consent_record(
        actor=petra,
        person=hamza_police,
        given_on=today - timedelta(days=131),
        recipients=[municipality],  # type: ignore[list-item]
        subjects=["identity"],
        note="Samtycke vid samtal på polisstationen.",
    )
    hamza_referral = referral(
        "malmo_referral",
        petra,
        hamza_police,
        "Vill lämna Grupp Falken efter skjutningen i Rosengård. Hotad.",
        legal_basis="consent",
        consent=consent,
    )
    if hamza_referral.status == Referral.Status.RECEIVED:
        hamza_referral = services.referral_assess(
            actor=erik, referral=hamza_referral, version=hamza_referral.version, assessment="Motiverad, hög hotbild."
        )
        hamza_referral = services.referral_decide(
            actor=erik, referral=hamza_referral, version=hamza_referral.version, accept=True
        )
        services.referral_open_case(
            actor=erik,
            referral=hamza_referral,
            version=hamza_referral.version,
            responsible=sara,
            opened_on=today - timedelta(days=120),
        )
        hamza_referral.refresh_from_db()
    out["malmo_referral"] = hamza_referral
    case = ExitCase.objects.get(referral=hamza_referral)
    out["malmo_exit_case"] = case
    if not Contact.objects.filter(exit_case=case).exists():
        for days_ago, channel, minutes, note, next_step, follow_up in EXIT_CONTACTS:
            day = today - timedelta(days=days_ago)
            services.contact_log(
                actor=sara,
                case=case,
                contact_on=day,
                channel=channel,
                duration_minutes=minutes,
                note=note,
                next_step=next_step,
                follow_up_on=day + timedelta(days=follow_up),
                staff=[karin] if channel == "in_prison" else [],
                agencies=[karin.agency] if channel == "in_prison" else [],  # type: ignore[list-item]
            )
        case.refresh_from_db()
        services.threat_assess(
            actor=sara,
            case=case,
            assessed_on=today - timedelta(days=100),
            level="high",
            summary="Hot från Grupp Vargen efter avhoppet. Polisen informerad.",
            review_on=today - timedelta(days=10),
        )
        services.measure_add(
            actor=sara,
            case=case,
            kind="housing",
            provider="Boendeenheten",
            starts_on=today - timedelta(days=90),
            status="ongoing",
        )
        services.measure_add(
            actor=sara,
            case=case,
            kind="relocation",
            provider="Socialtjänsten Växjö",
            starts_on=today - timedelta(days=20),
            status="planned",
            from_municipality="Malmö",
            to_municipality="Växjö",
            moved_on=today + timedelta(days=14),
            cost=Decimal("48500.00"),
        )
        mother = services.relative_add(
            actor=sara,
            case=case,
            name="Mina Ali",
            relation="parent",
            phone="070-765 43 21",
            address="Skyddad adress",
            protected_identity=True,
            threat_level="elevated",
            note="Hotad via telefon.",
        )
        services.measure_add(
            actor=sara, case=case, relative=mother, kind="safe_housing", provider="Kvinnojouren", status="ongoing"
        )
    out["malmo_contact"] = Contact.objects.filter(exit_case=case).order_by("-contact_on", "-id").first()
    out["malmo_relative"] = case.relative_set.first()
    out["malmo_measure"] = case.supportmeasure_set.filter(kind="relocation").first()
    out["malmo_threat"] = case.threatassessment_set.first()

    # Kriminalvården refers Oskar on OSL 10 kap. 2 § (received, not yet handled).
    oskar = _demo_person(staff, named, ("Oskar", "Nyberg"), "karin")
    referral(
        "malmo_probation_referral",
        karin,
        oskar,
        "Frigiven på villkor, vill ha stöd att bryta med kretsen.",
        legal_basis="osl_10_2",
    )
    # The police refer Elias (assessed) and Filip (declined), both on OSL 10 kap. 2 §.
    elias = referral(
        "malmo_assessed_referral",
        petra,
        _demo_person(staff, named, ("Elias", "Johansson"), "anders"),
        "Har själv bett om kontakt med avhopparverksamheten.",
        legal_basis="osl_10_2",
    )
    if elias.status == Referral.Status.RECEIVED:
        out["malmo_assessed_referral"] = services.referral_assess(
            actor=sara, referral=elias, version=elias.version, assessment="Bokat första samtal."
        )
    filip = referral(
        "malmo_declined_referral",
        petra,
        _demo_person(staff, named, ("Filip", "Andersson"), "anders"),
        "Anhöriga oroliga.",
        legal_basis="osl_10_2",
    )
    if filip.status == Referral.Status.RECEIVED:
        out["malmo_declined_referral"] = services.referral_decide(
            actor=erik, referral=filip, version=filip.version, accept=False, decline_reason="Vill inte delta."
        )
    # Kevin refers himself (accepted, the case not yet opened).
    kevin = referral(
        "malmo_self_referral",
        sara,
        _demo_person(staff, named, ("Kevin", "Lindqvist"), "sara"),
        "Ringde själv och vill ha hjälp.",
        source="self",
    )
    if kevin.status == Referral.Status.RECEIVED:
        out["malmo_self_referral"] = services.referral_decide(
            actor=sara, referral=kevin, version=kevin.version, accept=True
        )

    def direct_case(key: str, creator: str, ref: str | tuple[str, str], phase: str = "intake") -> ExitCase:
        person = _demo_person(staff, named, ref, creator)
        found = ExitCase.objects.filter(person=person).first()
        if found is None:
            found = services.exit_case_open(
                actor=staff[creator], person=person, responsible=staff[creator], opened_on=today - timedelta(days=60)
            )
            services.contact_log(
                actor=staff[creator],
                case=found,
                contact_on=today - timedelta(days=3),
                channel="phone",
                duration_minutes=20,
                note="Avstämning per telefon.",
                follow_up_on=today + timedelta(days=7),
            )
            if phase != "intake":
                services.exit_case_update(actor=staff[creator], case=found, version=found.version, phase=phase)
            found.refresh_from_db()
        out[key] = found
        return found

    direct_case("malmo_erik_case", "erik", ("Liam", "Eriksson"), "stabilise")
    direct_case("malmo_field_case", "malin", "malmo_field_team_person")
    direct_case("orebro_exit_case", "nils", "orebro_person")
    return out


# --- Call-ins and custom notifications ------------------------------------------------------------------


@transaction.atomic
def build_interventions(staff: dict[str, Staff], named: dict[str, object]) -> dict[str, object]:
    """A call-in held three weeks ago for Grupp Falken and Grupp Vargen (attendance recorded, one invitee who
    asked for help), an upcoming one with Adam invited (his probation section is shared with the police, so
    Karin sees and confirms his invitation) and speakers in all three segments; custom notifications in
    progress, planned with Sara, and followed up. Idempotent."""
    from datetime import timedelta

    from django.utils import timezone

    from gvi.mapping.models import Group
    from interventions import services
    from interventions.models import CallIn, CallInInvitation, CustomNotification

    petra, sara, karin = staff["petra"], staff["sara"], staff["karin"]
    now = timezone.now()
    out: dict[str, object] = {}
    groups = list(Group.objects.filter(owner_agency_id=petra.agency_id, name__in=["Grupp Falken", "Grupp Vargen"]))

    past = CallIn.objects.filter(owner_agency_id=petra.agency_id, place="Rosengårds bibliotek").first()
    if past is None:
        past = services.call_in_create(
            actor=petra,
            starts_at=(now - timedelta(days=21)).replace(hour=17, minute=0, second=0, microsecond=0),
            place="Rosengårds bibliotek",
            groups=groups,
            notes="Lokalen bokad via stadsdelen.",
        )
        invited = services.invitations_create(
            actor=petra, call_in=past, persons=services.invitation_candidates(petra, past)[:6]
        )
        past = services.call_in_set_status(actor=petra, call_in=past, version=past.version, status="held")
        outcomes = ["attended", "attended", "attended", "left_early", "absent", "attended"]
        services.attendance_record(
            actor=petra, call_in=past, statuses={inv.pk: status for inv, status in zip(invited, outcomes, strict=False)}
        )
        first = CallInInvitation.objects.get(pk=invited[0].pk)
        services.invitation_help(
            actor=petra, invitation=first, version=first.version, asked_for_help=True, help_note="Vill prata om jobb."
        )
    out["malmo_callin_past"] = past

    upcoming = CallIn.objects.filter(owner_agency_id=petra.agency_id, place="Polishuset, Davidshallstorg").first()
    if upcoming is None:
        upcoming = services.call_in_create(
            actor=petra,
            starts_at=(now + timedelta(days=10)).replace(hour=16, minute=0, second=0, microsecond=0),
            place="Polishuset, Davidshallstorg",
            groups=groups,
        )
        services.speaker_add(actor=petra, call_in=upcoming, segment="enforcement", staff=petra)
        services.speaker_add(
            actor=petra, call_in=upcoming, segment="community", name="Leila Haddad", organisation="Mamma till ett offer"
        )
        services.speaker_add(actor=petra, call_in=upcoming, segment="help", staff=sara)
        adam = _demo_person(staff, named, "malmo_police_person", "petra")
        services.invitations_create(actor=petra, call_in=upcoming, persons=[adam])
    out["malmo_callin"] = upcoming
    out["malmo_invitation"] = CallInInvitation.objects.filter(call_in=upcoming).order_by("id").first()

    def notification(key: str, ref: str | tuple[str, str], reason: str) -> CustomNotification:
        person = _demo_person(staff, named, ref, "petra")
        found = CustomNotification.objects.filter(person=person).first()
        if found is None:
            found = services.notification_request(actor=petra, person=person, reason=reason)
        out[key] = found
        return found

    planned = notification(
        "malmo_notification", ("Bilal", "Hassan"), "Bror till offret i skjutningen på Ystadvägen; risk för hämnd."
    )
    if planned.status == CustomNotification.Status.REQUESTED:
        planned = services.notification_assess(
            actor=petra,
            notification=planned,
            version=planned.version,
            risk_outcome="with_care",
            risk_reasoning="Inga pågående förundersökningar som påverkas; besök två och två.",
        )
        out["malmo_notification"] = services.notification_plan(
            actor=petra,
            notification=planned,
            version=planned.version,
            deliverers=[petra, sara],
            place="home",
            message_points="Vi vet vad som hänt. Våldet måste upphöra. Hjälp finns att få.",
            planned_for=now + timedelta(days=1),
        )
    done = notification("malmo_notification_done", ("Dino", "Marković"), "Släppt från anstalt förra veckan.")
    if done.status == CustomNotification.Status.REQUESTED:
        done = services.notification_assess(
            actor=petra, notification=done, version=done.version, risk_outcome="proceed", risk_reasoning="Ingen risk."
        )
        done = services.notification_plan(
            actor=petra,
            notification=done,
            version=done.version,
            deliverers=[petra, sara, karin],
            place="street",
            message_points="Erbjud stöd från avhopparverksamheten.",
        )
        done = services.notification_record_outcome(
            actor=sara, notification=done, version=done.version, outcome="delivered", outcome_note="Lyssnade."
        )
        out["malmo_notification_done"] = services.notification_follow_up(
            actor=sara, notification=done, version=done.version, help_offered=True, help_accepted=False
        )
    notification("malmo_notification_new", ("Elias", "Johansson"), "Hot mot honom på sociala medier.")
    return out


def build_enforcement(staff: dict[str, Staff], named: dict[str, object]) -> dict[str, object]:
    """Each program's response routine (the standard one); the response to the shooting on Ystadvägen three
    days ago in progress: the police's tasks done, Sara's crisis support done, the offer of exit given to Sara
    and the information to residents and Kriminalvården's task still open and overdue. An enforcement round
    against Grupp Vargen two weeks old: an arrest done, Kronofogden and Kriminalvården's tightened supervision
    planned; an ended round against Grupp Falken. Idempotent."""
    from datetime import timedelta

    from django.utils import timezone, translation

    from gvi.mapping.models import Incident
    from interventions.models import EnforcementAction, EnforcementRound, IncidentResponse, ResponseTask
    from interventions.services import responses, rounds

    petra, sara, karin, lena, maja = (staff[k] for k in ("petra", "sara", "karin", "lena", "maja"))
    today = timezone.localdate()
    out: dict[str, object] = {}
    for lead in (lena, maja):
        if not responses.routine_exists(lead):
            with translation.override("sv"):
                responses.routine_install_standard(actor=lead)
    out["malmo_routine_item"] = responses.routine_first(lena)

    incident = named["malmo_incident"]
    assert isinstance(incident, Incident)
    response = IncidentResponse.objects.filter(incident=incident).first()
    if response is None:
        response = responses.response_open(actor=petra, incident=incident)
        tasks = {
            task.owner_agency.kind + ":" + str(task.order): task
            for task in response.tasks.select_related("owner_agency")
        }
        for task in response.tasks.filter(owner_agency_id=petra.agency_id):
            responses.task_resolve(actor=petra, task=task, version=task.version, status="done", note="Utfört.")
        crisis, exit_offer = tasks["municipality:1"], tasks["municipality:4"]
        crisis = responses.task_assign(actor=sara, task=crisis, version=crisis.version, assignee=sara)
        responses.task_resolve(
            actor=sara, task=crisis, version=crisis.version, status="done", note="Stödsamtal med två vittnen."
        )
        responses.task_assign(actor=sara, task=exit_offer, version=exit_offer.version, assignee=sara)
    out["malmo_response"] = response
    task_rows = ResponseTask.objects.filter(response=response)
    out["malmo_task_crisis"] = task_rows.filter(owner_agency_id=sara.agency_id, order=1).first()
    out["malmo_task_exit"] = task_rows.filter(owner_agency_id=sara.agency_id, order=4).first()
    out["malmo_task_police"] = task_rows.filter(owner_agency_id=petra.agency_id).order_by("order").first()
    out["malmo_task_probation"] = task_rows.filter(owner_agency_id=karin.agency_id).first()

    vargen = named["malmo_other_group"]
    active = EnforcementRound.objects.filter(owner_agency_id=petra.agency_id, status="active").first()
    if active is None:
        active = rounds.round_start(
            actor=petra,
            group=vargen,  # type: ignore[arg-type]
            reason="Gruppen fortsatte skjuta efter samtalet; skjutningen på Ystadvägen.",
            incidents=[incident],
            summary="Ökat fokus mot en gruppering i Lindängen under fyra veckor.",
            started_on=today - timedelta(days=14),
        )
        arrest = rounds.action_add(
            actor=petra, round_=active, kind="arrest", acted_on=today - timedelta(days=12), acting_agency=petra.agency
        )
        rounds.action_record_result(
            actor=petra, action=arrest, version=arrest.version, status="done", result="Två gripna för vapenbrott."
        )
        rounds.action_add(actor=petra, round_=active, kind="kronofogden", acted_on=today + timedelta(days=5))
        rounds.action_add(
            actor=petra,
            round_=active,
            kind="supervision",
            acted_on=today + timedelta(days=2),
            acting_agency=karin.agency,
            description="Skärpt kontroll av klienter i grupperingen: tätare besök och drogtester.",
        )
    out["malmo_round"] = active
    actions = EnforcementAction.objects.filter(round=active)
    out["malmo_action_arrest"] = actions.filter(kind="arrest").first()
    out["malmo_action_kronofogden"] = actions.filter(kind="kronofogden").first()
    out["malmo_action_supervision"] = actions.filter(kind="supervision").first()

    ended = EnforcementRound.objects.filter(owner_agency_id=petra.agency_id, status="ended").first()
    if ended is None:
        ended = rounds.round_start(
            actor=petra,
            group=named["malmo_group"],  # type: ignore[arg-type]
            reason="Skjutningar i Rosengård i våras.",
            started_on=today - timedelta(days=120),
        )
        search = rounds.action_add(
            actor=petra, round_=ended, kind="search", acted_on=today - timedelta(days=110), acting_agency=petra.agency
        )
        rounds.action_record_result(
            actor=petra, action=search, version=search.version, status="done", result="Vapen och narkotika beslagtogs."
        )
        ended = rounds.round_end(
            actor=petra,
            round_=ended,
            version=EnforcementRound.objects.get(pk=ended.pk).version,
            ended_on=today - timedelta(days=60),
            evaluation="Inga skjutningar med gruppen under de följande två månaderna.",
        )
    out["malmo_round_ended"] = ended
    return out


# --- Reports --------------------------------------------------------------------------------------


def build_reports(staff: dict[str, Staff]) -> dict[str, object]:
    """Each program's report plan (baseline 2019); Lena's quarterly report of the last finished quarter, built
    (the demo's data reaches back over it, so it is never empty), and last year's yearly report, whose build
    failed and waits for a retry; Maja's quarterly report for Örebro, built; indicators for goals 2 and 3 in
    both programs, one quarter without the police hours (shown as missing). Built in-process; idempotent."""
    from datetime import date, timedelta
    from decimal import Decimal

    from django.utils import timezone

    from reports import services
    from reports.metrics import Period
    from reports.models import Indicator, IndicatorKind, Report, ReportKind

    lena, maja = staff["lena"], staff["maja"]
    today = timezone.localdate()
    quarter = services.last_finished_quarter(today)
    out: dict[str, object] = {}
    for lead, prefix in ((lena, "malmo"), (maja, "orebro")):
        program = lead.program
        assert program is not None
        plan = services.plan_for(program)
        if plan.baseline_year != 2019:
            plan = services.change_plan(lead, plan, expected_version=plan.version, changes={"baseline_year": 2019})
        out[f"{prefix}_plan"] = plan
        periods = [quarter, quarter.previous(), quarter.previous().previous()]
        for number, period in enumerate(periods):
            if number == 1 and prefix == "malmo":
                continue  # the police hours of that quarter are not in yet
            existing = Indicator.objects.filter(
                program=program, kind=IndicatorKind.POLICE_HOURS, period_first=period.first
            ).first()
            if existing is None:
                existing = services.add_indicator(
                    lead,
                    {
                        "kind": IndicatorKind.POLICE_HOURS,
                        "period_first": period.first,
                        "period_last": period.last,
                        "value": Decimal(2400 - 150 * number),
                        "source": "Polisregion Syd, utredningsstatistik",
                        "source_date": min(today, period.last + timedelta(days=20)),
                    },
                )
            if number == 0:
                out[f"{prefix}_indicator"] = existing
        if not Indicator.objects.filter(program=program, kind=IndicatorKind.SAFETY_SURVEY).exists():
            year = Period.year(today.year - 1)
            services.add_indicator(
                lead,
                {
                    "kind": IndicatorKind.SAFETY_SURVEY,
                    "period_first": year.first,
                    "period_last": year.last,
                    "value": Decimal("71.5"),
                    "source": "Kommunens trygghetsmätning",
                    "source_date": min(today, date(today.year, 3, 1)),
                },
            )
        report = Report.objects.filter(program=program, kind=ReportKind.QUARTERLY, period_first=quarter.first).first()
        if report is None:
            report = services.order_report(
                lead, kind=ReportKind.QUARTERLY, year=quarter.first.year, quarter=quarter.quarter_number, enqueue=False
            )
            report = services.build(report.pk)
            if report is None or report.status != Report.Status.DONE:
                raise RuntimeError(f"the demo's report did not build: {report.error if report else 'missing'}")
        out[f"{prefix}_report"] = report
    failed = Report.objects.filter(program=lena.program, kind=ReportKind.YEARLY).first()
    if failed is None:
        failed = services.order_report(lena, kind=ReportKind.YEARLY, year=today.year - 1, enqueue=False)
        Report.objects.filter(pk=failed.pk).update(
            status=Report.Status.FAILED, error="OperationalError: the database connection was lost", attempts=1
        )
        failed.refresh_from_db()
    out["malmo_report_failed"] = failed
    return out


# --- Emergency access ------------------------------------------------------------------------------


def build_emergency_access(staff: dict[str, Staff]) -> dict[str, object]:
    """Malmö allows emergency access (nödåtkomst, gvi/accounts/emergency.py); Örebro does not. Idempotent."""
    Program.objects.filter(slug="malmo", emergency_access_allowed=False).update(emergency_access_allowed=True)
    for member in staff.values():
        if member.program is not None and member.program.slug == "malmo":
            member.program.emergency_access_allowed = True
    return {}


# --- Retention: rules and legal holds -------------------------------------------------------------------

# name, keeper, the held record (a named section), the reason
HOLDS = [
    ("malmo_hold", "sara", "malmo_social_section", "Klagomål till IVO om handläggningen pågår (dnr 8.1-12345/2026)."),
    ("malmo_police_hold", "petra", "malmo_police_section", "Förundersökning pågår (K-123456-26)."),
    ("orebro_hold", "nils", "orebro_section", "Mål i förvaltningsrätten (mål nr 4321-26)."),
]


@transaction.atomic
def build_retention(staff: dict[str, Staff], named: dict[str, object]) -> dict[str, object]:
    """Malmö's own rule for police sections (two years); a legal hold in each agency; and an Örebro section
    whose last entry is six years old, so that the preview shows what the next run culls. Idempotent."""
    from datetime import timedelta

    from django.db.models import Model
    from django.utils import timezone

    from cases import services as case_services
    from cases.models import Person, SocialSection
    from gvi.retention import services
    from gvi.retention.models import LegalHold, RetentionRule

    out: dict[str, object] = {}
    lena = staff["lena"]
    rule = RetentionRule.objects.filter(program=lena.program, category="police_sections").first()
    out["malmo_rule"] = rule or services.rule_set(actor=lena, category="police_sections", months=24)
    for name, keeper, record_name, reason in HOLDS:
        record = named[record_name]
        assert isinstance(record, Model)
        hold = LegalHold.objects.active().filter(object_type=record._meta.label_lower, object_id=record.pk).first()
        out[name] = hold or services.hold_place(actor=staff[keeper], record=record, reason=reason)
    nils = staff["nils"]
    person = Person.objects.filter(owner_agency_id=nils.agency_id, given_name="Vera", family_name="Lind").first()
    if person is None:
        person = case_services.person_create(actor=nils, given_name="Vera", family_name="Lind", birth_year=1999)
    due = SocialSection.objects.filter(person=person).first()
    if due is None:
        section = case_services.section_create(actor=nils, person=person, kind="social")
        case_services.note_add(actor=nils, section=section, text="Avslutat: flyttade från kommunen.")
        six_years_ago = timezone.now() - timedelta(days=6 * 365)
        SocialSection.objects.filter(pk=section.pk).update(updated_at=six_years_ago)
        due = SocialSection.objects.get(pk=section.pk)
    out["orebro_due_section"] = due
    return out
