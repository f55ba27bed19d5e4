"""The local engine as an :class:`~providers.base.ImageProvider`.

Each operation is one "model" whose params are declared as data, so forms and
``validate_request`` know exactly what it takes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..base import (
    Canceled,
    Capability,
    InvalidInput,
    ModelSpec,
    ParamSpec,
    ProviderOutput,
    ProviderRequest,
    ProviderResult,
    ProviderUnavailable,
    Quality,
    validate_request,
)
from . import (
    arrays,
    background,
    focal,
    imaging,
    inpaint,
    matting,
    recolor,
    social,
    text_detect,
    tools,
    upscale,
)

_FORMATS = ("png", "jpeg", "webp")

TOOL_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        id="resize",
        label="Resize",
        capabilities=frozenset({Capability.RESIZE}),
        params=(
            ParamSpec("width", "int", min=1, max=tools.MAX_SIDE, label="Width"),
            ParamSpec("height", "int", min=1, max=tools.MAX_SIDE, label="Height"),
            ParamSpec("mode", "enum", default="fit", choices=("fit", "exact"), label="Mode"),
        ),
        requires_image=True,
        output_formats=(),
    ),
    ModelSpec(
        id="crop",
        label="Crop",
        capabilities=frozenset({Capability.CROP}),
        params=(
            ParamSpec("x", "int", min=0, max=tools.MAX_SIDE, required=True, label="X"),
            ParamSpec("y", "int", min=0, max=tools.MAX_SIDE, required=True, label="Y"),
            ParamSpec("width", "int", min=1, max=tools.MAX_SIDE, required=True, label="Width"),
            ParamSpec("height", "int", min=1, max=tools.MAX_SIDE, required=True, label="Height"),
        ),
        requires_image=True,
        output_formats=(),
    ),
    ModelSpec(
        id="filter",
        label="Filter",
        capabilities=frozenset({Capability.FILTER}),
        params=(
            ParamSpec("name", "enum", required=True, choices=tools.FILTERS, label="Filter"),
            ParamSpec("amount", "float", default=1.0, min=0, max=100, label="Amount"),
        ),
        requires_image=True,
        output_formats=(),
    ),
    ModelSpec(
        id="convert",
        label="Export / convert",
        capabilities=frozenset({Capability.CONVERT}),
        params=(
            ParamSpec("format", "enum", required=True, choices=_FORMATS, label="Format"),
            ParamSpec("quality", "int", default=90, min=1, max=100, label="Quality"),
            ParamSpec("keep_metadata", "bool", default=True, label="Keep metadata"),
        ),
        requires_image=True,
        output_formats=(),
    ),
    ModelSpec(
        id="palette",
        label="Colour palette",
        capabilities=frozenset({Capability.PALETTE}),
        params=(
            ParamSpec("count", "int", default=6, min=3, max=12, label="Colours"),
            ParamSpec(
                "mode", "enum", default="dominant", choices=tools.PALETTE_MODES, label="Mode"
            ),
        ),
        requires_image=True,
        output_formats=(),
    ),
)

_IMAGE_FORMATS = ("png", "jpeg", "webp")
_ALPHA_FORMATS = ("png", "webp")
# Inputs above this are refused before decoding work starts (a 12 MP photo is fine).
MAX_INPUT_PIXELS = 40_000_000

_REFINE = ParamSpec(
    "refine",
    "bool",
    default=True,
    label="Refine edges",
    help="Snap the cut-out to the photo's edges.",
)
_FEATHER = ParamSpec(
    "feather",
    "float",
    default=1.0,
    min=0,
    max=8,
    label="Feather (px)",
    help="Soften the cut-out edge.",
)
_FILL_METHOD = ParamSpec(
    "method",
    "enum",
    default="auto",
    choices=inpaint.METHODS,
    label="Fill method",
    help="Auto: a quick fill for thin marks; for larger areas, texture from right next to "
    "the hole where the surroundings are textured and a smooth, grained fill where they "
    "are smooth (on extended canvas: smooth). Smooth, Telea and PatchMatch force one filler.",
)

AI_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        id="remove-background",
        label="Remove background (offline)",
        capabilities=frozenset({Capability.REMOVE_BACKGROUND}),
        params=(
            _REFINE,
            _FEATHER,
            ParamSpec(
                "output",
                "enum",
                default="cutout",
                choices=("cutout", "mask"),
                label="Output",
                help="The cut-out with transparency, or just its black-and-white mask.",
            ),
        ),
        requires_image=True,
        max_input_pixels=MAX_INPUT_PIXELS,
        output_formats=_ALPHA_FORMATS,
        notes="U²-Net-p salient-object matting; best on one clear subject.",
    ),
    ModelSpec(
        id="upscale-fast",
        label="Upscale ×2/×4 (fast)",
        capabilities=frozenset({Capability.UPSCALE_FAST}),
        params=(
            ParamSpec("scale", "enum", default="2", choices=("2", "4"), label="Scale"),
            ParamSpec(
                "width",
                "int",
                min=1,
                max=tools.MAX_SIDE,
                label="Target width",
                help="Exact output width (optional); the height follows unless given.",
            ),
            ParamSpec("height", "int", min=1, max=tools.MAX_SIDE, label="Target height"),
        ),
        requires_image=True,
        max_input_pixels=MAX_INPUT_PIXELS,
        output_formats=_IMAGE_FORMATS,
        notes="FSRCNN ×2 super-resolution on luma (two passes for ×4) with back-projection; "
        "Lanczos for an exact target size.",
    ),
    ModelSpec(
        id="upscale-hq",
        label="Upscale ×4 (high quality, slow)",
        capabilities=frozenset({Capability.UPSCALE_HQ}),
        quality=Quality.PREMIUM,
        requires_image=True,
        max_input_pixels=upscale.HQ_MAX_INPUT_PIXELS,
        output_formats=_IMAGE_FORMATS,
        notes="Real-ESRGAN x4plus on the CPU: about half a minute per 256×256 input. "
        "Optional: pip install 'imagestudio[hq]'.",
    ),
    ModelSpec(
        id="erase",
        label="Erase / fill area",
        capabilities=frozenset({Capability.ERASE, Capability.INPAINT}),
        params=(_FILL_METHOD,),
        requires_image=True,
        requires_mask=True,
        max_input_pixels=MAX_INPUT_PIXELS,
        output_formats=_IMAGE_FORMATS,
        notes="Fills the white part of the mask from the surrounding picture; no prompt is used.",
    ),
    ModelSpec(
        id="outpaint",
        label="Extend canvas",
        capabilities=frozenset({Capability.OUTPAINT}),
        params=(
            ParamSpec("left", "int", default=0, min=0, max=inpaint.MAX_EXTEND, label="Left (px)"),
            ParamSpec("right", "int", default=0, min=0, max=inpaint.MAX_EXTEND, label="Right (px)"),
            ParamSpec("up", "int", default=0, min=0, max=inpaint.MAX_EXTEND, label="Top (px)"),
            ParamSpec("down", "int", default=0, min=0, max=inpaint.MAX_EXTEND, label="Bottom (px)"),
            _FILL_METHOD,
        ),
        requires_image=True,
        max_input_pixels=MAX_INPUT_PIXELS,
        output_formats=_IMAGE_FORMATS,
        notes=inpaint.OUTPAINT_NOTE,
    ),
    ModelSpec(
        id="replace-background",
        label="Replace background",
        capabilities=frozenset({Capability.REPLACE_BACKGROUND}),
        params=(
            ParamSpec(
                "background",
                "enum",
                default="color",
                choices=background.BACKGROUNDS,
                label="Background",
                help="A colour, a gradient, or an uploaded image.",
            ),
            ParamSpec("color", "str", default="#ffffff", max=9, label="Colour"),
            ParamSpec("color2", "str", default="#d0d7e2", max=9, label="Gradient end colour"),
            ParamSpec(
                "angle",
                "int",
                default=90,
                min=0,
                max=359,
                label="Gradient angle",
                help="0° runs left to right, 90° top to bottom.",
            ),
            ParamSpec(
                "harmonize",
                "float",
                default=0.3,
                min=0,
                max=1,
                label="Match colours",
                help="How far the subject's colours move towards the background's.",
            ),
            ParamSpec(
                "light", "enum", default="auto", choices=background.LIGHTS, label="Light from"
            ),
            ParamSpec(
                "light_strength", "float", default=0.25, min=0, max=1, label="Light strength"
            ),
            _REFINE,
            _FEATHER,
        ),
        requires_image=True,
        max_input_pixels=MAX_INPUT_PIXELS,
        output_formats=_IMAGE_FORMATS,
        notes="Upload the background image as the 'background' extra image.",
    ),
    ModelSpec(
        id="recolor",
        label="Recolour area",
        capabilities=frozenset({Capability.RECOLOR}),
        params=(
            ParamSpec("color", "str", required=True, max=9, label="Target colour"),
            ParamSpec("strength", "float", default=1.0, min=0, max=1, label="Strength"),
            ParamSpec(
                "lightness",
                "float",
                default=0.0,
                min=0,
                max=1,
                label="Match lightness",
                help="0 keeps the original shading exactly.",
            ),
        ),
        requires_image=True,
        requires_mask=True,
        max_input_pixels=MAX_INPUT_PIXELS,
        output_formats=_IMAGE_FORMATS,
    ),
    ModelSpec(
        id="focal-point",
        label="Focal point",
        capabilities=frozenset({Capability.FOCAL_POINT}),
        params=(
            ParamSpec("detect_faces", "bool", default=True, label="Look for faces"),
            ParamSpec(
                "min_face_score", "float", default=0.9, min=0.5, max=1, label="Face confidence"
            ),
        ),
        requires_image=True,
        max_input_pixels=MAX_INPUT_PIXELS,
        output_formats=(),
    ),
)


@dataclass
class _Hooks:
    progress: Callable[[int, str], None] | None = None
    cancel: Callable[[], bool] | None = None

    def check(self) -> None:
        if self.cancel and self.cancel():
            raise Canceled("The operation was cancelled.", provider="local")


class LocalEngine:
    """Offline, CPU-only operations. Always configured."""

    name = "local"
    label = "Local engine (offline)"

    def __init__(self) -> None:
        self._handlers: dict[
            Capability, Callable[[ProviderRequest, dict, _Hooks], ProviderResult]
        ] = {
            Capability.RESIZE: self._resize,
            Capability.CROP: self._crop,
            Capability.FILTER: self._filter,
            Capability.CONVERT: self._convert,
            Capability.PALETTE: self._palette,
            Capability.REMOVE_BACKGROUND: self._remove_background,
            Capability.UPSCALE_FAST: self._upscale_fast,
            Capability.UPSCALE_HQ: self._upscale_hq,
            Capability.ERASE: self._erase,
            Capability.INPAINT: self._erase,
            Capability.OUTPAINT: self._outpaint,
            Capability.REPLACE_BACKGROUND: self._replace_background,
            Capability.RECOLOR: self._recolor,
            Capability.FOCAL_POINT: self._focal_point,
            Capability.SOCIAL_PACK: lambda request, params, hooks: social.run_social_pack(
                request, params, progress=hooks.progress
            ),
        }

    def is_configured(self) -> bool:
        return True

    def models(self) -> list[ModelSpec]:
        return [*TOOL_MODELS, *AI_MODELS, social.SOCIAL_MODEL]

    def unavailable_reason(self, model_id: str) -> str:
        """Return why ``model_id`` cannot run here (an install hint), or ``""`` if it can."""
        checks = {
            "remove-background": (matting.is_available, matting.INSTALL_HINT),
            "replace-background": (matting.is_available, matting.INSTALL_HINT),
            "upscale-fast": (upscale.fast_available, upscale.FAST_INSTALL_HINT),
            "upscale-hq": (upscale.hq_available, upscale.HQ_INSTALL_HINT),
        }
        check = checks.get(model_id)
        if check and not check[0]():
            return check[1]
        return ""

    def model(self, model_id: str) -> ModelSpec:
        for spec in self.models():
            if spec.id == model_id:
                return spec
        raise InvalidInput(f"The local engine has no model {model_id!r}.")

    def model_for(self, capability: Capability) -> ModelSpec:
        for spec in self.models():
            if capability in spec.capabilities:
                return spec
        raise InvalidInput(f"The local engine cannot do {capability.value.replace('_', ' ')}.")

    def run(self, request, *, progress=None, cancel=None) -> ProviderResult:
        spec = self.model(request.model) if request.model else self.model_for(request.capability)
        params = validate_request(spec, request)
        handler = self._handlers.get(request.capability)
        if handler is None:
            raise InvalidInput(f"The local engine cannot do {request.capability.value}.")
        if progress:
            progress(10, f"{spec.label}…")
        hooks = _Hooks(progress=progress, cancel=cancel)
        hooks.check()
        result = handler(request, params, hooks)
        result.model = spec.id
        return result

    # ------------------------------------------------------------------ helpers

    def _image_result(
        self,
        img: Image.Image,
        *,
        source: Image.Image,
        fmt: str = "",
        quality: int = 92,
        keep_metadata: bool = True,
        meta: dict | None = None,
    ) -> ProviderResult:
        fmt = imaging.output_format_for(source if not fmt else img, fmt)
        data = imaging.encode(img, fmt, quality=quality, keep_metadata=keep_metadata, source=source)
        out = ProviderOutput(
            content_type=imaging.FORMAT_CONTENT_TYPES[fmt],
            data=data,
            width=img.width,
            height=img.height,
            extension=imaging.FORMAT_EXTENSIONS[fmt],
        )
        return ProviderResult(provider=self.name, model="", outputs=[out], meta=meta or {})

    def _resize(self, request: ProviderRequest, params: dict, hooks: _Hooks) -> ProviderResult:
        src = imaging.open_image(request.image or b"")
        out = tools.resize(
            src, width=params.get("width"), height=params.get("height"), mode=params["mode"]
        )
        return self._image_result(out, source=src)

    def _crop(self, request: ProviderRequest, params: dict, hooks: _Hooks) -> ProviderResult:
        src = imaging.open_image(request.image or b"")
        out = tools.crop(
            src, x=params["x"], y=params["y"], width=params["width"], height=params["height"]
        )
        return self._image_result(out, source=src)

    def _filter(self, request: ProviderRequest, params: dict, hooks: _Hooks) -> ProviderResult:
        src = imaging.open_image(request.image or b"")
        out = tools.apply_filter(src, name=params["name"], amount=params["amount"])
        return self._image_result(out, source=src)

    def _convert(self, request: ProviderRequest, params: dict, hooks: _Hooks) -> ProviderResult:
        src = imaging.open_image(request.image or b"")
        return self._image_result(
            src,
            source=src,
            fmt=params["format"],
            quality=params["quality"],
            keep_metadata=params["keep_metadata"],
        )

    def _palette(self, request: ProviderRequest, params: dict, hooks: _Hooks) -> ProviderResult:
        src = imaging.open_image(request.image or b"")
        colours = tools.palette(src, count=params["count"], mode=params["mode"])
        return ProviderResult(
            provider=self.name, model="", meta={"palette": colours, "palette_mode": params["mode"]}
        )

    # ------------------------------------------------------------------ offline models

    def _open(self, request: ProviderRequest) -> Image.Image:
        """Decode the request's image, refusing one over ``MAX_INPUT_PIXELS``."""
        src = imaging.open_image(request.image or b"")
        max_pixels = MAX_INPUT_PIXELS
        if src.width * src.height > max_pixels:
            raise InvalidInput(
                f"The image is {src.width}×{src.height} px; this operation takes up to "
                f"{max_pixels / 1_000_000:g} MP."
            )
        return src

    def _remove_background(
        self, request: ProviderRequest, params: dict, hooks: _Hooks
    ) -> ProviderResult:
        src = self._open(request)
        out = matting.remove_background(
            src, refine=params["refine"], feather=params["feather"], output=params["output"]
        )
        alpha = out.getchannel("A") if out.mode == "RGBA" else out
        coverage = float(np.asarray(alpha, dtype=np.uint8).mean()) / 255.0
        return self._image_result(
            out,
            source=src,
            fmt=request.output_format,
            meta={"output": params["output"], "subject_coverage": round(coverage, 4)},
        )

    def _upscale_fast(
        self, request: ProviderRequest, params: dict, hooks: _Hooks
    ) -> ProviderResult:
        src = self._open(request)
        width = params.get("width") or request.width
        height = params.get("height") or request.height
        out = upscale.upscale_fast(src, scale=int(params["scale"]), width=width, height=height)
        return self._image_result(
            out,
            source=src,
            fmt=request.output_format,
            meta={
                "scale": int(params["scale"]),
                "method": "fsrcnn-x2-backprojection",
                "exact_size": bool(width or height),
            },
        )

    def _upscale_hq(self, request: ProviderRequest, params: dict, hooks: _Hooks) -> ProviderResult:
        if not upscale.hq_available():
            raise ProviderUnavailable(upscale.HQ_INSTALL_HINT, provider=self.name)
        src = self._open(request)  # upscale_hq explains its own, smaller limit
        out = upscale.upscale_hq(src, progress=hooks.progress, cancel=hooks.cancel)
        return self._image_result(
            out,
            source=src,
            fmt=request.output_format,
            meta={"scale": 4, "method": "realesrgan-x4plus"},
        )

    def _erase(self, request: ProviderRequest, params: dict, hooks: _Hooks) -> ProviderResult:
        src = self._open(request)
        rgb, alpha = arrays.split_rgb_alpha(src)
        mask = arrays.load_mask(request.mask, src.size)
        out, meta = inpaint.fill(rgb, mask, method=params["method"])
        return self._image_result(
            arrays.join_rgb_alpha(out, alpha), source=src, fmt=request.output_format, meta=meta
        )

    def _outpaint(self, request: ProviderRequest, params: dict, hooks: _Hooks) -> ProviderResult:
        src = self._open(request)
        rgb, alpha = arrays.split_rgb_alpha(src)
        out, new_alpha, meta = inpaint.outpaint(
            rgb,
            alpha,
            left=params["left"],
            right=params["right"],
            up=params["up"],
            down=params["down"],
            method=params["method"],
        )
        return self._image_result(
            arrays.join_rgb_alpha(out, new_alpha), source=src, fmt=request.output_format, meta=meta
        )

    def _replace_background(
        self, request: ProviderRequest, params: dict, hooks: _Hooks
    ) -> ProviderResult:
        src = self._open(request)
        out, meta = background.replace_background(
            src,
            kind=params["background"],
            color=params["color"],
            color2=params["color2"],
            angle=params["angle"],
            image=request.extra_images.get("background")
            or request.extra_images.get("background_reference"),
            harmonize_strength=params["harmonize"],
            light=params["light"],
            light_strength=params["light_strength"],
            refine=params["refine"],
            feather=params["feather"],
        )
        return self._image_result(out, source=src, fmt=request.output_format, meta=meta)

    def _recolor(self, request: ProviderRequest, params: dict, hooks: _Hooks) -> ProviderResult:
        src = self._open(request)
        rgb, alpha = arrays.split_rgb_alpha(src)
        mask = arrays.load_mask(request.mask, src.size)
        out, meta = recolor.recolor(
            rgb,
            mask,
            color=params["color"],
            strength=params["strength"],
            lightness=params["lightness"],
        )
        return self._image_result(
            arrays.join_rgb_alpha(out, alpha), source=src, fmt=request.output_format, meta=meta
        )

    def _focal_point(self, request: ProviderRequest, params: dict, hooks: _Hooks) -> ProviderResult:
        src = self._open(request)
        meta = focal.focal_point(
            src, detect_faces=params["detect_faces"], min_face_score=params["min_face_score"]
        )
        # Text regions too, when the detector is installed: social crops check them
        # against each platform's safe zone.
        if text_detect.is_available():
            meta["text_boxes"] = text_detect.detect_text(src)
        return ProviderResult(provider=self.name, model="", meta=meta)
