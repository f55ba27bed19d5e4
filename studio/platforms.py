"""Platform formats: the one source of truth for social sizes, safe zones and file rules.

Create's templates and the Social Optimizer both read these. Sizes and safe zones follow
each platform's published guidance; three formats whose ratios are often mislabelled use
their true ratios here (Facebook cover 820×312 ≈ 2.63:1, LinkedIn article 1200×627 ≈
1.91:1, LinkedIn company cover 1128×191 ≈ 5.9:1).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

MB = 1024 * 1024


@dataclass(frozen=True)
class SafeZone:
    """Fractions of the height (top/bottom) and width (left/right) to keep free of text."""

    top: float
    bottom: float
    left: float
    right: float

    def box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The safe rectangle (left, top, right, bottom) in pixels."""
        return (
            round(width * self.left),
            round(height * self.top),
            round(width * (1 - self.right)),
            round(height * (1 - self.bottom)),
        )


@dataclass(frozen=True)
class PlatformFormat:
    key: str  # "instagram-story"
    platform: str  # "instagram"
    name: str  # "Story"
    width: int
    height: int
    min_width: int
    min_height: int
    max_bytes: int
    formats: tuple[str, ...]  # accepted upload formats, best first
    safe: SafeZone
    use_case: str

    @property
    def platform_label(self) -> str:
        return PLATFORMS[self.platform]

    @property
    def label(self) -> str:
        return f"{self.platform_label} {self.name}"

    @property
    def aspect(self) -> float:
        return self.width / self.height

    @property
    def aspect_label(self) -> str:
        """A readable ratio: exact when small ("4:5"), else decimal ("1.91:1")."""
        ratio = Fraction(self.width, self.height)
        if ratio.numerator <= 21 and ratio.denominator <= 21:
            return f"{ratio.numerator}:{ratio.denominator}"
        value = self.width / self.height
        return f"{value:.2f}".rstrip("0").rstrip(".") + ":1" if value >= 1 else f"1:{1 / value:.2f}"


PLATFORMS = {
    "instagram": "Instagram",
    "facebook": "Facebook",
    "x": "X",
    "linkedin": "LinkedIn",
    "youtube": "YouTube",
    "pinterest": "Pinterest",
    "tiktok": "TikTok",
    "blog": "Blog",
    "email": "Email",
}

_FEED = SafeZone(0.15, 0.15, 0.10, 0.10)
_TALL = SafeZone(0.20, 0.20, 0.10, 0.10)
_STORY = SafeZone(0.25, 0.15, 0.10, 0.10)
_BANNER = SafeZone(0.20, 0.10, 0.15, 0.15)
_WEB = SafeZone(0.05, 0.05, 0.05, 0.05)

_JP = ("jpeg", "png")
_JPW = ("jpeg", "png", "webp")


def _f(key, name, w, h, *, min_w, min_h, max_mb, formats, safe, use):
    platform = key.split("-", 1)[0]
    return PlatformFormat(
        key=key,
        platform=platform,
        name=name,
        width=w,
        height=h,
        min_width=min_w,
        min_height=min_h,
        max_bytes=int(max_mb * MB),
        formats=formats,
        safe=safe,
        use_case=use,
    )


