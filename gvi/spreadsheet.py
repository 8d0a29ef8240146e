"""Cells that leave the system for a spreadsheet (CSV / XLSX exports).

A cell a spreadsheet would run as a formula (CSV injection) is written with a leading apostrophe; an
import takes the apostrophe off again, so an exported file imports unchanged.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def strip_formula_guard(text: str) -> str:
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        return text[1:]
    return text
