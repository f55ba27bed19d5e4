from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import timezone

from .imaging import EXPORT_FORMATS
from .models import Asset, source_choices
from .selectors import SEARCH_MAX_CHARS, SORT_LABELS, LibraryFilters


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Image",
        help_text="PNG, JPEG or WebP.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )


class LibraryFilterForm(forms.Form):
    """The library's search box and filters, read from (and written back to) the URL."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=SEARCH_MAX_CHARS,
        error_messages={
            "max_length": (
                f"Search for at most {SEARCH_MAX_CHARS} characters: a few words of the prompt "
                "or title, a tag, a model, a seed or an id."
            )
        },
    )
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Any kind"), *Asset.Kind.choices]
    )
    module = forms.ChoiceField(
        label="Module",
        required=False,
        choices=lambda: [("", "Any module"), *source_choices()],
    )
    provider = forms.CharField(label="Provider", required=False, max_length=32)
    model = forms.CharField(label="Model", required=False, max_length=128)
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    fav = forms.BooleanField(label="Favourites only", required=False)
    collection = forms.UUIDField(required=False, widget=forms.HiddenInput)
    tag = forms.CharField(label="Tag", required=False, max_length=48)
    sort = forms.ChoiceField(label="Sort", required=False, choices=list(SORT_LABELS.items()))
    derived = forms.ChoiceField(
        label="Derived outputs",
        required=False,
        choices=[("show", "Shown"), ("hide", "Hidden")],
    )
    stack = forms.UUIDField(required=False, widget=forms.HiddenInput)
    view = forms.ChoiceField(
        label="View", required=False, choices=[("grid", "Grid"), ("list", "List")]
    )

    def filters(self, *, collection=None, trashed: bool = False) -> LibraryFilters:
        # A bad field is dropped on its own; the others still apply (the view refuses a
        # search it cannot run instead of showing everything, see ``search_error``).
        self.is_valid()
        data = self.cleaned_data
        return LibraryFilters(
            q=data.get("q", ""),
            kind=data.get("kind", ""),
            module=data.get("module", ""),
            provider=data.get("provider", ""),
            model=data.get("model", ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            favourites=data.get("fav", False),
            collection=collection,
            tag=data.get("tag", "").strip().lower(),
            sort=data.get("sort") or "newest",
            trashed=trashed,
            derived=data.get("derived") != "hide",
            stack=data.get("stack"),
        )

    @property
    def search_error(self) -> str:
        """Why the search box's text cannot be searched ("" when it can)."""
        return " ".join(self.errors.get("q", [])) if self.is_bound else ""


class RenameForm(forms.Form):
    title = forms.CharField(label="Title", max_length=255, required=False)


class PaletteRenameForm(forms.Form):
    name = forms.CharField(label="Palette name", max_length=80)


class TagForm(forms.Form):
    tags = forms.CharField(
        label="Add tags",
        max_length=500,
        help_text="Separate tags with commas.",
        widget=forms.TextInput(attrs={"placeholder": "sunset, beach"}),
    )


class CollectionForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label="Format",
        choices=[("original", "Original file"), *((k, k.upper()) for k in EXPORT_FORMATS)],
        initial="original",
    )
    quality = forms.IntegerField(label="Quality", min_value=1, max_value=100, initial=90)
    keep_metadata = forms.BooleanField(label="Keep metadata", required=False)


class TempLinkForm(forms.Form):
    DURATIONS = [
        (600, "10 minutes"),
        (3600, "1 hour"),
        (86400, "1 day"),
        (7 * 86400, "7 days"),
    ]
    seconds = forms.TypedChoiceField(
        label="Link works for", choices=DURATIONS, coerce=int, initial=3600
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No link may outlive SIGNED_URL_MAX_AGE: offer only the durations under it.
        cap = max(600, settings.SIGNED_URL_MAX_AGE)
        self.fields["seconds"].choices = [(s, label) for s, label in self.DURATIONS if s <= cap]


class ShareForm(forms.Form):
    title = forms.CharField(label="Board title", max_length=120, required=False)
    expires_in_days = forms.TypedChoiceField(
        label="Expires",
        choices=[(0, "Never"), (1, "In 1 day"), (7, "In 7 days"), (30, "In 30 days")],
        coerce=int,
        initial=0,
        required=False,
    )
    password = forms.CharField(
        label="Password (optional)",
        required=False,
        max_length=128,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    allow_download = forms.BooleanField(label="Allow downloads", required=False)
    show_details = forms.BooleanField(label="Show generation details", required=False)

    def expires_at(self):
        days = self.cleaned_data.get("expires_in_days") or 0
        return timezone.now() + timedelta(days=days) if days else None


class SharePasswordForm(forms.Form):
    password = forms.CharField(label="Password", widget=forms.PasswordInput, max_length=128)
