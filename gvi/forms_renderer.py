"""The form renderer (settings.FORM_RENDERER): Django's templates, except for the select box.

Django renders a select through one template include per option, about 0.05 ms each. A picker over a
program's staff (400 names) or a coordinator's groups then costs 20-40 ms of a page's 100 ms budget
(DESIGN.md, performance targets). Here a select whose options are all the standard kind is written in
Python with the same markup: the same attributes in the same order, every name, value and label escaped
as the template escapes them (conditional_escape). A widget with its own option template goes through the
templates as before."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape as escape

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _attrs(attrs: Mapping[str, Any]) -> str:
    """attrs.html, in its order: False leaves an attribute out, True writes its name alone."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _option(option: Mapping[str, Any]) -> str:
    return f'<option value="{escape(str(option["value"]))}"{_attrs(option["attrs"])}>{escape(option["label"])}</option>'


def render_select(widget: Mapping[str, Any]) -> str:
    """The select's HTML. Every value, label and attribute is escaped here; the widget marks the returned text
    safe, as it does with a template's output (Widget._render)."""
    parts = []
    for name, choices, _index in widget["optgroups"]:
        options = "".join(_option(option) for option in choices)
        parts.append(f'<optgroup label="{escape(name)}">{options}</optgroup>' if name else options)
    return f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>{"".join(parts)}</select>'


def _standard_options(widget: Mapping[str, Any]) -> bool:
    return all(
        option.get("template_name") == OPTION_TEMPLATE
        for _name, group_choices, _index in widget.get("optgroups", ())
        for option in group_choices
    )


class FormRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        if template_name == SELECT_TEMPLATE and isinstance(widget, Mapping) and _standard_options(widget):
            return render_select(widget)
        return super().render(template_name, context, request)
