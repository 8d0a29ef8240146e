"""The select box written in Python (gvi/forms_renderer.py) is the markup Django's templates write."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from gvi.forms_renderer import FormRenderer

CHOICES = [
    ("", "Choose"),
    ("Police", [(1, 'Anna "A" <Andersson> & co'), (2, "Bo")]),
    (3, mark_safe("<b>kept</b>")),  # a label marked safe by its author stays as it is
    ("x'y", "Quote"),
]


def _normalised(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize(
    ("widget", "value", "attrs"),
    [
        (forms.Select(choices=CHOICES), 2, {"id": "f", "class": "form-select", "aria-invalid": "true"}),
        (forms.Select(choices=CHOICES), "", {"required": True, "disabled": False}),
        (forms.SelectMultiple(choices=CHOICES), [1, "x'y"], {"id": "m", "data-x": '"><script>'}),
        (forms.NullBooleanSelect(), True, {}),
    ],
)
def test_the_same_markup_as_the_templates(widget: forms.Widget, value: Any, attrs: dict[str, Any]) -> None:
    ours = widget.render("pick<er>", value, attrs, renderer=FormRenderer())
    django = widget.render("pick<er>", value, attrs, renderer=DjangoTemplates())
    assert _normalised(ours) == _normalised(django)
    assert "<script>" not in ours


def test_a_widget_with_its_own_option_template_goes_through_the_templates() -> None:
    class Custom(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    html = Custom(choices=[(1, "One")]).render("c", 1, renderer=FormRenderer())
    assert 'type="select"' in html or "<label" in html  # rendered by input_option.html, not as <option>


def test_forms_use_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A form rendered without naming a renderer goes through settings.FORM_RENDERER, hence render_select."""
    written: list[str] = []
    original = FormRenderer.render

    def spy(self: FormRenderer, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        written.append(template_name)
        return original(self, template_name, context, request)

    monkeypatch.setattr(FormRenderer, "render", spy)

    class Pick(forms.Form):
        person = forms.ChoiceField(choices=[(1, "<One>")])

    html = str(Pick()["person"])
    assert written == ["django/forms/widgets/select.html"]
    assert '<option value="1">&lt;One&gt;</option>' in html