FORMATS: tuple[PlatformFormat, ...] = (
    _f(
        "instagram-square",
        "Feed post (square)",
        1080,
        1080,
        min_w=320,
        min_h=320,
        max_mb=8,
        formats=_JP,
        safe=_FEED,
        use="Classic grid post for products, quotes and announcements.",
    ),
    _f(
        "instagram-portrait",
        "Feed post (portrait)",
        1080,
        1350,
        min_w=320,
        min_h=400,
        max_mb=8,
        formats=_JP,
        safe=_TALL,
        use="Tallest feed post: takes the most screen space while scrolling.",
    ),
    _f(
        "instagram-story",
        "Story",
        1080,
        1920,
        min_w=600,
        min_h=1067,
        max_mb=8,
        formats=_JP,
        safe=_STORY,
        use="Full-screen vertical story; keep text clear of the top and bottom bars.",
    ),
    _f(
        "instagram-reel-cover",
        "Reel cover",
        1080,
        1920,
        min_w=600,
        min_h=1067,
        max_mb=8,
        formats=_JP,
        safe=_STORY,
        use="Cover frame for a reel; the grid crops it to the centre square.",
    ),
    _f(
        "facebook-post",
        "Feed post",
        1200,
        630,
        min_w=600,
        min_h=315,
        max_mb=10,
        formats=_JPW,
        safe=_FEED,
        use="Landscape feed image and link preview.",
    ),
    _f(
        "facebook-square",
        "Feed post (square)",
        1080,
        1080,
        min_w=600,
        min_h=600,
        max_mb=10,
        formats=_JPW,
        safe=_FEED,
        use="Square feed post that fills mobile feeds.",
    ),
    _f(
        "facebook-story",
        "Story",
        1080,
        1920,
        min_w=600,
        min_h=1067,
        max_mb=10,
        formats=_JPW,
        safe=_STORY,
        use="Vertical full-screen story.",
    ),
    _f(
        "facebook-cover",
        "Cover photo",
        820,
        312,
        min_w=400,
        min_h=150,
        max_mb=10,
        formats=_JP,
        safe=_BANNER,
        use="Page cover banner; the profile picture overlaps the lower left.",
    ),
    _f(
        "x-post",
        "Post",
        1200,
        675,
        min_w=600,
        min_h=335,
        max_mb=5,
        formats=_JPW,
        safe=_FEED,
        use="In-stream image shown in full on desktop and mobile.",
    ),
    _f(
        "x-card",
        "Summary card",
        1200,
        600,
        min_w=300,
        min_h=157,
        max_mb=5,
        formats=_JPW,
        safe=_FEED,
        use="Large-image link card for shared articles.",
    ),
    _f(
        "x-header",
        "Header",
        1500,
        500,
        min_w=1000,
        min_h=333,
        max_mb=5,
        formats=_JPW,
        safe=_BANNER,
        use="Profile header banner; avatar covers the lower left.",
    ),
    _f(
        "linkedin-post",
        "Feed post",
        1200,
        628,
        min_w=552,
        min_h=289,
        max_mb=8,
        formats=_JP,
        safe=_FEED,
        use="Landscape feed image for updates and shared links.",
    ),
    _f(
        "linkedin-square",
        "Feed post (square)",
        1080,
        1080,
        min_w=552,
        min_h=552,
        max_mb=8,
        formats=_JP,
        safe=_FEED,
        use="Square update image that stands out on mobile.",
    ),
    _f(
        "linkedin-article",
        "Article cover",
        1200,
        627,
        min_w=600,
        min_h=314,
        max_mb=8,
        formats=_JP,
        safe=_FEED,
        use="Cover image for newsletters and articles.",
    ),
    _f(
        "linkedin-cover",
        "Company cover",
        1128,
        191,
        min_w=1128,
        min_h=191,
        max_mb=8,
        formats=_JP,
        safe=_BANNER,
        use="Company page banner: very wide, keep the message central.",
    ),
    _f(
        "youtube-thumbnail",
        "Thumbnail",
        1280,
        720,
        min_w=640,
        min_h=360,
        max_mb=2,
        formats=("jpeg", "png"),
        safe=_FEED,
        use="Video thumbnail; the duration badge covers the lower right.",
    ),
    _f(
        "youtube-banner",
        "Channel banner",
        2560,
        1440,
        min_w=2048,
        min_h=1152,
        max_mb=6,
        formats=_JP,
        safe=_BANNER,
        use="Channel art; only the centre 1546×423 shows on every device.",
    ),
    _f(
        "pinterest-pin",
        "Standard pin",
        1000,
        1500,
        min_w=600,
        min_h=900,
        max_mb=20,
        formats=_JPW,
        safe=_TALL,
        use="Tall 2:3 pin, the format Pinterest favours.",
    ),
    _f(
        "pinterest-story",
        "Idea pin",
        1080,
        1920,
        min_w=600,
        min_h=1067,
        max_mb=20,
        formats=_JPW,
        safe=_STORY,
        use="Full-screen multi-page idea pin.",
    ),
    _f(
        "tiktok-cover",
        "Video cover",
        1080,
        1920,
        min_w=540,
        min_h=960,
        max_mb=10,
        formats=_JP,
        safe=_STORY,
        use="Cover frame for a TikTok video; captions sit at the bottom.",
    ),
    _f(
        "blog-header",
        "Header image",
        1920,
        1080,
        min_w=1200,
        min_h=675,
        max_mb=5,
        formats=_JPW,
        safe=_WEB,
        use="Hero image at the top of a blog post.",
    ),
    _f(
        "blog-wide",
        "Wide hero",
        2560,
        1080,
        min_w=1600,
        min_h=675,
        max_mb=5,
        formats=_JPW,
        safe=_WEB,
        use="Ultra-wide 21:9-ish website or landing page hero.",
    ),
    _f(
        "blog-inline",
        "Inline image",
        1200,
        800,
        min_w=800,
        min_h=533,
        max_mb=5,
        formats=_JPW,
        safe=_WEB,
        use="Illustration inside an article body.",
    ),
    _f(
        "email-banner",
        "Email banner",
        1200,
        675,
        min_w=600,
        min_h=338,
        max_mb=1,
        formats=_JP,
        safe=_WEB,
        use="Header of a newsletter; keep files small for inboxes.",
    ),
    _f(
        "email-product",
        "Email product tile",
        600,
        600,
        min_w=300,
        min_h=300,
        max_mb=1,
        formats=_JP,
        safe=_WEB,
        use="Square product shot in a promotional email.",
    ),
)

_BY_KEY = {f.key: f for f in FORMATS}


def get_format(key: str) -> PlatformFormat:
    """The format with this key; ``KeyError`` if there is none."""
    return _BY_KEY[key]


@cache
def formats_by_platform() -> dict[str, list[PlatformFormat]]:
    grouped: dict[str, list[PlatformFormat]] = {}
    for f in FORMATS:
        grouped.setdefault(f.platform, []).append(f)
    return grouped


SOCIAL_PLATFORMS = ("instagram", "facebook", "x", "linkedin", "youtube", "pinterest", "tiktok")


def social_formats() -> list[PlatformFormat]:
    return [f for f in FORMATS if f.platform in SOCIAL_PLATFORMS]
