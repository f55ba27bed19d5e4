"""Social Optimizer: every platform size from one image, with safe zones and file rules."""

from __future__ import annotations

from providers.base import Capability
from studio.jobs.forms import OperationForm
from studio.jobs.registry import Module, Operation, register, register_module

from . import services
from .forms import SocialPackForm

register_module(
    Module(
        key="social",
        label="Social",
        order=60,
        description="Every platform size from one image, with safe zones and file rules.",
        url_name="studio:social_start",
        asset_url_name="studio:social",
    )
)
register(
    Operation(
        key="social.focal",
        module="social",
        label="Find the subject",
        verb="Detect",
        progress_message="Finding the subject…",
        capability=Capability.FOCAL_POINT,
        form_class=OperationForm,
        description="Faces first, then visual saliency; stored on the image.",
        output="analysis",
        in_actions=False,
    ),
    Operation(
        key="social.pack",
        module="social",
        label="Social pack",
        verb="Export pack",
        progress_message="Rendering the formats…",
        capability=Capability.SOCIAL_PACK,
        form_class=SocialPackForm,
        description="Every platform size from one image, with safe zones and file rules.",
        quantity=lambda params: len(params.get("targets") or ()) or 1,
        expand_params=services.expand_pack_params,
        prepare=services.prepare_pack,
        template="social/social.html",
        on_success=services.record_exports,
        page_context=services.page_context,
        in_actions=False,
    ),
)
