"""Helpers every page uses: pagination, sorting, list audit events, edits under optimistic locking."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import models
from django.http import HttpRequest, QueryDict
from django.urls import reverse

from gvi.accounts.models import Staff
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record, audit_shown
from gvi.concurrency import StaleVersion

PAGE_SIZE = 50


def staff_of(request: HttpRequest) -> Staff:
    """The signed-in staff member of a page request (the middleware lets only verified staff through)."""
    assert isinstance(request.user, Staff)
    return request.user


def translated_labels(choices: type[models.Choices]) -> dict[Any, str]:
    """A choices class's labels in the current language, translated once: for pages and pickers that label
    hundreds of rows (get_FOO_display() and Choices(value).label translate again on every call)."""
    return {value: str(label) for value, label in choices.choices}


def url_for_each(name: str) -> Callable[[int], str]:
    """reverse() of a page that takes one id, resolved once and then filled in per id: for pages that link
    thousands of records (the network map links every group twice), where reverse() each time costs 60 ms."""
    marker = 2_147_483_647
    head, tail = reverse(name, args=[marker]).rsplit(str(marker), 1)
    return lambda pk: f"{head}{int(pk)}{tail}"


def paginate[M: models.Model](request: HttpRequest, items: models.QuerySet[M], *, per_page: int = PAGE_SIZE) -> Page[M]:
    """One page of `items`; a bad or too large page number gives the nearest page, never an error."""
    paginator = Paginator(items, per_page)
    return paginator.get_page(request.GET.get("page"))


def chosen_sort(request: HttpRequest, sorts: Mapping[str, Sequence[str]], default: str) -> str:
    sort = request.GET.get("sort", default)
    return sort if sort in sorts else default


def audit_list(
    request: HttpRequest,
    model: type[models.Model],
    page: Page[Any],
    *,
    purpose: str,
    action: AuditAction = AuditAction.LIST,
    detail: dict[str, Any] | None = None,
) -> None:
    """A list or search writes one event with the ids it showed."""
    audit_record(
        actor=request.user,
        action=action,
        object_type=model._meta.label_lower,
        object_ids=[obj.pk for obj in page.object_list],
        purpose=purpose,
        detail=detail,
    )


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: field errors on their fields, the rest on the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def audit_shown_on(
    request: HttpRequest, shown: type[models.Model], ids: list[int], *, on: models.Model, purpose: str
) -> None:
    """A detail page that lists other records (a group's members) writes one list event for them."""
    audit_shown(
        actor=request.user,
        object_type=shown._meta.label_lower,
        ids=ids,
        purpose=purpose,
        shown_on=f"{on._meta.label_lower}:{on.pk}",
    )


def form_values(form: forms.Form) -> dict[str, Any]:
    """A form's cleaned data for a service call: everything but the version it was read at."""
    return {key: value for key, value in form.cleaned_data.items() if key != "version"}


@dataclass
class VersionedEdit[M: models.Model]:
    form: forms.Form
    saved: M | None = None
    conflict: M | None = None


def versioned_edit[M: models.Model](
    request: HttpRequest,
    make_form: Callable[[QueryDict], forms.Form],
    save: Callable[[forms.Form, int], M],
    *,
    conflict_message: str,
) -> VersionedEdit[M]:
    """The POST of an edit page under optimistic locking: validate, then save through the service.

    A stale save keeps the user's input (now at the current version) and returns the record as it is
    saved, for the page to show both; the service's field errors land on the form. Nothing is lost.
    """
    form = make_form(request.POST)
    if not form.is_valid():
        return VersionedEdit(form)
    try:
        return VersionedEdit(form, saved=save(form, form.cleaned_data["version"] or 0))
    except StaleVersion as exc:
        messages.error(request, conflict_message)
        data = request.POST.copy()
        data["version"] = str(exc.current.version)  # type: ignore[attr-defined]
        form = make_form(data)
        form.is_valid()
        return VersionedEdit(form, conflict=cast(M, exc.current))
    except ValidationError as exc:
        add_service_errors(form, exc)
        return VersionedEdit(form)
