"""The person timeline: what each app knows about a person, as dated items, from providers the apps
register in AppConfig.ready() (the platform imports no domain app).

A provider gets the viewer and the person record ids to look at (the viewer's own record and the records
linked to it by a working share) and returns the items the viewer may see, reading only through the access
policy: items the viewer may not see are absent. Subject access exports (registerutdrag) are built from the
same items, limited to one agency's own records.

A provider runs a fixed number of queries whatever the number of items (no query per item), so the
timeline's cost grows with the number of providers, not with the person's history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.functional import Promise

if TYPE_CHECKING:
    from gvi.accounts.models import Staff


@dataclass(frozen=True)
class TimelineItem:
    # Stable and unique ("<model label>:<pk>[:<what>]"): a redaction in a subject access export names it.
    key: str
    when: datetime
    category: str
    title: str
    detail: str = ""
    url: str = ""
    # The agency whose record the item comes from (a subject access export keeps only its own).
    owner_agency_id: int | None = None
    # The person record the item belongs to.
    person_id: int | None = None
    # Known to the day only (a consent given on a date, a membership from a date): shown without a time.
    date_only: bool = False


# user, the person record ids to look at -> the items the user may see
Provider = Callable[["Staff", Sequence[int]], Iterable[TimelineItem]]

_providers: dict[str, Provider] = {}
# category code -> its label, as the providers declare them
_categories: dict[str, str | Promise] = {}


def register_timeline_provider(
    key: str, provider: Provider, *, categories: Mapping[str, str | Promise] | None = None
) -> None:
    """Add (or replace, by key) a provider; `categories` names the item categories it produces."""
    _providers[key] = provider
    _categories.update(categories or {})


def timeline_items(user: Staff, person_ids: Sequence[int], **_kwargs: Any) -> list[TimelineItem]:
    """Every provider's items for these records, newest first (ties broken by key, so the order is stable)."""
    if not person_ids:
        return []
    items = [item for provider in _providers.values() for item in provider(user, person_ids)]
    items.sort(key=lambda item: item.key)
    items.sort(key=lambda item: item.when, reverse=True)
    return items


def category_label(category: str) -> str:
    """A category's label in the active language (the code itself when no provider named it)."""
    return str(_categories.get(category, category))


def start_of_day(day: date) -> datetime:
    """A date as a moment in time line order: the start of that day, local time."""
    return timezone.make_aware(datetime.combine(day, time.min))
