"""The form renderer: Django's own, with its plain widgets written out in Python.

A widget drawn by Django's templates costs a template render per widget, one more per
``<option>`` and one per attribute list: about 0.3 ms a field, several milliseconds for the
library's filters or an image page's forms. The input and single-select templates are
short and fixed, so this renderer produces the very same markup directly, and the labels
and the empty error lists every field renders (the tests compare the two, field by
field); every other template still goes through Django.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape

# Django's widget templates that are exactly ``{% include "…/input.html" %}``.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "search",
        "tel",
        "color",
        "checkbox",
        "file",
    )
)
SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
LABEL_TEMPLATE = "django/forms/label.html"
# A field without errors still renders its (empty) error list through these.
ERROR_LIST_TEMPLATES = frozenset(
    ("django/forms/errors/list/default.html", "django/forms/errors/list/ul.html")
)


def _attrs(attrs: dict) -> str:
    """``django/forms/widgets/attrs.html``: True is a bare name, False is left out."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(value)}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _option(option: dict) -> str:
    return (
        f'<option value="{conditional_escape(option["value"])}"{_attrs(option["attrs"])}>'
        f"{conditional_escape(localize(option['label']))}</option>"
    )


class WidgetRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name in ERROR_LIST_TEMPLATES and not context.get("errors"):
            return ""
        if template_name == LABEL_TEMPLATE:
            label = conditional_escape(context["label"])
            if not context["use_tag"]:
                return label
            tag = conditional_escape(context["tag"])
            return f"<{tag}{_attrs(context['attrs'] or {})}>{label}</{tag}>"
        widget = context.get("widget")
        if widget is not None and template_name in INPUT_TEMPLATES:
            return _input(widget)
        if (
            widget is not None
            and template_name == SELECT_TEMPLATE
            and all(
                not group_name and all(o["template_name"] == OPTION_TEMPLATE for o in options)
                for group_name, options, _ in widget["optgroups"]
            )
        ):
            options = "".join(
                f"\n  {_option(o)}\n" for _, group, _ in widget["optgroups"] for o in group
            )
            return (
                f'<select name="{conditional_escape(widget["name"])}"'
                f"{_attrs(widget['attrs'])}>{options}\n</select>"
            )
        return super().render(template_name, context, request=request)
