"""What a plan's output limit means for upscaling, in pixels a creator recognises."""

from __future__ import annotations

import math

from django import template

from providers.local.upscale import MAX_OUTPUT_PIXELS

register = template.Library()

PHOTO = (4000, 3000)  # a typical 12 MP phone or camera photo


@register.simple_tag
def upscale_reach(plan) -> str:
    """The largest a 12 MP photo gets on ``plan``: its output limit, capped by this server's
    upscaler (50 MP) when the plan itself has none."""
    limit = plan.max_output_pixels or MAX_OUTPUT_PIXELS
    limit = min(limit, MAX_OUTPUT_PIXELS)
    w, h = PHOTO
    scale = math.sqrt(limit / (w * h))
    if scale <= 1:
        return f"a {w * h // 1_000_000} MP photo is already larger than this plan's outputs"
    tw, th = int(w * scale), int(h * scale)
    return f"a {w * h // 1_000_000} MP photo ({w}×{h}) up to {tw}×{th} px (×{scale:.2f})"
