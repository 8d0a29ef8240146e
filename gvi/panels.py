"""Start-page panels. Apps register theirs in AppConfig.ready(), so the platform imports no domain app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gvi.accounts.models import Staff


@dataclass(frozen=True)
class Panel:
    """A box on the start page: `build` returns its template context, or None when not for this user."""

    key: str
    template: str
    order: int
    build: Callable[[Staff], dict[str, Any] | None]


_panels: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    _panels[panel.key] = panel


def panels_for(user: Staff) -> list[tuple[Panel, dict[str, Any]]]:
    shown = []
    for panel in sorted(_panels.values(), key=lambda p: p.order):
        context = panel.build(user)
        if context is not None:
            shown.append((panel, context))
    return shown
