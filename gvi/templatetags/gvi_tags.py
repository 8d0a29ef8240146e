"""Small template helpers: sortable column headers and page links that keep the other parameters."""

from __future__ import annotations

from typing import Any

from django import template
from django.apps import apps
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from gvi import access

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    request: HttpRequest = context["request"]
    query = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = str(value)
    return "?" + query.urlencode() if query else "?"


@register.simple_tag(takes_context=True)
def sort_header(context: dict[str, Any], key: str, label: str) -> SafeString:
    """A column header link that sorts by `key`, and by `-key` when already sorted ascending."""
    current = context.get("sort", "")
    descending = current == f"-{key}"
    ascending = current == key
    target = f"-{key}" if ascending else key
    href = query_with(context, sort=target, page=None)
    aria = "ascending" if ascending else "descending" if descending else "none"
    arrow = " ▲" if ascending else " ▼" if descending else ""
    title = _("Sort by %(column)s") % {"column": label}
    return format_html(
        '<a href="{}" title="{}" data-sort="{}">{}{}</a><span class="visually-hidden" data-aria-sort="{}"></span>',
        href,
        title,
        aria,
        label,
        arrow,
        aria,
    )


@register.simple_tag
def field_widget(field: Any) -> SafeString:
    """Render a form field's widget with Bootstrap's classes and its error and help references."""
    css = "form-select" if field.widget_type in {"select", "selectmultiple"} else "form-control"
    if field.errors:
        css += " is-invalid"
    attrs = {"class": css}
    if field.errors or field.help_text:
        attrs["aria-describedby"] = f"{field.auto_id}_help"
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.simple_tag(takes_context=True)
def role_allows(context: dict[str, Any], action: str, model_label: str) -> bool:
    """May the signed-in user's role do `action` on this kind of record at all (`app_label.model`)? For showing
    a button; the view and the service decide again on the object.

    {% role_allows "add" "interventions.enforcementround" as can_start_round %}"""
    request = context.get("request")
    user = getattr(request, "user", None)
    return access.role_allows(user, action, apps.get_model(model_label))
