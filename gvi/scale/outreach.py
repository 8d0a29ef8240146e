"""The exit program of the national-scale data set: who holds which case (skewed caseloads; bench_least four,
bench_social about 45), referrals in every status, exit cases with their contacts (most cases few, some very
many), threat assessments, support measures and relatives."""

from __future__ import annotations

from datetime import date, timedelta

from cases.models.persons import Person
from gvi.accounts.models import Role, Staff
from gvi.scale import names
from gvi.scale.build import CONTACT_NOTES, YEARS, Builder, CasePlan, at, spread
from gvi.scale.loader import Grantee
from outreach.models import Contact, ExitCase, Referral, Relative, SupportMeasure, ThreatAssessment

REASONS = (
    "Vill lämna gruppen efter en skjutning i området.",
    "Orolig för sin familj; har själv bett om hjälp.",
    "Frigiven nyligen och vill bryta med kretsen.",
    "Skolan är orolig efter hot på sociala medier.",
)


def plan_cases(builder: Builder) -> list[CasePlan]:
    """Who holds which exit case, before the persons are made (a case's person is made by its referrer or
    its responsible worker). Caseloads are skewed; bench_least holds four cases, bench_social ~45."""
    rng = builder.rng
    world = builder.world
    total = builder.volumes.exit_cases
    least, social = world.persona("bench_least"), world.persona("bench_social")
    workers = [s for s in world.members(Role.SOCIAL_WORKER) if s.pk not in (least.pk, social.pk)]
    weights = [rng.lognormvariate(0, 0.5) for _w in workers]
    fixed = [least] * min(4, total) + [social] * min(45, max(total - 4, 0))
    chosen = fixed + rng.choices(workers, weights=weights, k=max(total - len(fixed), 0))
    agencies = {a.pk: a for a in builder.municipalities}
    by_agency: dict[int, list[Staff]] = {}
    for worker in world.members(Role.SOCIAL_WORKER):
        by_agency.setdefault(worker.agency_id or 0, []).append(worker)
    plans = []
    for n, responsible in enumerate(chosen):
        opened = builder.day_in_window(years=0.4 if responsible.pk == least.pk else YEARS)
        age = (builder.today - opened).days
        still_open = rng.random() < (0.85 if age < 180 else 0.5 if age < 365 else 0.2 if age < 730 else 0.05)
        # bench_least's four cases and 35 of bench_social's are open: her caseload is about 35 open cases.
        kept_open = n < max(4, len(fixed) - 10)
        closed = None if still_open or kept_open else min(builder.today, opened + timedelta(days=rng.randint(30, 700)))
        referred = rng.random() < 0.7 and responsible.pk != least.pk
        referrer = rng.choice(by_agency[responsible.agency_id or 0]) if referred else None
        plans.append(CasePlan(agencies[responsible.agency_id or 0], responsible, referrer, opened, closed))
    return plans


def exit_program(builder: Builder, plans: list[CasePlan]) -> None:
    """`outreach.services`: `referral_create` within the municipality (the referrer and her team follow the
    status; the receiving team and the agency handle it), `referral_open_case` (the opener's and the
    responsible's teams are granted the person's record when they lack it) and `exit_case_open` (the
    responsible worker, her team, the opener's agency); then `contact_log`, `threat_assess`, `measure_add`,
    `relative_add`. Contacts per case are skewed (most few, some very many)."""
    rng = builder.rng
    # Cases of persons made beyond the persons' budget reuse an earlier person whose case is closed.
    closed_before = [p for p in plans if p.person_id and p.closed_on is not None]
    for plan in plans:
        if not plan.person_id and closed_before:
            earlier = rng.choice(closed_before)
            plan.person_id = earlier.person_id
            plan.municipality = earlier.municipality
            plan.responsible = rng.choice(builder.world.members(Role.SOCIAL_WORKER, earlier.municipality))
            plan.referrer = earlier.responsible
            assert earlier.closed_on is not None
            plan.opened_on = min(builder.today, earlier.closed_on + timedelta(days=rng.randint(1, 200)))
            if plan.closed_on is not None and plan.closed_on <= plan.opened_on:
                plan.closed_on = None
    plans = [p for p in plans if p.person_id]
    open_persons: set[int] = set()
    case_ids = builder.ids.reserve(ExitCase, len(plans))
    referral_ids = iter(builder.ids.reserve(Referral, sum(1 for p in plans if p.referrer)))
    durations = [((p.closed_on or builder.today) - p.opened_on).days for p in plans]
    counts = spread(
        builder.volumes.contacts, [rng.lognormvariate(0, 1.1) * (0.2 + min(d, 730) / 730) for d in durations]
    )
    coordinators = {a.pk: builder.world.members(Role.EXIT_COORDINATOR, a) for a in builder.municipalities}
    for case_id, plan, contacts in zip(case_ids, plans, counts, strict=True):
        if plan.closed_on is None:
            if plan.person_id in open_persons:
                plan.closed_on = builder.today  # one open case per person
            else:
                open_persons.add(plan.person_id)
        opener = plan.responsible
        referral_id = None
        if plan.referrer is not None:
            opener = rng.choice(coordinators[plan.municipality.pk] or [plan.responsible])
            referral_id = next(referral_ids)
            _referral(builder, referral_id, plan, plan.referrer, status="opened", received_on=plan.opened_on)
            _team_grants_for_case(builder, plan.person_id, opener, plan.responsible)
        _exit_case(builder, case_id, plan, opener, referral_id, contacts)
    _open_referrals(builder, plans, open_persons)


