"""The interventions of the national-scale data set: call-ins with speakers and invitations, custom
notifications, enforcement rounds with their actions, and responses after incidents with the routine's tasks.
Each root object gets the grant rows of the service named in the builder's docstring."""

from __future__ import annotations

from datetime import datetime, timedelta

from gvi.accounts.models import Role, Staff
from gvi.scale import names
from gvi.scale.build import Builder, at, owner_grants
from gvi.scale.loader import Grantee
from gvi.scale.world import MAIN_POLICE
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
from interventions.services.rounds import OUTSIDE_BY_KIND

INVITATIONS_PER_CALL_IN = 6
ROUNDS_PER_GROUP = 0.6
RESPONSES_PER_INCIDENT = 0.15


def call_ins(builder: Builder) -> None:
    """`call_in_create` (granted to its creator, team and agency; every other agency of the program holds its
    schedule), `speaker_add` in the three segments, `invitations_create` for members of the target groups."""
    rng = builder.rng
    world = builder.world
    others = {a.pk: [o for o in world.agencies.values() if o.pk != a.pk] for a in world.agencies.values()}
    social_workers = world.members(Role.SOCIAL_WORKER)
    call_in_ids = builder.ids.reserve(CallIn, builder.volumes.call_ins)
    invitation_ids = iter(builder.ids.reserve(CallInInvitation, len(call_in_ids) * INVITATIONS_PER_CALL_IN))
    through = CallIn.groups.through
    for call_in_id in call_in_ids:
        agency = builder.police_agency()
        creator = rng.choice(builder.police_staff(agency, Role.POLICE_COORDINATOR))
        future = rng.random() < 0.1
        day = builder.today + timedelta(days=rng.randint(1, 60)) if future else builder.day_in_window()
        status = "planned" if future else rng.choices(("held", "cancelled"), weights=(9, 1))[0]
        starts = at(day, rng.choice((15, 16, 17, 18)))
        created = starts - timedelta(days=rng.randint(14, 40))
        builder.table(
            CallIn,
            (
                "id",
                "created_at",
                "created_by_id",
                "updated_at",
                "program_id",
                "owner_agency_id",
                "starts_at",
                "place",
                "status",
            ),
        ).add(
            call_in_id,
            created,
            creator.pk,
            created,
            builder.program_id,
            agency.pk,
            starts,
            f"{rng.choice(names.PLACES)}, {rng.choice(names.DISTRICTS)}",
            status,
        )
        grants = owner_grants("interventions.callin", creator)
        grants += [(("group", other.group_id), ("view_schedule",)) for other in others[agency.pk]]
        builder.grants.give(CallIn, call_in_id, grants)
        groups = rng.sample(
            builder.groups_of.get(agency.pk, []), min(len(builder.groups_of.get(agency.pk, [])), rng.randint(1, 3))
        )
        for group_id in groups:
            builder.table(through, ("callin_id", "group_id")).add(call_in_id, group_id)
        speakers = builder.table(Speaker, ("call_in_id", "segment", "staff_id", "name", "organisation", "order"))
        speakers.add(call_in_id, "enforcement", creator.pk, "", "", 1)
        speakers.add(
            call_in_id,
            "community",
            None,
            f"{rng.choice(names.GIVEN_NAMES_F)} {rng.choice(names.FAMILY_NAMES)}",
            "Mamma till ett offer",
            1,
        )
        speakers.add(call_in_id, "help", rng.choice(social_workers).pk, "", "", 1)
        members = list(dict.fromkeys(p for g in groups for p in builder.members_of.get(g, [])))
        for person_id in rng.sample(members, min(len(members), INVITATIONS_PER_CALL_IN)):
            _invitation(builder, next(invitation_ids), call_in_id, person_id, creator, status, created)


