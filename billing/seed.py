"""Default plans, prices and credit packs, loaded by a data migration.

Everything here is editable in admin afterwards; the migration only creates rows that
are missing, so staff edits survive re-running it.

Credit-to-dollar rate: 1 credit = $0.01 of the provider's published list price (the
unit Stability AI bills in). Dollar prices are converted at that rate and rounded *up*
to whole credits, so a job never costs the operator more than it charges.

A rule with a blank model or tier is the fallback for choices not listed; it carries the
dearest listed variant so an unlisted model or resolution is never undercharged.
"""

from __future__ import annotations

from decimal import Decimal

MP = 1_000_000

ALL_MODULES = ["create", "edit", "upscale", "transform", "control", "social", "tools", "batch"]

PLANS: list[dict] = [
    {
        "slug": "free",
        "name": "Free",
        "position": 0,
        "is_default": True,
        "price_cents": 0,
        "monthly_credits": 50,
        "rollover_cap": 0,  # free credits do not accumulate
        "max_variations": 2,
        "max_batch_size": 1,
        "max_output_pixels": 2048 * 2048,
        "max_concurrent_jobs": 1,
        "max_jobs_per_hour": 60,
        "upscale_modes": ["fast"],
        "allowed_providers": ["local", "stability", "huggingface"],
        "allowed_models": [
            "core",
            "sd3.5-medium",
            "sd3.5-flash",
            "sd3.5-large-turbo",
            "black-forest-labs/FLUX.1-schnell",
        ],
        "allowed_modules": ["create", "edit", "upscale", "social", "tools"],
    },
    {
        "slug": "creator",
        "name": "Creator",
        "position": 1,
        "price_cents": 1200,
        "monthly_credits": 1000,
        "rollover_cap": 1000,
        "max_variations": 10,
        "max_batch_size": 25,
        "max_output_pixels": 4096 * 4096,
        "max_concurrent_jobs": 3,
        "max_jobs_per_hour": 300,
        "upscale_modes": ["fast", "conservative"],
        "allowed_providers": ["local", "stability", "wavespeed", "huggingface", "gemini"],
        "allowed_models": [],
        "allowed_modules": ["create", "edit", "upscale", "control", "social", "tools", "batch"],
    },
    {
        "slug": "pro",
        "name": "Pro",
        "position": 2,
        "price_cents": 3900,
        "monthly_credits": 4000,
        "rollover_cap": 4000,
        "max_variations": 10,
        "max_batch_size": 100,
        "max_output_pixels": 8192 * 8192,
        "max_concurrent_jobs": 6,
        "max_jobs_per_hour": 1000,
        "upscale_modes": [],
        "allowed_providers": [],
        "allowed_models": [],
        "allowed_modules": [],
    },
    {
        "slug": "business",
        "name": "Business",
        "position": 3,
        "price_cents": 12900,
        "monthly_credits": 15000,
        "rollover_cap": 15000,
        "max_variations": 10,
        "max_batch_size": 500,
        "max_output_pixels": None,
        "max_concurrent_jobs": 20,
        "max_jobs_per_hour": 5000,
        "upscale_modes": [],
        "allowed_providers": [],
        "allowed_models": [],
        "allowed_modules": [],
    },
]

PACKS: list[dict] = [
    {"slug": "small", "name": "500 credits", "credits": 500, "price_cents": 600, "position": 0},
    {
        "slug": "medium",
        "name": "2,000 credits",
        "credits": 2000,
        "price_cents": 2200,
        "position": 1,
    },
    {
        "slug": "large",
        "name": "10,000 credits",
        "credits": 10000,
        "price_cents": 9900,
        "position": 2,
    },
]


def _rule(
    operation,
    provider,
    credits=0,
    *,
    model="",
    tier="",
    per_second="0",
    min_seconds="0",
    multiplier="1",
    note="",
):
    return {
        "operation": operation,
        "provider": provider,
        "model": model,
        "tier": tier,
        "credits_per_unit": credits,
        "credits_per_second": Decimal(per_second),
        "min_seconds": Decimal(min_seconds),
        "variation_multiplier": Decimal(multiplier),
        "note": note,
    }


_STAB = "Stability §1.4 credits, 1:1"

