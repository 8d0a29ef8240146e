"""Boxes that other apps add to a person's page (e.g. the exit program's cases and referrals), registered in
their AppConfig.ready(), so that cases imports none of the apps built on it.

A panel's `build(user, person)` returns its template context, or None when it has nothing for this user;
it reads through the access policy and runs a fixed number of queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cases.models import Person
    from gvi.accounts.models import Staff


@dataclass(frozen=True)
class PersonPanel:
    key: str
    template: str
    order: int
    build: Callable[[Staff, Person], dict[str, Any] | None]


_panels: dict[str, PersonPanel] = {}


def register_person_panel(panel: PersonPanel) -> None:
    _panels[panel.key] = panel


def person_panels_for(user: Staff, person: Person) -> list[tuple[PersonPanel, dict[str, Any]]]:
    shown = []
    for panel in sorted(_panels.values(), key=lambda p: p.order):
        context = panel.build(user, person)
        if context is not None:
            shown.append((panel, context))
    return shown