def _invitation(
    builder: Builder,
    invitation_id: int,
    call_in_id: int,
    person_id: int,
    creator: Staff,
    status: str,
    created: datetime,
) -> None:
    rng = builder.rng
    if status == "held":
        state = rng.choices(("attended", "left_early", "absent"), weights=(6, 1, 3))[0]
    elif status == "planned":
        state = rng.choices(("invited", "confirmed"), weights=(7, 3))[0]
    else:
        state = "invited"
    builder.table(
        CallInInvitation,
        (
            "id",
            "created_at",
            "created_by_id",
            "updated_at",
            "program_id",
            "owner_agency_id",
            "call_in_id",
            "person_id",
            "status",
            "confirmed_at",
            "asked_for_help",
            "help_note",
        ),
    ).add(
        invitation_id,
        created,
        creator.pk,
        created,
        builder.program_id,
        creator.agency_id,
        call_in_id,
        person_id,
        state,
        created + timedelta(days=3) if state == "confirmed" else None,
        state == "attended" and rng.random() < 0.15,
        "",
    )
    builder.grants.give(CallInInvitation, invitation_id, owner_grants("interventions.callininvitation", creator))


NOTIFICATION_REASONS = (
    "Bror till offret i en skjutning; risk för hämnd.",
    "Släppt från anstalt förra veckan.",
    "Hot mot honom på sociala medier.",
    "Nära en grupp i konflikt efter en sprängning.",
)
NOTIFICATION_STATUSES = ("requested", "assessed", "planned", "outcome", "closed", "cancelled")
NOTIFICATION_WEIGHTS = (10, 10, 15, 15, 45, 5)


def notifications(builder: Builder) -> None:
    """`notification_request` (granted to its creator, team and agency), then the steps its status implies;
    `notification_plan` grants `view_plan` to those who deliver it from other agencies (a social worker, now and
    then a probation officer)."""
    rng = builder.rng
    world = builder.world
    social_workers = world.members(Role.SOCIAL_WORKER)
    officers = world.members(Role.PROBATION_OFFICER)
    through = CustomNotification.deliverers.through
    columns = (
        "id",
        "created_at",
        "created_by_id",
        "updated_at",
        "program_id",
        "owner_agency_id",
        "person_id",
        "person_name",
        "reason",
        "requested_at",
        "status",
        "risk_outcome",
        "risk_reasoning",
        "assessed_at",
        "assessed_by_id",
        "place",
        "planned_for",
        "message_points",
        "outcome",
        "outcome_at",
        "outcome_note",
        "first_contact_at",
        "help_offered",
        "help_accepted",
    )
    for notification_id in builder.ids.reserve(CustomNotification, builder.volumes.notifications):
        agency = builder.police_agency()
        creator = rng.choice(builder.police_staff(agency, Role.POLICE_COORDINATOR))
        person_id = rng.choice(builder.persons_of[agency.pk])
        given, family, _number, _year = builder.names_of[person_id]
        status = rng.choices(NOTIFICATION_STATUSES, weights=NOTIFICATION_WEIGHTS)[0]
        requested = at(builder.day_in_window(), rng.randint(8, 18))
        step = NOTIFICATION_STATUSES.index(status) if status != "cancelled" else 1
        assessed = requested + timedelta(hours=rng.randint(2, 48)) if step >= 1 else None
        planned_for = requested + timedelta(days=rng.randint(1, 7)) if step >= 2 else None
        outcome = rng.choices(("delivered", "not_found", "refused"), weights=(7, 2, 1))[0] if step >= 3 else ""
        reached = planned_for if outcome in ("delivered", "refused") else None
        builder.table(CustomNotification, columns).add(
            notification_id,
            requested,
            creator.pk,
            requested,
            builder.program_id,
            agency.pk,
            person_id,
            f"{given} {family}",
            rng.choice(NOTIFICATION_REASONS),
            requested,
            status,
            "do_not" if status == "cancelled" else rng.choice(("proceed", "with_care")) if assessed else "",
            "Bedömt tillsammans med förundersökningsledaren." if assessed else "",
            assessed,
            creator.pk if assessed else None,
            rng.choice(("home", "street", "prison", "phone")) if planned_for else "",
            planned_for,
            "Vi vet vad som hänt. Våldet måste upphöra. Hjälp finns att få." if planned_for else "",
            outcome,
            planned_for if outcome else None,
            "Lyssnade." if outcome == "delivered" else "",
            reached,
            status == "closed" and rng.random() < 0.7,
            status == "closed" and rng.random() < 0.3,
        )
        grants = owner_grants("interventions.customnotification", creator)
        if planned_for is not None:
            deliverers = [creator, rng.choice(social_workers)]
            if rng.random() < 0.25:
                deliverers.append(rng.choice(officers))
            for deliverer in deliverers:
                builder.table(through, ("customnotification_id", "staff_id")).add(notification_id, deliverer.pk)
                if deliverer.agency_id != agency.pk:
                    grants.append((("user", deliverer.pk), ("view_plan",)))
        builder.grants.give(CustomNotification, notification_id, grants)


