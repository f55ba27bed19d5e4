"""The contract every provider implements: capabilities, model specs, requests, results, errors.

Capabilities and model specs are data so that forms can adapt to a model and so that a
request a model cannot take is refused by :func:`validate_request` before any network call.
"""

from __future__ import annotations

import enum
import io
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol, runtime_checkable


class Capability(enum.StrEnum):
    # Generative (providers only)
    TEXT_TO_IMAGE = "text_to_image"
    IMAGE_TO_IMAGE = "image_to_image"
    PROMPT_EDIT = "prompt_edit"
    SEARCH_REPLACE = "search_replace"
    SEARCH_RECOLOR = "search_recolor"
    CONTROL_SKETCH = "control_sketch"
    CONTROL_STRUCTURE = "control_structure"
    CONTROL_STYLE = "control_style"
    STYLE_TRANSFER = "style_transfer"
    IMAGE_TO_VIDEO = "image_to_video"
    TALKING_AVATAR = "talking_avatar"
    IMAGE_TO_3D = "image_to_3d"
    PROMPT_ENHANCE = "prompt_enhance"
    UPSCALE_CONSERVATIVE = "upscale_conservative"
    UPSCALE_CREATIVE = "upscale_creative"
    # Both providers and the local engine
    REMOVE_BACKGROUND = "remove_background"
    INPAINT = "inpaint"
    OUTPAINT = "outpaint"
    ERASE = "erase"
    REPLACE_BACKGROUND = "replace_background"
    RECOLOR = "recolor"
    UPSCALE_FAST = "upscale_fast"
    UPSCALE_HQ = "upscale_hq"
    # Local image tools
    RESIZE = "resize"
    CROP = "crop"
    FILTER = "filter"
    CONVERT = "convert"
    PALETTE = "palette"
    FOCAL_POINT = "focal_point"
    SOCIAL_PACK = "social_pack"


class Quality(enum.StrEnum):
    DRAFT = "draft"
    STANDARD = "standard"
    PREMIUM = "premium"


# --------------------------------------------------------------------------- errors