PRICE_RULES: list[dict] = [
    # Local engine: runs on this server's CPU.
    *[
        _rule(f"tools.{name}", "local", 0, note="local engine")
        for name in ("resize", "crop", "filter", "convert", "palette")
    ],
    # One token credit per pack however many renditions it holds (multiplier 0).
    _rule("social.pack", "local", 1, multiplier="0", note="local engine; a token charge per pack"),
    # Create
    _rule("create.generate", "stability", 8, note="blank model = dearest (ultra)"),
    _rule("create.generate", "stability", 8, model="ultra", note=_STAB),
    _rule("create.generate", "stability", 3, model="core", note=_STAB),
    _rule("create.generate", "stability", 7, model="sd3.5-large", note="6.5 credits, rounded up"),
    _rule("create.generate", "stability", 4, model="sd3.5-large-turbo", note=_STAB),
    _rule("create.generate", "stability", 4, model="sd3.5-medium", note="3.5 credits, rounded up"),
    _rule("create.generate", "stability", 3, model="sd3.5-flash", note="2.5 credits, rounded up"),
    _rule("create.generate", "wavespeed", 9, note="blank model = dearest (ideogram quality $0.09)"),
    _rule(
        "create.generate", "wavespeed", 3, model="ideogram-ai/ideogram-v3-turbo", note="$0.03/image"
    ),
    _rule(
        "create.generate",
        "wavespeed",
        6,
        model="ideogram-ai/ideogram-v3-balanced",
        note="$0.06/image",
    ),
    _rule(
        "create.generate",
        "wavespeed",
        9,
        model="ideogram-ai/ideogram-v3-quality",
        note="$0.09/image",
    ),
    _rule(
        "create.generate",
        "wavespeed",
        2,
        model="wavespeed-ai/qwen-image/text-to-image",
        note="$0.02/image",
    ),
    _rule(
        "create.generate", "huggingface", 3, note="pass-through pricing; FLUX.1-dev class estimate"
    ),
    _rule(
        "create.generate",
        "huggingface",
        1,
        model="black-forest-labs/FLUX.1-schnell",
        note="estimate",
    ),
    _rule("create.generate", "gemini", 4, note="≈$0.039 per 1024 px image"),
    _rule("create.generate", "openai", 25, note="blank quality = dearest ($0.25)"),
    _rule("create.generate", "openai", 2, tier="low", note="$0.011, rounded up"),
    _rule("create.generate", "openai", 5, tier="medium", note="≈$0.042"),
    _rule("create.generate", "openai", 17, tier="high", note="≈$0.167 at 1024²"),
    _rule("create.generate", "local", 0, note="local engine placeholder generator"),
    # Edit
    _rule("edit.remove_background", "stability", 5, note=_STAB),
    _rule("edit.remove_background", "local", 0, note="local matting model"),
    _rule("edit.inpaint", "stability", 5, note=_STAB),
    _rule("edit.inpaint", "openai", 25, note="images/edits; blank quality = dearest"),
    _rule("edit.inpaint", "openai", 2, tier="low"),
    _rule("edit.inpaint", "openai", 5, tier="medium"),
    _rule("edit.inpaint", "openai", 17, tier="high"),
    _rule("edit.outpaint", "stability", 4, note=_STAB),
    _rule("edit.erase", "stability", 5, note=_STAB),
    _rule("edit.search_replace", "stability", 5, note=_STAB),
    _rule("edit.search_recolor", "stability", 5, note=_STAB),
    _rule(
        "edit.replace_background", "stability", 8, note="replace-background-and-relight, " + _STAB
    ),
    _rule("edit.prompt_edit", "wavespeed", 2, note="qwen-image edit $0.02"),
    _rule("edit.prompt_edit", "gemini", 4, note="≈$0.039 per image"),
    _rule("edit.prompt_edit", "openai", 25, note="blank quality = dearest"),
    _rule("edit.prompt_edit", "openai", 2, tier="low"),
    _rule("edit.prompt_edit", "openai", 5, tier="medium"),
    _rule("edit.prompt_edit", "openai", 17, tier="high"),
    # Upscale
    _rule("upscale.fast", "stability", 2, note=_STAB),
    _rule("upscale.fast", "local", 0, note="local resampling"),
    _rule("upscale.conservative", "stability", 40, note=_STAB),
    _rule("upscale.creative", "stability", 60, note=_STAB),
    # Control
    _rule("control.sketch", "stability", 5, note=_STAB),
    _rule("control.structure", "stability", 5, note=_STAB),
    _rule("control.style", "stability", 5, note=_STAB),
    _rule("control.style_transfer", "stability", 8, note=_STAB),
    # Transform (video is priced per second of output)
    _rule("transform.image_to_video", "wavespeed", per_second="15", note="blank = 1080p, dearest"),
    _rule(
        "transform.image_to_video", "wavespeed", tier="480p", per_second="5", note="WAN 2.5 $0.05/s"
    ),
    _rule(
        "transform.image_to_video",
        "wavespeed",
        tier="720p",
        per_second="10",
        note="WAN 2.5 $0.10/s",
    ),
    _rule(
        "transform.image_to_video",
        "wavespeed",
        tier="1080p",
        per_second="15",
        note="WAN 2.5 $0.15/s",
    ),
    _rule(
        "transform.talking_avatar",
        "wavespeed",
        per_second="6",
        min_seconds="5",
        note="blank = 720p",
    ),
    _rule(
        "transform.talking_avatar",
        "wavespeed",
        tier="480p",
        per_second="3",
        min_seconds="5",
        note="InfiniteTalk $0.03/s, 5 s minimum",
    ),
    _rule(
        "transform.talking_avatar",
        "wavespeed",
        tier="720p",
        per_second="6",
        min_seconds="5",
        note="InfiniteTalk $0.06/s, 5 s minimum",
    ),
    _rule("transform.image_to_3d", "stability", 10, note="stable-fast-3d, " + _STAB),
    _rule("transform.image_to_3d", "stability", 4, model="stable-point-aware-3d", note=_STAB),
]


def seed_plans(Plan) -> None:
    # A migration passes the model as it was then: fill only the fields it already has.
    fields = {f.name for f in Plan._meta.get_fields()}
    for row in PLANS:
        Plan.objects.get_or_create(
            slug=row["slug"],
            defaults={k: v for k, v in row.items() if k != "slug" and k in fields},
        )


def seed_prices(PriceRule) -> None:
    for row in PRICE_RULES:
        keys = {k: row[k] for k in ("operation", "provider", "model", "tier")}
        PriceRule.objects.get_or_create(
            **keys, defaults={k: v for k, v in row.items() if k not in keys}
        )


def seed_packs(CreditPack) -> None:
    for row in PACKS:
        CreditPack.objects.get_or_create(
            slug=row["slug"], defaults={k: v for k, v in row.items() if k != "slug"}
        )


def seed_all(*, Plan, PriceRule, CreditPack) -> None:
    seed_plans(Plan)
    seed_prices(PriceRule)
    seed_packs(CreditPack)
