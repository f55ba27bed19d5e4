"""The local engine as an :class:`~providers.base.ImageProvider`.

Each operation is one "model" whose params are declared as data, so forms and
``validate_request`` know exactly what it takes.
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image

from ..base import (
    Capability,
    InvalidInput,
    ModelSpec,
    ParamSpec,
    ProviderOutput,
    ProviderRequest,
    ProviderResult,
    Quality,
    validate_request,
)
from . import imaging, tools

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
            ParamSpec("mode", "enum", default="dominant", choices=tools.PALETTE_MODES, label="Mode"),
        ),
        requires_image=True,
        output_formats=(),
    ),
)


class LocalEngine:
    """Offline, CPU-only operations. Always configured."""

    name = "local"
    label = "Local engine (offline)"

    def __init__(self) -> None:
        self._handlers: dict[Capability, Callable[[ProviderRequest, dict], ProviderResult]] = {
            Capability.RESIZE: self._resize,
            Capability.CROP: self._crop,
            Capability.FILTER: self._filter,
            Capability.CONVERT: self._convert,
            Capability.PALETTE: self._palette,
        }

    def is_configured(self) -> bool:
        return True

    def models(self) -> list[ModelSpec]:
        return list(TOOL_MODELS)

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
        result = handler(request, params)
        result.model = spec.id
        return result

    # ------------------------------------------------------------------ helpers

    def _image_result(
        self, img: Image.Image, *, source: Image.Image, fmt: str = "", quality: int = 92,
        keep_metadata: bool = True, meta: dict | None = None,
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

    def _resize(self, request: ProviderRequest, params: dict) -> ProviderResult:
        src = imaging.open_image(request.image or b"")
        out = tools.resize(
            src, width=params.get("width"), height=params.get("height"), mode=params["mode"]
        )
        return self._image_result(out, source=src)

    def _crop(self, request: ProviderRequest, params: dict) -> ProviderResult:
        src = imaging.open_image(request.image or b"")
        out = tools.crop(src, x=params["x"], y=params["y"], width=params["width"], height=params["height"])
        return self._image_result(out, source=src)

    def _filter(self, request: ProviderRequest, params: dict) -> ProviderResult:
        src = imaging.open_image(request.image or b"")
        out = tools.apply_filter(src, name=params["name"], amount=params["amount"])
        return self._image_result(out, source=src)

    def _convert(self, request: ProviderRequest, params: dict) -> ProviderResult:
        src = imaging.open_image(request.image or b"")
        return self._image_result(
            src,
            source=src,
            fmt=params["format"],
            quality=params["quality"],
            keep_metadata=params["keep_metadata"],
        )

    def _palette(self, request: ProviderRequest, params: dict) -> ProviderResult:
        src = imaging.open_image(request.image or b"")
        colours = tools.palette(src, count=params["count"], mode=params["mode"])
        return ProviderResult(
            provider=self.name, model="", meta={"palette": colours, "palette_mode": params["mode"]}
        )
