"""The studio's modules for every page: the navigation and the dashboard derive from the
catalog registry, so a module appears as soon as it registers operations."""

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from .jobs import registry
from .jobs.registry import Module


@lru_cache(maxsize=16)
def _module_links(
    modules: tuple[Module, ...], urlconf: str, prefix: str
) -> tuple[tuple[Module, str, str], ...]:
    """``(module, url, per-image URL prefix)`` of each module.

    Reversed once per registry state, URLconf and script prefix (the key) instead of
    twice per module on every page: a dozen ``reverse`` calls were a tenth of a light
    page's time.
    """
    links = []
    for module in modules:
        url = reverse(module.url_name, urlconf=urlconf) if module.url_name else ""
        asset_prefix = ""
        if module.asset_url_name:
            # Per-image pages share a prefix ("/social/<id>/"): mark the module there too.
            asset_prefix = reverse(
                module.asset_url_name,
                args=["00000000-0000-0000-0000-000000000000"],
                urlconf=urlconf,
            )
            asset_prefix = asset_prefix.split("00000000-", 1)[0]
        links.append((module, url, asset_prefix))
    return tuple(links)


def modules(request):
    path = getattr(request, "path", "")
    entries = []
    for module, url, asset_prefix in _module_links(
        tuple(registry.modules()), get_urlconf(settings.ROOT_URLCONF), get_script_prefix()
    ):
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
