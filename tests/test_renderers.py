"""The site's form renderer writes inputs, selects and labels out in Python: its markup
must be exactly what Django's own templates make, for every form the studio shows."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.http import QueryDict
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from assets import forms as asset_forms
from imagestudio.renderers import WidgetRenderer
from studio.jobs.registry import OPERATIONS
from tests.factories import AssetFactory

DJANGO, OURS = DjangoTemplates(), WidgetRenderer()


class EveryWidget(forms.Form):
    text = forms.CharField(max_length=5, help_text="Help", widget=forms.TextInput({"x": True}))
    hidden_attr = forms.CharField(required=False, widget=forms.TextInput({"off": False}))
    safe = forms.CharField(required=False, widget=forms.TextInput({"data-v": mark_safe("<b>")}))
    number = forms.DecimalField(required=False, widget=forms.NumberInput({"step": 0.5}))
    email = forms.EmailField(required=False, disabled=True)
    url = forms.URLField(required=False, assume_scheme="https")
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput, initial='quote " and <tag>')
    date = forms.DateField(required=False, widget=forms.DateInput({"type": "date"}))
    when = forms.DateTimeField(required=False)
    flag = forms.BooleanField(required=False, label=gettext_lazy("Flag"))
    pick = forms.ChoiceField(
        choices=[("", "—"), ("a", "A & B"), (1, gettext_lazy("One")), (2, 2)], required=False
    )
    typed = forms.TypedChoiceField(choices=[(0, "Never"), (7, "Week")], coerce=int, initial=7)
    grouped = forms.ChoiceField(choices=[("Group", [("g", "G")]), ("h", "H")], required=False)
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], required=False)
    radio = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect, required=False)
    note = forms.CharField(required=False, widget=forms.Textarea)
    upload = forms.FileField(required=False)


def _same(make):
    """Render the form made by ``make(renderer)`` both ways, whole and field by field."""
    theirs, ours = make(DJANGO), make(OURS)
    assert str(ours) == str(theirs)
    assert ours.as_p() == theirs.as_p()
    for name in theirs.fields:
        assert str(ours[name]) == str(theirs[name]), name


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {
            "text": "<script>too long",
            "number": "x",
            "password": 'p"w',
            "hidden": "h",
            "date": "2024-02-30",
            "when": datetime.datetime(2024, 1, 2, 3, 4),
            "flag": "on",
            "pick": "1",
            "typed": "0",
            "grouped": "g",
            "many": ["a", "b"],
        },
    ],
)
def test_every_plain_widget_renders_as_djangos_templates_do(data):
    _same(lambda renderer: EveryWidget(data, renderer=renderer))


@pytest.mark.parametrize(
    "query",
    ["", "kind=image&sort=oldest&fav=on&derived=hide&date_from=2024-01-02&tag=a%22b&model=<x>"],
)
def test_library_filters_render_as_djangos_templates_do(query):
    _same(lambda r: asset_forms.LibraryFilterForm(QueryDict(query), renderer=r))


@pytest.mark.parametrize(
    "form_class",
    [
        asset_forms.ExportForm,
        asset_forms.TempLinkForm,
        asset_forms.ShareForm,
        asset_forms.TagForm,
        asset_forms.CollectionForm,
        asset_forms.RenameForm,
    ],
)
def test_asset_forms_render_as_djangos_templates_do(form_class):
    _same(lambda renderer: form_class(renderer=renderer))
    _same(lambda renderer: form_class({}, renderer=renderer))


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(OPERATIONS))
def test_operation_forms_render_as_djangos_templates_do(key, alice):
    asset = AssetFactory(owner=alice)
    form_class = OPERATIONS[key].form_class
    _same(lambda renderer: form_class(asset=asset, renderer=renderer))
    _same(lambda renderer: form_class({}, asset=asset, renderer=renderer))
