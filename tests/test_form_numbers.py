"""Property-based checks of every operation form's numeric fields: whatever number (or
not-a-number) arrives, a form either refuses it with a message or accepts a value inside the
field's bounds. It never raises, and never lets an out-of-range value through to a job."""

import math

import pytest
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.jobs import registry

pytestmark = pytest.mark.django_db

NUMBERS = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "1e309", "-0", "0x10", "12px", "٣", "1_000"]),
)


def _numeric_fields():
    for op in registry.operations():
        fields = getattr(op.form_class, "base_fields", {})
        for name, field in fields.items():
            if isinstance(field, forms.IntegerField | forms.FloatField | forms.DecimalField):
                yield pytest.param(op.key, name, id=f"{op.key}:{name}")


def _bounds(field) -> tuple[float, float]:
    low, high = -math.inf, math.inf
    for validator in field.validators:
        limit = getattr(validator, "limit_value", None)
        if isinstance(validator, MinValueValidator):
            low = max(low, limit)
        elif isinstance(validator, MaxValueValidator):
            high = min(high, limit)
    return low, high


@pytest.mark.parametrize(("op_key", "field_name"), list(_numeric_fields()))
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=NUMBERS)
def test_numeric_fields_refuse_or_bound_every_value(alice_asset, op_key, field_name, value):
    op = registry.get_operation(op_key)
    blank = op.form_class(asset=alice_asset)
    data = {
        name: blank.initial.get(name, field.initial)
        for name, field in blank.fields.items()
        if blank.initial.get(name, field.initial) not in (None, "")
    }
    data = {k: v for k, v in data.items() if not isinstance(v, list | tuple)}
    data[field_name] = str(value)
    form = op.form_class(data, asset=alice_asset)
    form.is_valid()  # must not raise
    if field_name in getattr(form, "cleaned_data", {}) and field_name not in form.errors:
        cleaned = form.cleaned_data[field_name]
        if cleaned is not None:
            low, high = _bounds(form.fields[field_name])
            assert math.isfinite(float(cleaned)), (op_key, field_name, value, cleaned)
            assert low <= cleaned <= high, (op_key, field_name, value, cleaned)
