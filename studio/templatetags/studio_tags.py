from urllib.parse import urlencode

from django import template
from django.urls import reverse

from ..catalog import OPERATIONS

register = template.Library()

# What an image's action menu offers, grouped, in this order.
ACTION_GROUPS = (
    ("tools", "Quick tools"),
    ("edit", "Edit (offline)"),
    ("upscale", "Upscale (offline)"),
    ("create", "Generate from this image"),
)


@register.inclusion_tag("components/asset_actions.html")
def asset_actions(asset):
    """The operations that can run on ``asset``, grouped by module, for its page."""
    groups = []
    for module, label in ACTION_GROUPS:
        ops = [
            op for op in OPERATIONS.values() if op.module == module and op.key != "create.generate"
        ]
        if ops:
            groups.append((label, ops))
    return {"asset": asset, "groups": groups}


@register.simple_tag
def recall_url(asset) -> str:
    """Where to run the recipe that made ``asset`` again, filled in; "" when there is none.

    Generated images reopen Create with their full recipe; edits reopen their operation's
    form on the same input with the same settings.
    """
    if asset.operation in ("create.generate", "create.vary"):
        return f"{reverse('studio:create')}?{urlencode({'recall': asset.public_id})}"
    op = OPERATIONS.get(asset.operation)
    parent = asset.parent
    if op is None or parent is None or parent.status != "ready":
        return ""
    url = reverse("studio:operation", args=[parent.public_id, op.key])
    fields = set(op.form_class.base_fields)
    params = {
        k: v
        for k, v in (asset.params or {}).items()
        if k in fields and isinstance(v, str | int | float)
    }
    return f"{url}?{urlencode(params)}" if params else url
