from django import forms


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Image",
        help_text="PNG, JPEG or WebP.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
