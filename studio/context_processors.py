"""The studio's modules for every page: the navigation and the dashboard derive from the
catalog registry, so a module appears as soon as it registers operations."""

from django.urls import reverse

from .jobs import registry


def modules(request):
    path = getattr(request, "path", "")
    entries = []
    for module in registry.modules():
        url = reverse(module.url_name) if module.url_name else ""
        asset_prefix = ""
        if module.asset_url_name:
            # Per-image pages share a prefix ("/social/<id>/"): mark the module there too.
            asset_prefix = reverse(
                module.asset_url_name, args=["00000000-0000-0000-0000-000000000000"]
            )
            asset_prefix = asset_prefix.split("00000000-", 1)[0]
        current = bool(url and path.startswith(url)) or bool(
            asset_prefix and path.startswith(asset_prefix)
        )
        entries.append(
            {
                "key": module.key,
                "label": module.label,
                "description": module.description,
                "url": url,
                "current": current,
            }
        )
    return {"STUDIO_MODULES": entries}