def _team_grants_for_case(builder: Builder, person_id: int, opener: Staff, responsible: Staff) -> None:
    """`referrals._own_record`: the teams that take the case over get the person's record (view, change)."""
    teams = builder.person_teams[person_id]
    grants: list[tuple[Grantee, tuple[str, ...]]] = []
    for member in (opener, responsible):
        team = member.team
        if team is not None and team.group_id not in teams:
            teams.add(team.group_id)
            grants.append((("group", team.group_id), ("view", "change")))
    if grants:
        builder.grants.give(Person, person_id, grants)


def _referral(
    builder: Builder, referral_id: int, plan: CasePlan, referrer: Staff, *, status: str, received_on: date
) -> None:
    rng = builder.rng
    given, family, number, year = builder.names_of[plan.person_id]
    source = rng.choice(("social_services", "social_services", "school", "self", "other"))
    team = plan.responsible.team
    builder.table(
        Referral,
        (
            "id",
            "created_at",
            "created_by_id",
            "updated_at",
            "program_id",
            "owner_agency_id",
            "source",
            "source_person_id",
            "person_id",
            "referring_agency_id",
            "referred_by_id",
            "referrer_name",
            "receiving_team_id",
            "given_name",
            "family_name",
            "identity_number",
            "birth_year",
            "reason",
            "urgency",
            "received_on",
            "status",
            "status_changed_at",
            "assessment",
            "decline_reason",
        ),
    ).add(
        referral_id,
        at(received_on, 9),
        referrer.pk,
        at(received_on, 9),
        builder.program_id,
        plan.municipality.pk,
        source,
        plan.person_id,
        plan.person_id,
        referrer.agency_id,
        referrer.pk,
        "Rektor, Centralskolan" if source == "school" else "",
        team.pk if team is not None else None,
        given,
        family,
        number,
        year,
        rng.choice(REASONS),
        rng.choices(("normal", "high", "acute"), weights=(7, 2, 1))[0],
        received_on,
        status,
        at(received_on + timedelta(days=1 if status != "received" else 0), 15),
        "Motiverad; bokat första samtal." if status in ("assessed", "accepted", "opened") else "",
        "Vill inte delta." if status == "declined" else "",
    )
    grants: list[tuple[Grantee, tuple[str, ...]]] = [(("user", referrer.pk), ("view_status",))]
    if referrer.team is not None:
        grants.append((("group", referrer.team.group_id), ("view_status",)))
    receivers = [plan.municipality.group_id] if team is None else [team.group_id, plan.municipality.group_id]
    grants += [(("group", group_id), ("view", "change")) for group_id in receivers]
    builder.grants.give(Referral, referral_id, grants)


