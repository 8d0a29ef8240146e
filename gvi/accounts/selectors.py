"""Reads of accounts data. A user sees their own tokens only.

Tokens are not case data and belong to one user, so these filter on the user directly rather than going
through gvi/access.py (which governs case records). Nor is the program's structure, below."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from gvi.accounts.models import Agency, ApiToken, Role, Staff, Team


def api_tokens_of(*, user: Staff) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def api_token_of(*, user: Staff, pk: int) -> ApiToken | None:
    return ApiToken.objects.filter(user=user, pk=pk).first()


# The program's structure (agencies, teams, staff by role) is not case data: forms, serializers and services
# read it here to offer and check choices; the services still decide what may be done with them.


def other_agencies(*, program_id: int | None, excluding_agency_id: int | None) -> QuerySet[Agency]:
    """The agencies of a program other than one (the owning agency never receives its own share)."""
    return Agency.objects.filter(programs__id=program_id or 0).exclude(pk=excluding_agency_id or 0).order_by("name")


def program_agencies(*, program_id: int | None, kinds: tuple[str, ...] = ()) -> QuerySet[Agency]:
    """The agencies of a program, optionally of some kinds only, by kind and name."""
    agencies = Agency.objects.filter(programs__id=program_id or 0)
    if kinds:
        agencies = agencies.filter(kind__in=kinds)
    return agencies.order_by("kind", "name")


def other_teams(*, program_id: int | None, excluding_agency_id: int | None) -> QuerySet[Team]:
    return (
        Team.objects.filter(agency__programs__id=program_id or 0)
        .exclude(agency_id=excluding_agency_id or 0)
        .select_related("agency")
        .order_by("agency__name", "name")
    )


def program_agency(*, program_id: int | None, pk: int) -> Agency | None:
    return Agency.objects.filter(programs__id=program_id or 0, pk=pk).first()


def agency_team(*, agency: Agency, pk: int) -> Team | None:
    return Team.objects.filter(agency=agency, pk=pk).first()


def staff_with_role(*, agency_id: int | None, role: str) -> QuerySet[Staff]:
    """Active staff of an agency with a role (e.g. the probation officers a section may name)."""
    if agency_id is None:
        return Staff.objects.none()
    return Staff.objects.filter(agency_id=agency_id, role=role, is_active=True).order_by(
        "last_name", "first_name", "id"
    )


def caseworkers(*, agency_id: int | None) -> QuerySet[Staff]:
    """Who may hold an exit case of a municipality: its active social workers and exit coordinators who
    are in a team."""
    if agency_id is None:
        return Staff.objects.none()
    return Staff.objects.filter(
        agency_id=agency_id, role__in=(Role.SOCIAL_WORKER, Role.EXIT_COORDINATOR), is_active=True, team__isnull=False
    ).order_by("last_name", "first_name", "id")


def staff_by_ids(ids: Iterable[int]) -> QuerySet[Staff]:
    return Staff.objects.filter(pk__in=list(ids))


def program_staff(*, program_id: int | None) -> QuerySet[Staff]:
    """Active staff of a program with a casework role: who may be named as taking part in a contact."""
    if program_id is None:
        return Staff.objects.none()
    return Staff.objects.filter(
        program_id=program_id,
        is_active=True,
        role__in=(
            Role.POLICE_COORDINATOR,
            Role.POLICE_ANALYST,
            Role.SOCIAL_WORKER,
            Role.EXIT_COORDINATOR,
            Role.PROBATION_OFFICER,
        ),
    ).order_by("last_name", "first_name", "id")


def staff_picker(*, program_id: int | None) -> QuerySet[Staff]:
    """program_staff() for a form's picker: the columns a choice needs and no joins (a program's 400 staff load
    in 2 ms instead of 15). A chosen member's agency or team is loaded only if a service asks for it."""
    return (
        program_staff(program_id=program_id)
        .select_related(None)
        .only("id", "username", "first_name", "last_name", "role", "is_active", "program_id", "agency_id", "team_id")
    )
