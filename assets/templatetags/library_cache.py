"""``{% librarycache %}``: Django's ``{% cache %}`` keyed on the owner's library version.

    {% load library_cache %}
    {% librarycache "detail-tree" asset.pk asset.updated_at %}…{% endlibrarycache %}

A fragment that shows only what the library services write (tags, collections, versions,
palettes…) is rendered once per library version (``assets.library_cache``) and the
``vary_on`` values, then served from the cache until a write replaces the version. The
context must carry ``library_state`` (a ``LibraryState``); without it the fragment is
rendered every time, never cached.

The one per-request value such fragments hold, the CSRF token of their forms, is
rendered as a marker and put in on the way out (as the grid tiles do), so a fragment
cached for one browser of the owner never hands its token to another.

Fragments are kept by each process only (``LocalCache``), never in the shared cache: a
process renders a fragment once per library version, and markup from the templates of an
earlier deploy can never be served by a new one.
"""

from __future__ import annotations

from django import template
from django.core.cache.utils import make_template_fragment_key
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# A comment cannot come out of autoescaped user text, so nothing can fake the marker.
CSRF_SLOT = mark_safe("<!--fragment-csrf-->")


class LibraryCacheNode(template.Node):
    def __init__(self, nodelist, name: str, vary_on: list[template.base.FilterExpression]):
        self.nodelist = nodelist
        self.name = name
        self.vary_on = vary_on

    def render(self, context) -> SafeString:
        state = context.get("library_state")
        token = str(context.get("csrf_token") or "")
        if state is None or token in ("", "NOTPROVIDED"):
            return self.nodelist.render(context)
        vary_on = [var.resolve(context) for var in self.vary_on]
        key = state.key(make_template_fragment_key(self.name, vary_on))

        def render() -> str:
            with context.push(csrf_token=CSRF_SLOT):
                return self.nodelist.render(context)

        html = state.cached(key, render, shared=False)
        if CSRF_SLOT in html:
            html = html.replace(CSRF_SLOT, escape(token))
        return mark_safe(html)  # noqa: S308 - rendered by the autoescaping template engine


@register.tag("librarycache")
def do_librarycache(parser, token) -> LibraryCacheNode:
    """``{% librarycache "name" [var …] %}…{% endlibrarycache %}``"""
    nodelist = parser.parse(("endlibrarycache",))
    parser.delete_first_token()
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"{bits[0]!r} tag needs a fragment name.")
    name = bits[1]
    if not (name[0] == name[-1] and name[0] in "'\""):
        raise template.TemplateSyntaxError(f"{bits[0]!r} tag's fragment name must be quoted.")
    return LibraryCacheNode(nodelist, name[1:-1], [parser.compile_filter(bit) for bit in bits[2:]])
