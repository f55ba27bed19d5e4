"""The base of every operation form: it knows the input asset it will run on."""

from __future__ import annotations

from django import forms


class OperationForm(forms.Form):
    """Base for catalog forms: knows the input asset it will run on."""

    def __init__(self, *args, asset=None, **kwargs):
        self.asset = asset
        super().__init__(*args, **kwargs)
