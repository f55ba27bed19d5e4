"""Stability AI REST v2beta: generate, edit, upscale, control and 3D.

Every POST is multipart/form-data, text fields included (sent as parts without a file
name), because the API rejects urlencoded bodies. Results arrive either as raw image bytes
(``accept: image/*``) or as JSON with base64 (``accept: application/json``); both are
supported. Creative upscale and replace-background-and-relight are asynchronous: the POST
returns an id that is polled at ``GET /v2beta/results/{id}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from .base import (
    Capability,
    ContentFiltered,
    InvalidInput,
    ModelSpec,
    ParamSpec,
    ProviderError,
    ProviderOutput,
    ProviderRequest,
    ProviderResult,
    Quality,
)
from .http.errors import response_json, vendor_message
from .http.media import (
    InputLimits,
    b64decode,
    check_input_image,
    extension_for,
    image_output,
    nearest_aspect_ratio,
    sniff_content_type,
)
from .http.remote import Call, RemoteProvider

ASPECT_RATIOS = ("21:9", "16:9", "3:2", "5:4", "1:1", "4:5", "2:3", "9:16", "9:21")
FORMATS = ("png", "jpeg", "webp")
STYLE_PRESETS = (
    "enhance",
    "anime",
    "photographic",
    "digital-art",
    "comic-book",
    "fantasy-art",
    "line-art",
    "analog-film",
    "neon-punk",
    "isometric",
    "low-poly",
    "origami",
    "modeling-compound",
    "cinematic",
    "3d-model",
    "pixel-art",
    "tile-texture",
)
SD3_MODELS = ("sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium", "sd3.5-flash")
MAX_BODY = 10 * 1024 * 1024
EDIT_PIXELS = (4_096, 9_437_184)


def _style() -> ParamSpec:
    return ParamSpec("style_preset", "enum", choices=STYLE_PRESETS, label="Style preset")


def _num(
    name: str, default: float | None, low: float, high: float, label: str, kind: str = "float"
) -> ParamSpec:
    return ParamSpec(name, kind, default=default, min=low, max=high, label=label)


@dataclass(frozen=True)
class _Route:
    path: str
    mode: str = "sync"  # "sync" | "async" | "3d"
    image_field: str = "image"
    aspect: bool = False  # sends aspect_ratio
    limits: InputLimits | None = None
    extra: tuple[tuple[str, InputLimits], ...] = ()  # other image parts taken from extra_images


_EDIT = InputLimits(
    min_side=64, min_pixels=EDIT_PIXELS[0], max_pixels=EDIT_PIXELS[1], max_bytes=MAX_BODY
)
_EDIT_AR = InputLimits(
    min_pixels=EDIT_PIXELS[0], max_pixels=EDIT_PIXELS[1], max_aspect=2.5, max_bytes=MAX_BODY
)
_CONTROL = InputLimits(
    min_side=64,
    min_pixels=EDIT_PIXELS[0],
    max_pixels=EDIT_PIXELS[1],
    max_aspect=2.5,
    max_bytes=MAX_BODY,
)

ROUTES: dict[str, _Route] = {
    "core": _Route("/v2beta/stable-image/generate/core", aspect=True),
    "ultra": _Route(
        "/v2beta/stable-image/generate/ultra",
        aspect=True,
        limits=InputLimits(min_side=64, max_side=16_384, min_pixels=4_096, max_bytes=MAX_BODY),
    ),
    **{
        model: _Route(
            "/v2beta/stable-image/generate/sd3",
            aspect=True,
            limits=InputLimits(min_side=64, max_bytes=MAX_BODY),
        )
        for model in SD3_MODELS
    },
    "erase": _Route("/v2beta/stable-image/edit/erase", limits=_EDIT),
    "inpaint": _Route("/v2beta/stable-image/edit/inpaint", limits=_EDIT),
    "outpaint": _Route("/v2beta/stable-image/edit/outpaint", limits=_EDIT_AR),
    "search-and-replace": _Route("/v2beta/stable-image/edit/search-and-replace", limits=_EDIT_AR),
    "search-and-recolor": _Route("/v2beta/stable-image/edit/search-and-recolor", limits=_EDIT_AR),
    "remove-background": _Route(
        "/v2beta/stable-image/edit/remove-background",
        limits=InputLimits(min_pixels=4_096, max_pixels=4_194_304, max_bytes=MAX_BODY),
    ),
    "replace-background-and-relight": _Route(
        "/v2beta/stable-image/edit/replace-background-and-relight",
        mode="async",
        image_field="subject_image",
        limits=_EDIT_AR,
        extra=(
            ("background_reference", InputLimits(min_pixels=4_096, max_pixels=EDIT_PIXELS[1])),
            ("light_reference", InputLimits(min_pixels=4_096, max_pixels=EDIT_PIXELS[1])),
        ),
    ),
    "upscale-fast": _Route(
        "/v2beta/stable-image/upscale/fast",
        limits=InputLimits(
            min_side=32, max_side=1_536, min_pixels=1_024, max_pixels=1_048_576, max_bytes=MAX_BODY
        ),
    ),
    "upscale-conservative": _Route("/v2beta/stable-image/upscale/conservative", limits=_CONTROL),
    "upscale-creative": _Route(
        "/v2beta/stable-image/upscale/creative",
        mode="async",
        limits=InputLimits(min_side=64, min_pixels=4_096, max_pixels=1_048_576, max_bytes=MAX_BODY),
    ),
    "control-sketch": _Route(
        "/v2beta/stable-image/control/sketch",
        limits=InputLimits(
            min_side=64, max_pixels=EDIT_PIXELS[1], max_aspect=2.5, max_bytes=MAX_BODY
        ),
    ),
    "control-structure": _Route("/v2beta/stable-image/control/structure", limits=_CONTROL),
    "control-style": _Route("/v2beta/stable-image/control/style", aspect=True, limits=_CONTROL),
    "style-transfer": _Route(
        "/v2beta/stable-image/control/style-transfer",
        image_field="init_image",
        limits=InputLimits(
            min_side=64,
            max_side=16_383,
            min_pixels=4_096,
            max_pixels=EDIT_PIXELS[1],
            max_aspect=2.5,
            max_bytes=MAX_BODY,
        ),
        extra=(
            (
                "style_image",
                InputLimits(
                    min_side=64, max_side=16_383, min_pixels=4_096, max_pixels=EDIT_PIXELS[1]
                ),
            ),
        ),
    ),
    "stable-fast-3d": _Route(
        "/v2beta/3d/stable-fast-3d",
        mode="3d",
        limits=InputLimits(min_side=64, min_pixels=4_096, max_pixels=4_194_304, max_bytes=MAX_BODY),
    ),
}


def _spec(
    model_id: str,
    label: str,
    capabilities: set[Capability],
    price: float,
    *,
    params: tuple[ParamSpec, ...] = (),
    quality: Quality = Quality.STANDARD,
    formats: tuple[str, ...] = FORMATS,
    negative: bool = True,
    seed: bool = True,
    prompt: bool = False,
    image: bool = True,
    aspect: bool = False,
    notes: str = "",
) -> ModelSpec:
    limits = ROUTES[model_id].limits
    return ModelSpec(
        id=model_id,
        label=label,
        capabilities=frozenset(capabilities),
        params=params,
        quality=quality,
        aspect_ratios=ASPECT_RATIOS if aspect else (),
        min_input_pixels=limits.min_pixels if limits else None,
        max_input_pixels=limits.max_pixels if limits else None,
        output_formats=formats,
        accepts_negative_prompt=negative,
        accepts_seed=seed,
        requires_prompt=prompt,
        requires_image=image,
        unit_price=price,
        notes=notes,
    )


def _sd3(
    model_id: str, label: str, price: float, quality: Quality, cfg_default: float
) -> ModelSpec:
    return _spec(
        model_id,
        label,
        {Capability.TEXT_TO_IMAGE, Capability.IMAGE_TO_IMAGE},
        price,
        quality=quality,
        prompt=True,
        image=False,
        aspect=True,
        params=(
            _num("cfg_scale", cfg_default, 1, 10, "Prompt strength (CFG)"),
            _num("strength", None, 0, 1, "Image strength"),
            _style(),
        ),
        notes="About 1 megapixel; image-to-image needs an image and a strength.",
    )


MODELS: tuple[ModelSpec, ...] = (
    _spec(
        "core",
        "Core",
        {Capability.TEXT_TO_IMAGE},
        3,
        prompt=True,
        image=False,
        aspect=True,
        params=(_style(),),
        notes="About 1.5 megapixels.",
    ),
    _spec(
        "ultra",
        "Ultra",
        {Capability.TEXT_TO_IMAGE, Capability.IMAGE_TO_IMAGE},
        8,
        quality=Quality.PREMIUM,
        prompt=True,
        image=False,
        aspect=True,
        params=(_num("strength", None, 0, 1, "Image strength"), _style()),
        notes="About 1 megapixel; image-to-image needs an image and a strength.",
    ),
    _sd3("sd3.5-large", "SD 3.5 Large", 6.5, Quality.STANDARD, 4.0),
    _sd3("sd3.5-large-turbo", "SD 3.5 Large Turbo", 4, Quality.DRAFT, 1.0),
    _sd3("sd3.5-medium", "SD 3.5 Medium", 3.5, Quality.STANDARD, 4.0),
    _sd3("sd3.5-flash", "SD 3.5 Flash", 2.5, Quality.DRAFT, 1.0),
    _spec(
        "erase",
        "Erase",
        {Capability.ERASE},
        5,
        negative=False,
        params=(_num("grow_mask", 5, 0, 20, "Grow mask", "int"),),
        notes="Without a mask the image's alpha channel marks the area to erase.",
    ),
    _spec(
        "inpaint",
        "Inpaint",
        {Capability.INPAINT},
        5,
        prompt=True,
        params=(_num("grow_mask", 5, 0, 100, "Grow mask", "int"), _style()),
    ),
    _spec(
        "outpaint",
        "Outpaint",
        {Capability.OUTPAINT},
        4,
        negative=False,
        params=(
            _num("left", 0, 0, 2000, "Left", "int"),
            _num("right", 0, 0, 2000, "Right", "int"),
            _num("up", 0, 0, 2000, "Up", "int"),
            _num("down", 0, 0, 2000, "Down", "int"),
            _num("creativity", 0.5, 0, 1, "Creativity"),
            _style(),
        ),
    ),
    _spec(
        "search-and-replace",
        "Search and replace",
        {Capability.SEARCH_REPLACE},
        5,
        prompt=True,
        params=(
            ParamSpec("search_prompt", "str", required=True, max=10_000, label="Find"),
            _num("grow_mask", 3, 0, 20, "Grow mask", "int"),
            _style(),
        ),
    ),
    _spec(
        "search-and-recolor",
        "Search and recolor",
        {Capability.SEARCH_RECOLOR, Capability.RECOLOR},
        5,
        prompt=True,
        params=(
            ParamSpec("select_prompt", "str", required=True, max=10_000, label="Select"),
            _num("grow_mask", 3, 0, 20, "Grow mask", "int"),
            _style(),
        ),
    ),
    _spec(
        "remove-background",
        "Remove background",
        {Capability.REMOVE_BACKGROUND},
        5,
        formats=("png", "webp"),
        negative=False,
        seed=False,
    ),
    _spec(
        "replace-background-and-relight",
        "Replace background and relight",
        {Capability.REPLACE_BACKGROUND},
        8,
        params=(
            ParamSpec("background_prompt", "str", max=10_000, label="Background"),
            ParamSpec("foreground_prompt", "str", max=10_000, label="Subject description"),
            _num("preserve_original_subject", 0.6, 0, 1, "Preserve subject"),
            _num("original_background_depth", 0.5, 0, 1, "Background depth"),
            ParamSpec(
                "keep_original_background",
                "enum",
                default="false",
                choices=("true", "false"),
                label="Keep original background",
            ),
            ParamSpec(
                "light_source_direction",
                "enum",
                choices=("left", "right", "above", "below"),
                label="Light direction",
            ),
            _num("light_source_strength", None, 0, 1, "Light strength"),
        ),
        notes="Asynchronous. Background from a prompt (or the prompt field) or a "
        "background_reference image; optional light_reference image.",
    ),
    _spec(
        "upscale-fast",
        "Fast upscale ×4",
        {Capability.UPSCALE_FAST},
        2,
        negative=False,
        seed=False,
        notes="Four times the input, at most 16 megapixels.",
    ),
    _spec(
        "upscale-conservative",
        "Conservative upscale",
        {Capability.UPSCALE_CONSERVATIVE, Capability.UPSCALE_HQ},
        40,
        quality=Quality.PREMIUM,
        prompt=True,
        params=(_num("creativity", 0.35, 0.2, 0.5, "Creativity"),),
        notes="Up to 4 megapixels with minimal changes.",
    ),
    _spec(
        "upscale-creative",
        "Creative upscale",
        {Capability.UPSCALE_CREATIVE},
        60,
        quality=Quality.PREMIUM,
        prompt=True,
        params=(_num("creativity", 0.3, 0.1, 0.5, "Creativity"), _style()),
        notes="Asynchronous; up to 4K.",
    ),
    _spec(
        "control-sketch",
        "Sketch to image",
        {Capability.CONTROL_SKETCH},
        5,
        prompt=True,
        params=(_num("control_strength", 0.7, 0, 1, "Control strength"), _style()),
    ),
    _spec(
        "control-structure",
        "Structure to image",
        {Capability.CONTROL_STRUCTURE},
        5,
        prompt=True,
        params=(_num("control_strength", 0.7, 0, 1, "Control strength"), _style()),
    ),
    _spec(
        "control-style",
        "Style guide",
        {Capability.CONTROL_STYLE},
        5,
        prompt=True,
        aspect=True,
        params=(_num("fidelity", 0.5, 0, 1, "Fidelity"), _style()),
    ),
    _spec(
        "style-transfer",
        "Style transfer",
        {Capability.STYLE_TRANSFER},
        8,
        params=(
            _num("style_strength", 1, 0, 1, "Style strength"),
            _num("composition_fidelity", 0.9, 0, 1, "Composition fidelity"),
            _num("change_strength", 0.9, 0.1, 1, "Change strength"),
        ),
        notes="The style comes from extra_images['style_image'].",
    ),
    _spec(
        "stable-fast-3d",
        "Stable Fast 3D",
        {Capability.IMAGE_TO_3D},
        10,
        formats=(),
        negative=False,
        seed=False,
        params=(
            ParamSpec(
                "texture_resolution",
                "enum",
                default="1024",
                choices=("512", "1024", "2048"),
                label="Texture resolution",
            ),
            _num("foreground_ratio", 0.85, 0.1, 1, "Foreground ratio"),
            ParamSpec(
                "remesh",
                "enum",
                default="none",
                choices=("none", "triangle", "quad"),
                label="Remesh",
            ),
            _num("vertex_count", -1, -1, 20_000, "Vertex count", "int"),
        ),
        notes="Returns a GLB file.",
    ),
)

_MASK_MODELS = frozenset({"erase", "inpaint"})
# Routes whose schema has no ``prompt`` field (relight takes it as ``background_prompt``).
_NO_PROMPT_FIELD = frozenset(
    {
        "erase",
        "remove-background",
        "replace-background-and-relight",
        "upscale-fast",
        "stable-fast-3d",
    }
)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(value, "g")
    return str(value)


def multipart(fields: dict[str, Any], files: dict[str, bytes]) -> list[tuple[str, tuple[Any, ...]]]:
    """httpx ``files=`` entries: text fields as name-only parts, then the binary parts."""
    parts: list[tuple[str, tuple[Any, ...]]] = [
        (name, (None, _text(value))) for name, value in fields.items() if value not in (None, "")
    ]
    for name, data in files.items():
        ctype = sniff_content_type(data)
        parts.append((name, (f"{name}.{extension_for(ctype)}", data, ctype)))
    return parts


class StabilityProvider(RemoteProvider):
    name = "stability"
    label = "Stability AI"
    short_label = "Stability"
    default_base = "https://api.stability.ai"
    price_unit = "credits"
    usd_per_unit = 0.01  # commonly quoted rate of one credit; indicative only
    seed_range = (0, 4_294_967_294)

    #: Stability asks clients not to poll results more often than every 10 seconds.
    poll_interval = 10.0
    poll_timeout = 600.0

    def __init__(
        self, api_key: str = "", base_url: str = "", *, accept: str = "image/*", **kwargs: Any
    ) -> None:
        if accept not in ("image/*", "application/json"):
            raise ValueError("accept must be 'image/*' or 'application/json'")
        self.accept = accept
        super().__init__(api_key, base_url, **kwargs)

    MODELS = MODELS

    def accepts_mask(self, spec: ModelSpec) -> bool:
        return spec.id in _MASK_MODELS

    # ------------------------------------------------------------------ checks

    def prepare(
        self, spec: ModelSpec, request: ProviderRequest, params: dict[str, Any]
    ) -> dict[str, Any]:
        route = ROUTES[spec.id]
        if request.image is not None and route.limits is not None:
            check_input_image(request.image, route.limits)
        if request.mask is not None:
            check_input_image(request.mask, InputLimits(max_bytes=MAX_BODY), label="The mask")
        for key, limits in route.extra:
            if key in request.extra_images:
                check_input_image(
                    request.extra_images[key], limits, label=f"The {key.replace('_', ' ')}"
                )
        unknown_extra = set(request.extra_images) - {k for k, _ in route.extra}
        if unknown_extra:
            raise InvalidInput(f"{spec.label} does not take: {', '.join(sorted(unknown_extra))}.")

        if spec.id in SD3_MODELS or spec.id == "ultra":
            if request.capability == Capability.IMAGE_TO_IMAGE:
                if request.image is None:
                    raise InvalidInput("Image-to-image needs an input image.")
                if "strength" not in params:
                    raise InvalidInput("Image-to-image needs a strength between 0 and 1.")
            else:
                params.pop("strength", None)
        if spec.id == "outpaint" and not any(params[s] for s in ("left", "right", "up", "down")):
            raise InvalidInput("Outpaint needs at least one side to extend.")
        if spec.id == "replace-background-and-relight":
            if not params.get("background_prompt") and request.prompt.strip():
                params["background_prompt"] = request.prompt.strip()
            if (
                not params.get("background_prompt")
                and "background_reference" not in request.extra_images
            ):
                raise InvalidInput(
                    "Describe the new background or give a background reference image."
                )
            if "light_source_strength" in params and not (
                params.get("light_source_direction") or "light_reference" in request.extra_images
            ):
                raise InvalidInput(
                    "Light strength needs a light direction or a light reference image."
                )
        if spec.id == "style-transfer" and "style_image" not in request.extra_images:
            raise InvalidInput("Style transfer needs a style image.")
        return params

    # ------------------------------------------------------------------ request building

    def _fields(
        self, spec: ModelSpec, request: ProviderRequest, params: dict[str, Any]
    ) -> dict[str, Any]:
        route = ROUTES[spec.id]
        fields: dict[str, Any] = {}
        if request.prompt and spec.id not in _NO_PROMPT_FIELD:
            fields["prompt"] = request.prompt
        if request.negative_prompt:
            fields["negative_prompt"] = request.negative_prompt
        if spec.id in SD3_MODELS:
            fields["model"] = spec.id
            fields["mode"] = (
                "image-to-image"
                if request.capability == Capability.IMAGE_TO_IMAGE
                else "text-to-image"
            )
        image_mode = request.capability == Capability.IMAGE_TO_IMAGE
        if route.aspect and not image_mode:
            ratio = request.aspect_ratio
            if not ratio and request.width and request.height:
                ratio = nearest_aspect_ratio(request.width, request.height, ASPECT_RATIOS)
            if ratio:
                fields["aspect_ratio"] = ratio
        if request.seed is not None:
            fields["seed"] = request.seed
        if spec.output_formats:
            fields["output_format"] = request.output_format
        fields.update(params)
        return fields

    def _files(self, spec: ModelSpec, request: ProviderRequest) -> dict[str, bytes]:
        route = ROUTES[spec.id]
        files: dict[str, bytes] = {}
        if request.image is not None and (
            spec.requires_image or request.capability == Capability.IMAGE_TO_IMAGE
        ):
            files[route.image_field] = request.image
        if request.mask is not None:
            files["mask"] = request.mask
        for key, _ in route.extra:
            if key in request.extra_images:
                files[key] = request.extra_images[key]
        return files

    # ------------------------------------------------------------------ calls

    def _call(self, call: Call) -> ProviderResult:
        spec, request = call.spec, call.request
        route = ROUTES[spec.id]
        parts = multipart(self._fields(spec, request, call.params), self._files(spec, request))
        if route.mode == "3d":
            with self.http.stream(
                "POST", route.path, files=parts, headers={"accept": "*/*"}
            ) as response:
                # The server's Content-Type stands (sniffed when it sends none): a mesh
                # format other than GLB must not be stored as a .glb file.
                output = self.http.spool_response(response)
            output.meta["request_id"] = response.headers.get("x-request-id", "")
            return call.result([output])
        if route.mode == "async":
            submitted = self.http.request(
                "POST", route.path, files=parts, headers={"accept": "application/json"}
            )
            job_id = (response_json(submitted) or {}).get("id")
            if not job_id:
                raise ProviderError(f"{self.label} did not return a job id.", provider=self.name)
            output = self.poll(
                call,
                lambda: self._fetch_result(job_id),
                interval=self.poll_interval,
                timeout=self.poll_timeout,
            )
            output.meta["job_id"] = job_id
            return call.result([output], job_id=job_id)
        response = self.http.request(
            "POST", route.path, files=parts, headers={"accept": self.accept}
        )
        return call.result([self._decode(response)])

    def _fetch_result(self, job_id: str) -> ProviderOutput | None:
        response = self.http.request(
            "GET",
            f"/v2beta/results/{job_id}",
            headers={"accept": "application/json" if self.accept == "application/json" else "*/*"},
            ok=lambda r: r.status_code in (200, 202),
        )
        if response.status_code == 202:
            return None
        return self._decode(response)

    def _decode(self, response: httpx.Response) -> ProviderOutput:
        ctype = response.headers.get("content-type", "")
        if ctype.startswith("application/json"):
            body = response_json(response) or {}
            if "image" not in body:
                raise ProviderError(f"{self.label} returned no image.", provider=self.name)
            finish = str(body.get("finish_reason") or "")
            seed = body.get("seed")
            image_type = ""
            for piece in ctype.split(";")[1:]:
                key, _, value = piece.strip().partition("=")
                if key == "type":
                    image_type = value
            data = b64decode(str(body["image"]), label=self.label)
        else:
            finish = response.headers.get("finish-reason", "")
            seed = response.headers.get("seed")
            image_type = ctype.split(";")[0]
            data = response.content
        if finish == "CONTENT_FILTERED":
            raise ContentFiltered(
                f"{self.label} filtered the result for content reasons.",
                provider=self.name,
                status=200,
            )
        if finish and finish != "SUCCESS":
            raise ProviderError(f"{self.label} finished with {finish}.", provider=self.name)
        return image_output(
            data,
            content_type=image_type,
            seed=int(seed) if seed not in (None, "") else None,
            meta={
                "finish_reason": finish or "SUCCESS",
                "request_id": response.headers.get("x-request-id", ""),
            },
        )

    # ------------------------------------------------------------------ account

    def balance(self) -> float:
        """Remaining credits on the account."""
        response = self.http.request(
            "GET", "/v1/user/balance", headers={"accept": "application/json"}
        )
        body = response_json(response) or {}
        try:
            return float(body["credits"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderError(
                f"{self.label} returned an unreadable balance.", provider=self.name
            ) from exc

    def map_error(self, response: httpx.Response, retry_after: float | None) -> ProviderError:
        body = response_json(response)
        name = body.get("name", "") if isinstance(body, dict) else ""
        message = vendor_message(response)
        status = response.status_code
        if (status, name) in ((403, "content_moderation"), (422, "public_figure")):
            return self._error(
                ContentFiltered,
                f"{self.label} refused the request for content reasons: {message}",
                status=status,
            )
        if status == 404 and name == "generation_not_found":
            return self._error(
                InvalidInput,
                f"{self.label} no longer has this result (expired or unknown).",
                status=status,
            )
        if status == 429 and retry_after is None:
            retry_after = 60.0  # the documented penalty after exceeding the rate limit
        return super().map_error(response, retry_after)
