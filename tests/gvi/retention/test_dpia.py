"""The DPIA outline (docs/dpia.md) is kept in step with the code: every retention category appears in its
retention table with the category's default rule and minimum."""

from __future__ import annotations

import re

from django.conf import settings

from gvi.retention import categories

DPIA = settings.BASE_DIR / "docs" / "dpia.md"


def _rows() -> dict[str, list[str]]:
    rows = {}
    for line in DPIA.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`([a-z_]+)`\s*\|(.*)\|\s*$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def test_every_retention_category_is_in_the_dpia_with_its_rule() -> None:
    rows = _rows()
    for category in categories.categories():
        assert category.key in rows, f"docs/dpia.md has no retention row for `{category.key}`"
        months, minimum = rows[category.key][2], rows[category.key][3]
        if category.culled:
            assert months == str(category.default_months), (category.key, months)
            assert minimum.split(" ")[0] == str(category.min_months), (category.key, minimum)
        else:
            assert months.startswith("never"), (category.key, months)


def test_the_dpia_names_no_category_the_code_does_not_have() -> None:
    keys = {category.key for category in categories.categories()}
    assert set(_rows()) <= keys
