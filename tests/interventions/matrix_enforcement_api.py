"""Permission-matrix rows (being written)."""

from __future__ import annotations

SUBJECTS: tuple[str, ...] = ()
