from django import template

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
