"""How much to seed: DESIGN.md's national figures, times a scale."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Volumes:
    """How many of each; `national()` gives DESIGN.md's figures times a scale."""

    persons: int
    groups: int
    memberships: int
    incidents: int
    exit_cases: int
    contacts: int
    call_ins: int
    notifications: int
    staff: int

    @classmethod
    def national(cls, *, scale: float = 1.0, persons: int | None = None) -> Volumes:
        base = cls(
            persons=62_000,
            groups=1_000,
            memberships=150_000,
            incidents=20_000,
            exit_cases=20_000,
            contacts=1_000_000,
            call_ins=5_000,
            notifications=50_000,
            staff=400,
        )
        scaled = {f.name: max(1, round(getattr(base, f.name) * scale)) for f in fields(cls)}
        if persons is not None:
            scaled["persons"] = persons
        return cls(**scaled)