class ProviderError(Exception):
    """Base of every provider failure.

    ``user_message`` is safe to show to a user (it never contains a key or a URL with a
    key). ``transient`` tells the caller whether retrying the same request may succeed.
    """

    transient = False
    code = "provider_error"

    def __init__(
        self,
        user_message: str,
        *,
        provider: str = "",
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.provider = provider
        self.status = status
        self.retry_after = retry_after
        #: Whether the job pipeline should run the whole call again after ``retry_after``
        #: seconds: a transient fault that names a wait nobody has taken yet. The HTTP client
        #: clears it when its own retries used up the call's budget (see providers.http.retry).
        self.retry_later = self.transient and retry_after is not None


class ProviderConfigError(ProviderError):
    """Missing or rejected credentials, or a provider that is not configured."""

    code = "config"


class ProviderUnavailable(ProviderError):
    """The provider or an optional local model is not installed or not enabled here."""

    code = "unavailable"


class InvalidInput(ProviderError):
    """The request is not acceptable to the model (our check or the provider's)."""

    code = "invalid_input"


class RequestRefused(InvalidInput):
    """The provider's server refused the model id or a parameter (HTTP 400/404/409/413/422).

    About the model or the request's shape, not the user's content (:class:`ContentFiltered`),
    credits (:class:`InsufficientProviderBalance`) or key: another model may serve the same
    request, so automatic routing moves on to its next route.
    """


class ContentFiltered(ProviderError):
    code = "content_filtered"


class InsufficientProviderBalance(ProviderError):
    code = "provider_balance"


class RateLimited(ProviderError):
    transient = True
    code = "rate_limited"


class TransientError(ProviderError):
    transient = True
    code = "transient"


class ProviderTimeout(ProviderError):
    transient = True
    code = "timeout"


class Canceled(ProviderError):
    code = "canceled"


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class ParamSpec:
    """One model parameter: its type, default, bounds or choices."""

    name: str
    type: str  # "int" | "float" | "str" | "bool" | "enum" | "json"
    default: Any = None
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    required: bool = False
    label: str = ""
    help: str = ""

    def coerce(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, or raise ``InvalidInput``."""
        try:
            if self.type == "json":
                # Structured data (lists/dicts) built by our own code, not typed by users.
                if not isinstance(value, list | dict):
                    raise TypeError
            elif self.type == "int":
                value = int(value)
            elif self.type == "float":
                value = float(value)
            elif self.type == "bool":
                if isinstance(value, str):
                    value = value.strip().lower() in {"1", "true", "yes", "on"}
                else:
                    value = bool(value)
            else:
                value = str(value)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"{self.label or self.name} must be a {self.type}.") from exc
        if self.type in {"int", "float"}:
            if self.min is not None and value < self.min:
                raise InvalidInput(f"{self.label or self.name} must be at least {self.min:g}.")
            if self.max is not None and value > self.max:
                raise InvalidInput(f"{self.label or self.name} must be at most {self.max:g}.")
        if self.type == "enum" and value not in self.choices:
            raise InvalidInput(
                f"{self.label or self.name} must be one of: {', '.join(self.choices)}."
            )
        if self.type == "str" and self.max is not None and len(value) > self.max:
            raise InvalidInput(f"{self.label or self.name} is longer than {self.max:g} characters.")
        return value


@dataclass(frozen=True)
class ModelSpec:
    """What one model of a provider accepts and produces."""

    id: str
    label: str
    capabilities: frozenset[Capability]
    params: tuple[ParamSpec, ...] = ()
    quality: Quality = Quality.STANDARD
    aspect_ratios: tuple[str, ...] = ()
    sizes: tuple[tuple[int, int], ...] = ()  # fixed sizes, when the model takes exact sizes
    min_side: int | None = None
    max_side: int | None = None
    min_input_pixels: int | None = None
    max_input_pixels: int | None = None
    output_formats: tuple[str, ...] = ("png",)
    max_outputs_per_call: int = 1
    accepts_negative_prompt: bool = False
    accepts_seed: bool = False
    requires_prompt: bool = False
    requires_image: bool = False
    requires_mask: bool = False
    # Indicative price per output in provider units, used only to rank providers.
    unit_price: float = 0.0
    notes: str = ""

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)


# --------------------------------------------------------------------------- request/result


@dataclass
class ProviderRequest:
    capability: Capability
    model: str = ""
    prompt: str = ""
    negative_prompt: str = ""
    image: bytes | None = None  # primary input image, encoded (PNG/JPEG/WebP)
    mask: bytes | None = None  # white = change, black = keep
    extra_images: dict[str, bytes] = field(default_factory=dict)  # e.g. style_image, audio
    width: int | None = None
    height: int | None = None
    aspect_ratio: str = ""
    seed: int | None = None
    n: int = 1
    output_format: str = "png"
    params: dict[str, Any] = field(default_factory=dict)

    def images(self) -> list[bytes]:
        """The primary image, then every extra image, for models that take several."""
        images = [self.image] if self.image is not None else []
        images.extend(self.extra_images.values())
        return images


@dataclass
class ProviderOutput:
    """One produced file. Small outputs keep ``data``; large ones are spooled to disk."""

    content_type: str
    data: bytes | None = None
    file: BinaryIO | None = None
    width: int | None = None
    height: int | None = None
    seed: int | None = None
    extension: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def open(self) -> BinaryIO:
        """Return a readable binary file positioned at the start."""
        if self.file is not None:
            self.file.seek(0)
            return self.file
        return io.BytesIO(self.data or b"")

    @classmethod
    def spooled(cls, chunks: Iterable[bytes], **kwargs: Any) -> ProviderOutput:
        """Build an output from streamed chunks without holding them all in memory."""
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
        for chunk in chunks:
            spool.write(chunk)
        spool.seek(0)
        return cls(file=spool, **kwargs)


@dataclass
class ProviderResult:
    provider: str
    model: str
    outputs: list[ProviderOutput] = field(default_factory=list)
    # Non-file results (palette, focal point, enhanced text) and provider details.
    meta: dict[str, Any] = field(default_factory=dict)


ProgressCallback = Callable[[int, str], None]
CancelCheck = Callable[[], bool]


@runtime_checkable
class ImageProvider(Protocol):
    name: str  # stable slug, e.g. "stability"
    label: str  # human name, e.g. "Stability AI"

    def is_configured(self) -> bool: ...

    def models(self) -> list[ModelSpec]: ...

    def run(
        self,
        request: ProviderRequest,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelCheck | None = None,
    ) -> ProviderResult: ...


def validate_request(spec: ModelSpec, request: ProviderRequest) -> dict[str, Any]:
    """Check ``request`` against ``spec`` before any network call.

    Returns the request's params coerced to their declared types, with defaults filled in.
    Raises :class:`InvalidInput` with a message naming the offending field.
    """
    if request.capability not in spec.capabilities:
        raise InvalidInput(f"{spec.label} cannot do {request.capability.value.replace('_', ' ')}.")
    if spec.requires_prompt and not request.prompt.strip():
        raise InvalidInput("A prompt is required.")
    if spec.requires_image and request.image is None:
        raise InvalidInput("An input image is required.")
    if spec.requires_mask and request.mask is None:
        raise InvalidInput("A mask is required: paint the area to change.")
    if request.negative_prompt and not spec.accepts_negative_prompt:
        raise InvalidInput(f"{spec.label} does not accept a negative prompt.")
    if request.seed is not None and not spec.accepts_seed:
        raise InvalidInput(f"{spec.label} does not accept a seed.")
    if not 1 <= request.n <= 10:
        raise InvalidInput("Between 1 and 10 outputs can be requested.")
    if (
        request.aspect_ratio
        and spec.aspect_ratios
        and request.aspect_ratio not in spec.aspect_ratios
    ):
        raise InvalidInput(
            f"{spec.label} supports aspect ratios {', '.join(spec.aspect_ratios)}, "
            f"not {request.aspect_ratio}."
        )
    for side in (request.width, request.height):
        if side is None:
            continue
        if spec.min_side and side < spec.min_side:
            raise InvalidInput(f"{spec.label} needs sides of at least {spec.min_side} px.")
        if spec.max_side and side > spec.max_side:
            raise InvalidInput(f"{spec.label} allows sides of at most {spec.max_side} px.")
    if spec.sizes and request.width and request.height:
        if (request.width, request.height) not in spec.sizes:
            allowed = ", ".join(f"{w}×{h}" for w, h in spec.sizes)
            raise InvalidInput(f"{spec.label} supports sizes {allowed}.")
    if spec.output_formats and request.output_format not in spec.output_formats:
        raise InvalidInput(
            f"{spec.label} outputs {', '.join(spec.output_formats)}, not {request.output_format}."
        )
    known = {p.name: p for p in spec.params}
    unknown = sorted(set(request.params) - set(known))
    if unknown:
        raise InvalidInput(f"{spec.label} does not accept: {', '.join(unknown)}.")
    clean: dict[str, Any] = {}
    for name, p in known.items():
        if name in request.params and request.params[name] not in (None, ""):
            clean[name] = p.coerce(request.params[name])
        elif p.required:
            raise InvalidInput(f"{p.label or p.name} is required.")
        elif p.default is not None:
            clean[name] = p.default
    return clean