def rounds(builder: Builder) -> None:
    """`round_start` (granted to its creator, team and agency) and `action_add`: the police agency holds every
    action; an action by Kriminalvården is granted to it with the round's summary; an outside authority's
    result is recorded by the police."""
    rng = builder.rng
    prison = builder.prison
    groups = [(agency_id, g) for agency_id, ids in builder.groups_of.items() for g in ids]
    count = max(1, round(len(groups) * ROUNDS_PER_GROUP))
    active_groups = {g for _a, g in rng.sample(groups, min(len(groups), max(1, count // 7)))}
    incidents_through = EnforcementRound.incidents.through
    agencies = {a.pk: a for a in builder.police}
    round_ids = list(builder.ids.reserve(EnforcementRound, count))
    chosen = [(a, g) for a, g in groups if g in active_groups]
    chosen += [rng.choice(groups) for _n in range(count - len(chosen))]
    for round_id, (agency_id, group_id), n in zip(round_ids, chosen, range(count), strict=True):
        agency = agencies[agency_id]
        creator = rng.choice(builder.police_staff(agency, Role.POLICE_COORDINATOR))
        active = n < len(active_groups)
        started = builder.today - timedelta(days=rng.randint(1, 60)) if active else builder.day_in_window()
        ended = None if active else min(builder.today, started + timedelta(days=rng.randint(20, 90)))
        builder.table(
            EnforcementRound,
            (
                "id",
                "created_at",
                "created_by_id",
                "updated_at",
                "program_id",
                "owner_agency_id",
                "group_id",
                "reason",
                "summary",
                "started_on",
                "status",
                "ended_on",
                "evaluation",
            ),
        ).add(
            round_id,
            at(started, 8),
            creator.pk,
            at(started, 8),
            builder.program_id,
            agency.pk,
            group_id,
            "Gruppen fortsatte skjuta efter samtalet.",
            "Ökat fokus mot en gruppering under några veckor.",
            started,
            "active" if active else "ended",
            ended,
            "" if active else "Färre skjutningar med gruppen efteråt.",
        )
        incidents = builder.incidents_of.get(agency.pk, [])
        for incident_id, *_rest in rng.sample(incidents, min(len(incidents), rng.choice((0, 1, 1, 2, 3)))):
            builder.table(incidents_through, ("enforcementround_id", "incident_id")).add(round_id, incident_id)
        round_grants = owner_grants("interventions.enforcementround", creator)
        for action_id in builder.ids.reserve(EnforcementAction, rng.randint(1, 4)):
            kind = rng.choice(("arrest", "search", "detention", "kronofogden", "skatteverket", "supervision"))
            acting = prison if kind == "supervision" else None if kind in OUTSIDE_BY_KIND else agency
            acted = started + timedelta(days=rng.randint(0, 20))
            done = not active or acted < builder.today
            builder.table(
                EnforcementAction,
                (
                    "id",
                    "created_at",
                    "created_by_id",
                    "updated_at",
                    "program_id",
                    "owner_agency_id",
                    "round_id",
                    "kind",
                    "acted_on",
                    "acting_agency_id",
                    "external_agency",
                    "status",
                    "result",
                    "result_recorded_at",
                ),
            ).add(
                action_id,
                at(started, 9),
                creator.pk,
                at(started, 9),
                builder.program_id,
                agency.pk,
                round_id,
                kind,
                acted,
                acting.pk if acting else None,
                "" if acting else OUTSIDE_BY_KIND[kind],
                "done" if done else "planned",
                "Utfört enligt plan." if done else "",
                at(acted, 17) if done else None,
            )
            grants: list[tuple[Grantee, tuple[str, ...]]] = [(("group", agency.group_id), ("view", "change"))]
            if acting is None or acting.pk == agency.pk:
                grants.append((("group", agency.group_id), ("record_result",)))
            else:
                grants.append((("group", acting.group_id), ("view", "record_result")))
                round_grants.append((("group", acting.group_id), ("view_summary",)))
            builder.grants.give(EnforcementAction, action_id, grants)
        builder.grants.give(EnforcementRound, round_id, round_grants)


def responses(builder: Builder) -> None:
    """`response_open` after the big police region's incidents of the last three years: the response granted
    to its opener, team and agency; a task per routine item, granted to its agency, which (when it is not the
    police) also holds the response's summary while the police follow the task's status."""
    rng = builder.rng
    agency = builder.world.agencies[MAIN_POLICE]
    items = list(
        ResponseTemplateItem.objects.filter(program_id=builder.program_id, active=True)
        .select_related("agency")
        .order_by("order", "deadline_hours", "id")
    )
    horizon = builder.today - timedelta(days=3 * 365)
    recent = [i for i in builder.incidents_of.get(agency.pk, []) if i[1].date() >= horizon]
    count = min(len(recent), round(builder.volumes.incidents * RESPONSES_PER_INCIDENT))
    openers = builder.police_staff(agency, Role.POLICE_COORDINATOR)
    task_ids = iter(builder.ids.reserve(ResponseTask, count * len(items)))
    for response_id, (incident_id, occurred, district, kind) in zip(
        builder.ids.reserve(IncidentResponse, count), rng.sample(recent, count), strict=True
    ):
        opener = rng.choice(openers)
        opened = occurred + timedelta(hours=rng.randint(1, 6))
        closed = (
            opened + timedelta(days=rng.randint(10, 30))
            if occurred.date() < builder.today - timedelta(days=30)
            else None
        )
        builder.table(
            IncidentResponse,
            (
                "id",
                "created_at",
                "created_by_id",
                "updated_at",
                "program_id",
                "owner_agency_id",
                "incident_id",
                "occurred_at",
                "district",
                "kind",
                "status",
                "opened_at",
                "closed_at",
            ),
        ).add(
            response_id,
            opened,
            opener.pk,
            closed or opened,
            builder.program_id,
            agency.pk,
            incident_id,
            occurred,
            district,
            kind,
            "closed" if closed else "open",
            opened,
            closed,
        )
        response_grants = owner_grants("interventions.incidentresponse", opener)
        for item in items:
            task_id = next(task_ids)
            resolved = closed or (occurred + timedelta(hours=item.deadline_hours) if rng.random() < 0.5 else None)
            builder.table(
                ResponseTask,
                (
                    "id",
                    "created_at",
                    "created_by_id",
                    "updated_at",
                    "program_id",
                    "owner_agency_id",
                    "response_id",
                    "title",
                    "description",
                    "deadline",
                    "status",
                    "resolved_at",
                    "order",
                ),
            ).add(
                task_id,
                opened,
                opener.pk,
                resolved or opened,
                builder.program_id,
                item.agency_id,
                response_id,
                item.title,
                item.description,
                occurred + timedelta(hours=item.deadline_hours),
                rng.choice(("done", "done", "not_needed")) if resolved else "open",
                resolved,
                item.order,
            )
            grants: list[tuple[Grantee, tuple[str, ...]]] = [(("group", item.agency.group_id), ("view", "change"))]
            if item.agency_id != agency.pk:
                grants.append((("group", agency.group_id), ("view_status",)))
                response_grants.append((("group", item.agency.group_id), ("view_summary",)))
            builder.grants.give(ResponseTask, task_id, grants)
        builder.grants.give(IncidentResponse, response_id, response_grants)
