"""OpenAI Images API with gpt-image-1: generations (JSON) and edits (multipart, optional mask).

Our masks are white where the image should change; OpenAI's are PNGs whose fully transparent
pixels mark the area to edit, so the mask is converted before upload.
"""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image, ImageOps

from .base import (
    Capability,
    ContentFiltered,
    InsufficientProviderBalance,
    InvalidInput,
    ModelSpec,
    ParamSpec,
    ProviderError,
    ProviderRequest,
    ProviderResult,
    Quality,
)
from .http.client import Timeouts
from .http.errors import response_json, vendor_message
from .http.media import (
    InputLimits,
    b64decode,
    check_input_image,
    extension_for,
    image_output,
    sniff_content_type,
)
from .http.remote import Call, RemoteProvider

SIZES = ((1024, 1024), (1536, 1024), (1024, 1536))
RATIO_SIZES = {"1:1": "1024x1024", "3:2": "1536x1024", "2:3": "1024x1536"}
MAX_INPUT_IMAGES = 16
IMAGE_LIMITS = InputLimits(min_side=16, max_bytes=50 * 1024 * 1024)
MASK_MAX_BYTES = 4 * 1024 * 1024
#: What ``/images/edits`` takes besides the files; ``moderation`` is for generations only.
EDIT_FIELDS = frozenset(
    {
        "model",
        "prompt",
        "n",
        "size",
        "quality",
        "background",
        "output_format",
        "output_compression",
        "input_fidelity",
    }
)

MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        id="gpt-image-1",
        label="GPT Image 1",
        capabilities=frozenset(
            {Capability.TEXT_TO_IMAGE, Capability.PROMPT_EDIT, Capability.INPAINT}
        ),
        params=(
            ParamSpec(
                "quality",
                "enum",
                default="auto",
                choices=("low", "medium", "high", "auto"),
                label="Quality",
            ),
            ParamSpec(
                "background",
                "enum",
                default="auto",
                choices=("transparent", "opaque", "auto"),
                label="Background",
            ),
            ParamSpec("output_compression", "int", min=0, max=100, label="Compression"),
            ParamSpec("moderation", "enum", choices=("auto", "low"), label="Moderation"),
            ParamSpec("input_fidelity", "enum", choices=("low", "high"), label="Input fidelity"),
        ),
        quality=Quality.PREMIUM,
        aspect_ratios=tuple(RATIO_SIZES),
        sizes=SIZES,
        output_formats=("png", "jpeg", "webp"),
        max_outputs_per_call=10,
        requires_prompt=True,
        unit_price=0.042,
        notes="About $0.011–$0.25 per image by quality and size; unit price is medium quality "
        "at 1024×1024. Edits take up to 16 images and an optional mask.",
    ),
)


def openai_mask(mask: bytes, size: tuple[int, int]) -> bytes:
    """Convert a white-means-change mask into OpenAI's transparent-means-edit PNG."""
    with Image.open(io.BytesIO(mask)) as img:
        if img.size != size:
            raise InvalidInput(
                f"The mask must be the same size as the image ({size[0]}×{size[1]}), "
                f"not {img.width}×{img.height}."
            )
        grey = img.convert("L")
    alpha = ImageOps.invert(grey)
    out = Image.new("RGBA", size, (0, 0, 0, 255))
    out.putalpha(alpha)
    buf = io.BytesIO()
    out.save(buf, format="PNG")
    return buf.getvalue()


