"""Style presets and Create templates: catalog data shown as cards and pickers.

A style is a prompt fragment, a negative fragment and hints for providers that have
their own style switches (Stability's ``style_preset``, Ideogram's ``style``). Templates
point at a platform format in :mod:`studio.platforms`, so sizes live in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from studio.platforms import PlatformFormat, get_format


@dataclass(frozen=True)
class StylePreset:
    key: str
    name: str
    category: str
    prompt: str
    negative: str = ""
    stability: str = ""  # Stability style_preset enum value, when one fits
    ideogram: str = ""  # Ideogram style: General / Realistic / Design
    swatch: tuple[str, str] = ("#888888", "#cccccc")


def _s(
    key,
    name,
    category,
    prompt,
    negative="",
    stability="",
    ideogram="",
    swatch=("#888888", "#cccccc"),
):
    return StylePreset(key, name, category, prompt, negative, stability, ideogram, swatch)


_NO_TEXT = "text, watermark, signature, logo"
_LOWQ = "blurry, low quality, jpeg artifacts, deformed"

STYLE_PRESETS: tuple[StylePreset, ...] = (
    _s(
        "photographic",
        "Photographic",
        "Photo",
        "professional photograph, natural light, sharp focus, realistic detail",
        f"{_LOWQ}, illustration, cartoon",
        "photographic",
        "Realistic",
        ("#5b6b7a", "#d8c8b0"),
    ),
    _s(
        "cinematic",
        "Cinematic",
        "Photo",
        "cinematic film still, dramatic lighting, shallow depth of field, anamorphic, color graded",
        f"{_LOWQ}, flat lighting",
        "cinematic",
        "Realistic",
        ("#1d2a3a", "#e09a4a"),
    ),
    _s(
        "product-shot",
        "Product shot",
        "Photo",
        "studio product photography, clean seamless background, softbox lighting, crisp reflections",
        f"{_LOWQ}, clutter, {_NO_TEXT}",
        "photographic",
        "Realistic",
        ("#f4f4f4", "#9aa5b1"),
    ),
    _s(
        "portrait",
        "Portrait",
        "Photo",
        "portrait photograph, 85mm lens, soft key light, catchlights, creamy bokeh",
        f"{_LOWQ}, extra fingers, distorted face",
        "photographic",
        "Realistic",
        ("#6b4f3f", "#e8c9a8"),
    ),
    _s(
        "food",
        "Food photography",
        "Photo",
        "overhead food photography, appetizing, natural window light, styled props",
        f"{_LOWQ}, unappetizing",
        "photographic",
        "Realistic",
        ("#7a3b1d", "#f2d091"),
    ),
    _s(
        "lifestyle",
        "Lifestyle",
        "Photo",
        "candid lifestyle photography, warm natural light, authentic moment",
        f"{_LOWQ}, posed, stock photo look",
        "photographic",
        "Realistic",
        ("#c98b5e", "#f6e3c5"),
    ),
    _s(
        "analog-film",
        "Analog film",
        "Photo",
        "35mm analog film photograph, film grain, muted colours, light leaks",
        f"{_LOWQ}, digital look",
        "analog-film",
        "Realistic",
        ("#8a6d4b", "#d9c7a0"),
    ),
    _s(
        "black-and-white",
        "Black & white",
        "Photo",
        "black and white photograph, high contrast, rich tonal range",
        f"{_LOWQ}, colour",
        "photographic",
        "Realistic",
        ("#111111", "#eeeeee"),
    ),
    _s(
        "aerial",
        "Aerial / drone",
        "Photo",
        "aerial drone photograph, top-down perspective, expansive landscape",
        _LOWQ,
        "photographic",
        "Realistic",
        ("#2f5d50", "#a3c4a8"),
    ),
    _s(
        "macro",
        "Macro",
        "Photo",
        "macro photograph, extreme close-up, fine texture detail, shallow focus",
        _LOWQ,
        "photographic",
        "Realistic",
        ("#3c5a2a", "#b9d98a"),
    ),
    _s(
        "minimalist",
        "Minimalist",
        "Design",
        "minimalist composition, generous negative space, simple shapes, restrained palette",
        f"{_LOWQ}, busy, cluttered",
        "",
        "Design",
        ("#fafafa", "#d0d0d0"),
    ),
    _s(
        "flat-illustration",
        "Flat illustration",
        "Illustration",
        "flat vector illustration, bold shapes, clean lines, limited colour palette",
        f"{_LOWQ}, photorealistic, gradients",
        "digital-art",
        "Design",
        ("#ff6b6b", "#4ecdc4"),
    ),
    _s(
        "isometric",
        "Isometric",
        "Illustration",
        "isometric illustration, 30-degree axonometric view, clean geometry, soft shadows",
        f"{_LOWQ}, perspective distortion",
        "isometric",
        "Design",
        ("#6c5ce7", "#a29bfe"),
    ),
    _s(
        "line-art",
        "Line art",
        "Illustration",
        "elegant line art, single weight ink lines, white background",
        f"{_LOWQ}, shading, colour fill",
        "line-art",
        "Design",
        ("#ffffff", "#222222"),
    ),
    _s(
        "watercolour",
        "Watercolour",
        "Painting",
        "watercolour painting, soft washes, paper texture, bleeding edges",
        f"{_LOWQ}, digital, hard edges",
        "",
        "General",
        ("#7fb3d5", "#f5cba7"),
    ),
    _s(
        "oil-painting",
        "Oil painting",
        "Painting",
        "oil painting, visible brush strokes, rich pigments, canvas texture",
        f"{_LOWQ}, photograph",
        "",
        "General",
        ("#7b3f00", "#e1a95f"),
    ),
    _s(
        "impressionist",
        "Impressionist",
        "Painting",
        "impressionist painting, dappled light, loose brushwork, vibrant colour",
        _LOWQ,
        "",
        "General",
        ("#8fbc8f", "#f0e68c"),
    ),
    _s(
        "pop-art",
        "Pop art",
        "Painting",
        "pop art, halftone dots, bold outlines, saturated primary colours",
        _LOWQ,
        "comic-book",
        "Design",
        ("#ff1744", "#ffea00"),
    ),
    _s(
        "anime",
        "Anime",
        "Illustration",
        "anime style illustration, cel shading, expressive eyes, vibrant colours",
        f"{_LOWQ}, photorealistic, 3d",
        "anime",
        "General",
        ("#ff8fab", "#8ecae6"),
    ),
    _s(
        "comic-book",
        "Comic book",
        "Illustration",
        "comic book art, bold ink lines, dynamic composition, halftone shading",
        _LOWQ,
        "comic-book",
        "General",
        ("#e63946", "#1d3557"),
    ),
    _s(
        "manga",
        "Manga",
        "Illustration",
        "black and white manga panel, screentone shading, dramatic linework",
        f"{_LOWQ}, colour",
        "anime",
        "General",
        ("#222222", "#bbbbbb"),
    ),
    _s(
        "childrens-book",
        "Children's book",
        "Illustration",
        "whimsical children's book illustration, soft colours, friendly characters",
        f"{_LOWQ}, scary, dark",
        "",
        "General",
        ("#ffd6a5", "#caffbf"),
    ),
    _s(
        "fantasy-art",
        "Fantasy art",
        "Illustration",
        "epic fantasy artwork, magical atmosphere, intricate detail, painterly",
        _LOWQ,
        "fantasy-art",
        "General",
        ("#3a0ca3", "#f72585"),
    ),
    _s(
        "digital-art",
        "Digital art",
        "Illustration",
        "polished digital painting, concept art, dramatic lighting",
        _LOWQ,
        "digital-art",
        "General",
        ("#4361ee", "#4cc9f0"),
    ),
    _s(
        "3d-render",
        "3D render",
        "3D",
        "3D render, octane, global illumination, physically based materials",
        f"{_LOWQ}, 2d, flat",
        "3d-model",
        "General",
        ("#5e60ce", "#64dfdf"),
    ),
    _s(
        "clay",
        "Clay / claymation",
        "3D",
        "claymation style, plasticine figures, handmade textures, soft studio light",
        _LOWQ,
        "modeling-compound",
        "General",
        ("#e76f51", "#f4a261"),
    ),
    _s(
        "low-poly",
        "Low poly",
        "3D",
        "low poly 3D art, faceted geometry, flat shaded triangles",
        _LOWQ,
        "low-poly",
        "Design",
        ("#2a9d8f", "#e9c46a"),
    ),
    _s(
        "origami",
        "Paper craft",
        "3D",
        "origami paper craft, folded paper, layered paper cut shadows",
        _LOWQ,
        "origami",
        "Design",
        ("#f1faee", "#e76f51"),
    ),
    _s(
        "pixel-art",
        "Pixel art",
        "Retro",
        "pixel art, 16-bit palette, crisp pixels, retro game style",
        f"{_LOWQ}, smooth gradients, antialiasing",
        "pixel-art",
        "Design",
        ("#00b4d8", "#ffb703"),
    ),
    _s(
        "neon-punk",
        "Neon punk",
        "Retro",
        "neon punk, glowing neon lights, cyberpunk city, rain reflections",
        _LOWQ,
        "neon-punk",
        "General",
        ("#240046", "#ff00e4"),
    ),
    _s(
        "synthwave",
        "Synthwave",
        "Retro",
        "synthwave aesthetic, sunset grid, magenta and cyan glow, retro 80s",
        _LOWQ,
        "neon-punk",
        "Design",
        ("#ff006e", "#3a86ff"),
    ),
    _s(
        "vintage-poster",
        "Vintage poster",
        "Retro",
        "vintage travel poster, screen printed, limited palette, art deco typography space",
        _LOWQ,
        "",
        "Design",
        ("#e9d8a6", "#ae2012"),
    ),
    _s(
        "art-deco",
        "Art deco",
        "Design",
        "art deco design, geometric ornament, gold and black, symmetry",
        _LOWQ,
        "",
        "Design",
        ("#000000", "#d4af37"),
    ),
    _s(
        "bauhaus",
        "Bauhaus",
        "Design",
        "bauhaus poster design, primary colours, circles and rectangles, grid",
        _LOWQ,
        "",
        "Design",
        ("#d62828", "#003049"),
    ),
    _s(
        "corporate-memphis",
        "Corporate flat",
        "Design",
        "modern corporate flat illustration, friendly people, pastel palette",
        _LOWQ,
        "digital-art",
        "Design",
        ("#a0c4ff", "#ffc6ff"),
    ),
    _s(
        "infographic",
        "Infographic",
        "Design",
        "clean infographic style, icons, clear hierarchy, data visualisation look",
        f"{_LOWQ}, photographic",
        "",
        "Design",
        ("#219ebc", "#fb8500"),
    ),
    _s(
        "gradient-abstract",
        "Abstract gradient",
        "Abstract",
        "smooth abstract gradient mesh, flowing shapes, soft glow",
        _LOWQ,
        "enhance",
        "Design",
        ("#8338ec", "#ff006e"),
    ),
    _s(
        "geometric",
        "Geometric pattern",
        "Abstract",
        "geometric abstract pattern, tessellation, bold contrast",
        _LOWQ,
        "tile-texture",
        "Design",
        ("#264653", "#e9c46a"),
    ),
    _s(
        "surreal",
        "Surreal",
        "Abstract",
        "surrealist scene, dreamlike, impossible architecture, soft light",
        _LOWQ,
        "fantasy-art",
        "General",
        ("#9d4edd", "#ffafcc"),
    ),
    _s(
        "sketch",
        "Pencil sketch",
        "Illustration",
        "graphite pencil sketch, cross hatching, paper grain",
        f"{_LOWQ}, colour",
        "line-art",
        "General",
        ("#dddddd", "#555555"),
    ),
    _s(
        "ukiyo-e",
        "Ukiyo-e",
        "Painting",
        "ukiyo-e woodblock print, flat colour areas, flowing outlines",
        _LOWQ,
        "",
        "General",
        ("#1d3557", "#f1faee"),
    ),
    _s(
        "stained-glass",
        "Stained glass",
        "Abstract",
        "stained glass window, leaded outlines, luminous jewel colours",
        _LOWQ,
        "",
        "Design",
        ("#0077b6", "#ffb703"),
    ),
    _s(
        "enhance",
        "Enhance (no style)",
        "Photo",
        "highly detailed, well composed, balanced colours",
        _LOWQ,
        "enhance",
        "Auto",
        ("#adb5bd", "#e9ecef"),
    ),
)

_STYLE_BY_KEY = {s.key: s for s in STYLE_PRESETS}


def get_style(key: str) -> StylePreset:
    return _STYLE_BY_KEY[key]


@dataclass(frozen=True)
class CreateTemplate:
    key: str
    name: str
    format: PlatformFormat
    styles: tuple[str, ...]
    quality: str  # draft | standard | premium
    use_case: str
    keywords: tuple[str, ...] = field(default=())

    @property
    def platform(self) -> str:
        return self.format.platform

    @property
    def width(self) -> int:
        return self.format.width

    @property
    def height(self) -> int:
        return self.format.height

    @property
    def aspect_label(self) -> str:
        return self.format.aspect_label

    def search_text(self) -> str:
        return " ".join(
            [self.name, self.format.platform_label, self.use_case, *self.keywords]
        ).lower()


def _t(fmt_key, styles, quality, keywords, name=None, use=None, key=None):
    fmt = get_format(fmt_key)
    return CreateTemplate(
        key=key or fmt_key,
        name=name or fmt.label,
        format=fmt,
        styles=tuple(styles),
        quality=quality,
        use_case=use or fmt.use_case,
        keywords=tuple(keywords),
    )


CREATE_TEMPLATES: tuple[CreateTemplate, ...] = (
    _t(
        "instagram-square",
        ["photographic", "flat-illustration", "minimalist"],
        "standard",
        ["product", "quote", "announcement", "feed", "grid"],
    ),
    _t(
        "instagram-portrait",
        ["photographic", "lifestyle", "cinematic"],
        "standard",
        ["fashion", "portrait", "lifestyle", "feed"],
    ),
    _t(
        "instagram-story",
        ["photographic", "gradient-abstract", "cinematic"],
        "standard",
        ["story", "vertical", "behind the scenes", "poll"],
    ),
    _t(
        "instagram-reel-cover",
        ["cinematic", "neon-punk", "photographic"],
        "standard",
        ["reel", "video", "cover", "vertical"],
    ),
    _t(
        "instagram-portrait",
        ["flat-illustration", "infographic", "minimalist"],
        "draft",
        ["carousel", "slides", "tips", "education"],
        name="Instagram Carousel slide",
        use="One slide of a swipeable educational carousel.",
        key="instagram-carousel",
    ),
    _t(
        "facebook-post",
        ["photographic", "lifestyle", "flat-illustration"],
        "standard",
        ["link", "event", "promotion", "feed"],
    ),
    _t(
        "facebook-square",
        ["photographic", "product-shot"],
        "standard",
        ["product", "offer", "feed"],
    ),
    _t("facebook-story", ["photographic", "gradient-abstract"], "standard", ["story", "vertical"]),
    _t(
        "facebook-cover",
        ["minimalist", "gradient-abstract", "photographic"],
        "premium",
        ["cover", "banner", "page", "brand"],
    ),
    _t(
        "x-post",
        ["photographic", "digital-art", "infographic"],
        "standard",
        ["tweet", "news", "announcement", "twitter"],
    ),
    _t(
        "x-card",
        ["minimalist", "flat-illustration"],
        "draft",
        ["article", "link", "blog", "twitter"],
    ),
    _t(
        "x-header",
        ["minimalist", "gradient-abstract", "geometric"],
        "premium",
        ["header", "banner", "profile", "twitter"],
    ),
    _t(
        "linkedin-post",
        ["photographic", "corporate-memphis", "infographic"],
        "standard",
        ["business", "hiring", "professional", "b2b"],
    ),
    _t(
        "linkedin-square",
        ["corporate-memphis", "minimalist"],
        "standard",
        ["business", "milestone", "professional"],
    ),
    _t(
        "linkedin-article",
        ["photographic", "minimalist", "isometric"],
        "standard",
        ["newsletter", "article", "thought leadership"],
    ),
    _t(
        "linkedin-cover",
        ["minimalist", "geometric", "gradient-abstract"],
        "premium",
        ["company", "banner", "brand", "cover"],
    ),
    _t(
        "youtube-thumbnail",
        ["cinematic", "pop-art", "photographic"],
        "premium",
        ["video", "thumbnail", "clickable", "tutorial", "vlog"],
    ),
    _t(
        "youtube-banner",
        ["gradient-abstract", "minimalist", "synthwave"],
        "premium",
        ["channel", "banner", "art", "brand"],
    ),
    _t(
        "pinterest-pin",
        ["photographic", "watercolour", "flat-illustration"],
        "standard",
        ["recipe", "diy", "home", "inspiration", "pin"],
    ),
    _t(
        "pinterest-story",
        ["photographic", "lifestyle"],
        "standard",
        ["idea", "steps", "tutorial", "pin"],
    ),
    _t(
        "tiktok-cover",
        ["neon-punk", "cinematic", "pop-art"],
        "standard",
        ["video", "cover", "trend", "vertical"],
    ),
    _t(
        "blog-header",
        ["photographic", "isometric", "flat-illustration"],
        "standard",
        ["blog", "article", "hero", "post"],
    ),
    _t(
        "blog-wide",
        ["cinematic", "gradient-abstract", "photographic"],
        "premium",
        ["website", "landing page", "hero", "banner"],
    ),
    _t(
        "blog-inline",
        ["flat-illustration", "infographic", "isometric"],
        "draft",
        ["illustration", "diagram", "article"],
    ),
    _t(
        "email-banner",
        ["flat-illustration", "photographic", "minimalist"],
        "draft",
        ["newsletter", "email", "header", "campaign"],
    ),
    _t(
        "email-product",
        ["product-shot", "photographic"],
        "standard",
        ["product", "ecommerce", "email", "sale"],
    ),
    _t(
        "blog-header",
        ["minimalist", "gradient-abstract"],
        "draft",
        ["website", "banner", "homepage"],
        name="Website banner",
        use="Full-width banner for a homepage section.",
        key="website-banner",
    ),
    _t(
        "instagram-square",
        ["3d-render", "clay", "product-shot"],
        "premium",
        ["product", "launch", "mockup", "3d"],
        name="Product launch square",
        use="Hero product visual for a launch post.",
        key="product-launch",
    ),
)

_TEMPLATE_BY_KEY = {t.key: t for t in CREATE_TEMPLATES}


def get_template(key: str) -> CreateTemplate:
    return _TEMPLATE_BY_KEY[key]


_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def template_search(query: str) -> list[CreateTemplate]:
    """Templates matching every word of ``query`` (name, platform, use case, keywords)."""
    words = _words(query)
    if not words:
        return list(CREATE_TEMPLATES)
    return [t for t in CREATE_TEMPLATES if all(w in t.search_text() for w in words)]


def template_recommend(
    prompt: str, *, recent: list[str] | None = None, limit: int = 3
) -> list[CreateTemplate]:
    """Rank templates for a prompt: shared words with name/use case/keywords, then recency.

    ``recent`` holds the user's recently used template keys, most recent first; each use
    adds a little weight so a creator's habits surface without drowning the prompt match.
    """
    words = _words(prompt)
    recent = recent or []
    scored = []
    for index, t in enumerate(CREATE_TEMPLATES):
        text_words = _words(t.search_text())
        score = 3 * len(words & set(t.keywords)) + len(words & text_words)
        if t.key in recent:
            score += 1.5 / (1 + recent.index(t.key))
        if score > 0:
            scored.append((-score, index, t))
    scored.sort()
    return [t for _, _, t in scored[:limit]]
