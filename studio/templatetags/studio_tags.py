import uuid
from functools import lru_cache
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString, mark_safe

from ..jobs import registry
from ..jobs.registry import OPERATIONS

register = template.Library()


# Stands for the image's public id in the actions rendered once (see ``asset_actions``).
_ANY_ASSET = uuid.UUID(int=0)


@lru_cache(maxsize=16)
def _actions_html(catalog: tuple, urlconf: str, prefix: str) -> str:
    """The actions of an image whose public id is ``_ANY_ASSET``, for one catalog state
    (``catalog``), URLconf and script prefix."""
    groups, pages = [], []
    for module in registry.modules():
        ops = [op for op in registry.operations(module.key) if op.in_actions]
        if module.action_label and ops:
            groups.append((module.action_label, ops))
        if module.asset_url_name:
            pages.append((module, reverse(module.asset_url_name, args=[_ANY_ASSET])))
    return get_template("components/asset_actions.html").render(
        {"asset": {"public_id": _ANY_ASSET}, "groups": groups, "pages": pages}
    )


@register.simple_tag
def asset_actions(asset) -> SafeString:
    """What an image's page offers: each module's operations under its heading, and the
    modules that have a page of their own for one image.

    The list is the same for every image but for the id in its links (some thirty of
    them, each a ``reverse``), so it is rendered once per catalog state and the id put
    in afterwards.
    """
    catalog = (
        tuple(registry.modules()),
        tuple(
            (op.key, op.module, op.label, op.description, op.in_actions)
            for op in registry.operations()
        ),
    )
    html = _actions_html(catalog, get_urlconf(settings.ROOT_URLCONF), get_script_prefix())
    return mark_safe(html.replace(str(_ANY_ASSET), str(asset.public_id)))  # noqa: S308


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