class OpenAIProvider(RemoteProvider):
    name = "openai"
    label = "OpenAI"
    short_label = "OpenAI"
    default_base = "https://api.openai.com/v1"
    max_prompt_chars = 32_000
    default_timeouts = Timeouts(read=180.0)  # high-quality renders take a while

    MODELS = MODELS

    def accepts_mask(self, spec: ModelSpec) -> bool:
        return True

    def prepare(
        self, spec: ModelSpec, request: ProviderRequest, params: dict[str, Any]
    ) -> dict[str, Any]:
        images = request.images()
        if request.capability == Capability.TEXT_TO_IMAGE:
            if images or request.mask is not None:
                raise InvalidInput("Generation takes no input image; use an edit instead.")
        elif not images:
            raise InvalidInput("Editing needs an input image.")
        if len(images) > MAX_INPUT_IMAGES:
            raise InvalidInput(f"At most {MAX_INPUT_IMAGES} images can be edited together.")
        sizes = [check_input_image(data, IMAGE_LIMITS) for data in images]
        if request.mask is not None:
            if len(request.mask) > MASK_MAX_BYTES:
                raise InvalidInput("The mask must be smaller than 4 MB.")
            params["_mask"] = openai_mask(request.mask, sizes[0])
        if params.get("background") == "transparent" and request.output_format == "jpeg":
            raise InvalidInput("A transparent background needs PNG or WebP output.")
        if "output_compression" in params and request.output_format == "png":
            raise InvalidInput("Compression applies to JPEG and WebP output only.")
        if request.capability == Capability.TEXT_TO_IMAGE:
            params.pop("input_fidelity", None)
        return params

    @staticmethod
    def _size(request: ProviderRequest) -> str:
        if request.width and request.height:
            return f"{request.width}x{request.height}"
        return RATIO_SIZES.get(request.aspect_ratio, "auto")

    def _call(self, call: Call) -> ProviderResult:
        request = call.request
        fields: dict[str, Any] = {
            "model": call.spec.id,
            "prompt": request.prompt,
            "n": request.n,
            "size": self._size(request),
            "output_format": request.output_format,
        }
        fields.update({k: v for k, v in call.params.items() if not k.startswith("_")})
        if request.capability == Capability.TEXT_TO_IMAGE:
            response = self.http.request("POST", "/images/generations", json=fields)
        else:
            response = self.http.request(
                "POST", "/images/edits", files=self._edit_parts(call, fields)
            )
        answer = response_json(response) or {}
        outputs = []
        for item in answer.get("data") or []:
            if item.get("b64_json"):
                data = b64decode(item["b64_json"], label=self.label)
                outputs.append(image_output(data, content_type=f"image/{request.output_format}"))
            elif item.get("url"):
                outputs.append(self.http.download(item["url"], max_bytes=50 * 1024 * 1024))
        if not outputs:
            raise ProviderError(f"{self.label} returned no image.", provider=self.name)
        return call.result(outputs, **({"usage": answer["usage"]} if answer.get("usage") else {}))

    @staticmethod
    def _edit_parts(call: Call, fields: dict[str, Any]) -> list[tuple[str, tuple[Any, ...]]]:
        """The multipart body of ``/images/edits``: only the fields that endpoint takes."""
        images = call.request.images()
        field = "image" if len(images) == 1 else "image[]"
        parts: list[tuple[str, tuple[Any, ...]]] = [
            (name, (None, str(value))) for name, value in fields.items() if name in EDIT_FIELDS
        ]
        for i, data in enumerate(images):
            ctype = sniff_content_type(data)
            parts.append((field, (f"image-{i}.{extension_for(ctype)}", data, ctype)))
        if "_mask" in call.params:
            parts.append(("mask", ("mask.png", call.params["_mask"], "image/png")))
        return parts

    def map_error(self, response: httpx.Response, retry_after: float | None) -> ProviderError:
        body = response_json(response)
        err = body.get("error") if isinstance(body, dict) else None
        code = str(err.get("code") or "") if isinstance(err, dict) else ""
        message = vendor_message(response)
        status = response.status_code
        if code in ("moderation_blocked", "content_policy_violation"):
            return self._error(
                ContentFiltered,
                f"{self.label} refused the request for safety reasons: {message}",
                status=status,
            )
        if code in ("insufficient_quota", "billing_hard_limit_reached"):
            return self._error(
                InsufficientProviderBalance,
                f"{self.label} account has no quota left: {message}",
                status=status,
            )
        return super().map_error(response, retry_after)
