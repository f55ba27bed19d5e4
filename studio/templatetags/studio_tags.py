from urllib.parse import urlencode

from django import template
from django.urls import reverse

from ..jobs import registry
from ..jobs.registry import OPERATIONS

register = template.Library()


@register.inclusion_tag("components/asset_actions.html")
def asset_actions(asset):
    """What an image's page offers: each module's operations under its heading, and the
    modules that have a page of their own for one image."""
    groups, pages = [], []
    for module in registry.modules():
        ops = [op for op in registry.operations(module.key) if op.in_actions]
        if module.action_label and ops:
            groups.append((module.action_label, ops))
        if module.asset_url_name:
            pages.append((module, reverse(module.asset_url_name, args=[asset.public_id])))
    return {"asset": asset, "groups": groups, "pages": pages}


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