def _open_referrals(builder: Builder, plans: list[CasePlan], open_persons: set[int]) -> None:
    """Referrals not (yet) turned into cases, in every other status, for persons without an open case."""
    rng = builder.rng
    candidates = list({p.person_id: p for p in plans if p.person_id not in open_persons}.values())
    extra = rng.sample(candidates, min(len(candidates), len(plans) // 5))
    referral_ids = builder.ids.reserve(Referral, len(extra))
    for referral_id, plan in zip(referral_ids, extra, strict=True):
        status = rng.choice(("received", "assessed", "accepted", "declined", "declined"))
        received = builder.today - timedelta(days=rng.randint(0, 60 if status != "declined" else 700))
        referrer = plan.referrer or plan.responsible
        _referral(builder, referral_id, plan, referrer, status=status, received_on=received)


def _exit_case(
    builder: Builder, case_id: int, plan: CasePlan, opener: Staff, referral_id: int | None, contacts: int
) -> None:
    rng = builder.rng
    responsible = plan.responsible
    end = plan.closed_on or builder.today
    span = max((end - plan.opened_on).days, 0)
    days = sorted(plan.opened_on + timedelta(days=rng.randint(0, span)) for _n in range(contacts))
    contact_table = builder.table(
        Contact,
        (
            "created_at",
            "created_by_id",
            "updated_at",
            "exit_case_id",
            "contact_on",
            "channel",
            "duration_minutes",
            "note",
            "next_step",
            "follow_up_on",
        ),
    )
    follow_up = None
    channels = ("meeting", "meeting", "phone", "phone", "home_visit", "in_prison", "digital")
    for day in days:
        written = at(day, 16)
        follow_up = day + timedelta(days=rng.randint(5, 21)) if rng.random() < 0.6 else None
        contact_table.add(
            written,
            responsible.pk,
            written,
            case_id,
            day,
            rng.choice(channels),
            rng.choice((15, 30, 30, 45, 60, 90)),
            rng.choice(CONTACT_NOTES),
            "",
            follow_up,
        )
    threat_level, threat_review = "", None
    if rng.random() < 0.4:
        for n in range(rng.randint(1, 3)):
            assessed = plan.opened_on + timedelta(days=min(span, 30 * n + rng.randint(0, 20)))
            threat_level = rng.choice(("none", "low", "elevated", "high", "acute"))
            threat_review = assessed + timedelta(days=90)
            builder.table(
                ThreatAssessment,
                (
                    "created_at",
                    "created_by_id",
                    "updated_at",
                    "exit_case_id",
                    "assessed_on",
                    "level",
                    "summary",
                    "review_on",
                ),
            ).add(
                at(assessed, 11),
                responsible.pk,
                at(assessed, 11),
                case_id,
                assessed,
                threat_level,
                "Hotbild bedömd.",
                threat_review,
            )
    relative_ids = list(builder.ids.reserve(Relative, 1 if rng.random() < 0.25 else 0))
    for relative_id in relative_ids:
        builder.table(
            Relative,
            (
                "id",
                "created_at",
                "created_by_id",
                "updated_at",
                "exit_case_id",
                "name",
                "relation",
                "threat_level",
                "protected_identity",
            ),
        ).add(
            relative_id,
            at(plan.opened_on, 12),
            responsible.pk,
            at(plan.opened_on, 12),
            case_id,
            f"{rng.choice(names.GIVEN_NAMES_F)} {rng.choice(names.FAMILY_NAMES)}",
            rng.choice(("parent", "sibling", "partner", "child")),
            rng.choice(("low", "elevated", "high")),
            rng.random() < 0.1,
        )
    measure_kinds = ("housing", "work", "education", "addiction", "debt", "protected_id", "relocation")
    for n in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
        starts = plan.opened_on + timedelta(days=min(span, 14 * n + rng.randint(0, 30)))
        relocation = rng.random() < 0.1
        kind = "relocation" if relocation else rng.choice(measure_kinds)
        builder.table(
            SupportMeasure,
            (
                "created_at",
                "created_by_id",
                "updated_at",
                "exit_case_id",
                "relative_id",
                "kind",
                "provider",
                "starts_on",
                "status",
                "from_municipality",
                "to_municipality",
            ),
        ).add(
            at(starts, 13),
            responsible.pk,
            at(starts, 13),
            case_id,
            relative_ids[0] if relative_ids and n == 0 and not relocation else None,
            "safe_housing" if relative_ids and n == 0 and not relocation else kind,
            rng.choice(
                ("Boendeenheten", "Arbetsförmedlingen", "Beroendemottagningen", "Budget- och skuldrådgivningen")
            ),
            starts,
            "completed" if plan.closed_on else rng.choice(("planned", "ongoing")),
            plan.municipality.name.split()[0] if kind == "relocation" else "",
            "Växjö" if kind == "relocation" else "",
        )
    outcome = rng.choice(("completed", "completed", "dropped_out", "relapsed", "moved_away")) if plan.closed_on else ""
    builder.table(
        ExitCase,
        (
            "id",
            "created_at",
            "created_by_id",
            "updated_at",
            "program_id",
            "owner_agency_id",
            "person_id",
            "referral_id",
            "responsible_id",
            "team_id",
            "opened_on",
            "closed_on",
            "phase",
            "outcome",
            "next_follow_up_on",
            "last_contact_on",
            "threat_review_on",
            "threat_level",
        ),
    ).add(
        case_id,
        at(plan.opened_on, 10),
        opener.pk,
        at(days[-1] if days else plan.opened_on, 16),
        builder.program_id,
        plan.municipality.pk,
        plan.person_id,
        referral_id,
        responsible.pk,
        responsible.team_id,
        plan.opened_on,
        plan.closed_on,
        "follow_up" if plan.closed_on else rng.choice(("intake", "stabilise", "establish", "follow_up")),
        outcome,
        follow_up if days else None,
        days[-1] if days else None,
        threat_review,
        threat_level,
    )
    grants: list[tuple[Grantee, tuple[str, ...]]] = [
        (("user", responsible.pk), ("view", "change", "view_contact")),
        (("group", responsible.team.group_id), ("view", "change")),  # type: ignore[union-attr]
        (("group", opener.agency.group_id), ("view", "change")),  # type: ignore[union-attr]
    ]
    builder.grants.give(ExitCase, case_id, grants)
