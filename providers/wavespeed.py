"""WaveSpeed AI API v3: Ideogram, Qwen Image, WAN 2.5 image-to-video and InfiniteTalk.

Every call is a task: ``POST /{model-id}`` answers an envelope
``{"code": 200, "message": ..., "data": {"id", "status", "outputs", ...}}`` and the task is
polled at ``GET /predictions/{id}/result`` until ``completed`` or ``failed``. Image models
ask for sync mode first and fall back to polling when the server gives up waiting. Inputs
go inline as ``data:`` URIs, or through ``POST /media/upload/binary`` when they are large.
Output URLs are downloaded without credentials.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from .base import (
    Canceled,
    Capability,
    ContentFiltered,
    InsufficientProviderBalance,
    InvalidInput,
    ModelSpec,
    ParamSpec,
    ProviderError,
    ProviderOutput,
    ProviderRequest,
    ProviderResult,
    ProviderTimeout,
    Quality,
)
from .http.client import Timeouts
from .http.errors import error_for_status, looks_like_insufficient_balance, response_json
from .http.media import (
    InputLimits,
    b64decode,
    check_input_image,
    data_uri,
    extension_for,
    finish_output,
    image_output,
    nearest_aspect_ratio,
    sniff_content_type,
)
from .http.remote import Call, RemoteProvider

TERMINAL_OK = "completed"
TERMINAL_FAILED = frozenset({"failed", "cancelled", "canceled", "timeout"})
IDEOGRAM_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4")
QWEN_FORMATS = ("jpeg", "png", "webp")
SEED = ParamSpec("seed", "int", min=-1, max=2_147_483_647, label="Seed")
IMAGE_LIMITS = InputLimits(min_side=64, max_bytes=10 * 1024 * 1024)
MAX_AUDIO = {
    "alibaba/wan-2.5/image-to-video": 15 * 1024 * 1024,
    "wavespeed-ai/infinitetalk": 50 * 1024 * 1024,
}
MAX_VIDEO_BYTES = 1024 * 1024 * 1024


def _ideogram(model_id: str, label: str, price: float, quality: Quality) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        label=label,
        capabilities=frozenset({Capability.TEXT_TO_IMAGE}),
        params=(
            ParamSpec(
                "style",
                "enum",
                default="Auto",
                choices=("Auto", "General", "Realistic", "Design"),
                label="Style",
            ),
        ),
        quality=quality,
        aspect_ratios=IDEOGRAM_RATIOS,
        output_formats=("png",),
        requires_prompt=True,
        unit_price=price,
        notes="Strong at legible text in images.",
    )


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        id="wavespeed-ai/qwen-image/text-to-image",
        label="Qwen Image",
        capabilities=frozenset({Capability.TEXT_TO_IMAGE}),
        quality=Quality.STANDARD,
        min_side=256,
        max_side=1536,
        output_formats=QWEN_FORMATS,
        accepts_seed=True,
        requires_prompt=True,
        unit_price=0.02,
        notes="Any size from 256 to 1536 px per side.",
    ),
    _ideogram("ideogram-ai/ideogram-v3-turbo", "Ideogram v3 Turbo", 0.03, Quality.DRAFT),
    _ideogram("ideogram-ai/ideogram-v3-balanced", "Ideogram v3 Balanced", 0.06, Quality.STANDARD),
    _ideogram("ideogram-ai/ideogram-v3-quality", "Ideogram v3 Quality", 0.09, Quality.PREMIUM),
    ModelSpec(
        id="wavespeed-ai/qwen-image/edit",
        label="Qwen Image Edit",
        capabilities=frozenset({Capability.PROMPT_EDIT}),
        quality=Quality.STANDARD,
        min_side=256,
        max_side=1536,
        output_formats=QWEN_FORMATS,
        accepts_seed=True,
        requires_prompt=True,
        requires_image=True,
        unit_price=0.02,
    ),
    ModelSpec(
        id="alibaba/wan-2.5/image-to-video",
        label="WAN 2.5 image to video",
        capabilities=frozenset({Capability.IMAGE_TO_VIDEO}),
        params=(
            ParamSpec(
                "resolution",
                "enum",
                default="720p",
                choices=("480p", "720p", "1080p"),
                label="Resolution",
            ),
            ParamSpec("duration", "enum", default="5", choices=("5", "10"), label="Seconds"),
            ParamSpec("enable_prompt_expansion", "bool", default=False, label="Expand prompt"),
        ),
        quality=Quality.STANDARD,
        output_formats=(),
        accepts_negative_prompt=True,
        accepts_seed=True,
        requires_prompt=True,
        requires_image=True,
        unit_price=0.50,
        notes="$0.05/$0.10/$0.15 per second at 480p/720p/1080p; unit price is 5 s at 720p. "
        "Optional soundtrack in extra_images['audio'].",
    ),
    ModelSpec(
        id="wavespeed-ai/infinitetalk",
        label="InfiniteTalk avatar",
        capabilities=frozenset({Capability.TALKING_AVATAR}),
        params=(
            ParamSpec(
                "resolution", "enum", default="480p", choices=("480p", "720p"), label="Resolution"
            ),
        ),
        quality=Quality.STANDARD,
        output_formats=(),
        accepts_seed=True,
        requires_image=True,
        unit_price=0.15,
        notes="$0.03/$0.06 per second at 480p/720p, 5 s minimum; the speech comes from "
        "extra_images['audio']; an optional mask picks the face to animate.",
    ),
)

_VIDEO_MODELS = frozenset({"alibaba/wan-2.5/image-to-video", "wavespeed-ai/infinitetalk"})


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class WaveSpeedProvider(RemoteProvider):
    name = "wavespeed"
    label = "WaveSpeed AI"
    short_label = "WaveSpeed"
    default_base = "https://api.wavespeed.ai/api/v3"
    seed_range = (-1, 2_147_483_647)
    default_timeouts = Timeouts(read=150.0)  # sync mode holds the request while it renders

    def __init__(
        self,
        api_key: str = "",
        base_url: str = "",
        *,
        sync_mode: bool = True,
        base64_output: bool = False,
        inline_limit: int = 2 * 1024 * 1024,
        **kwargs: Any,
    ) -> None:
        self.sync_mode = sync_mode
        self.base64_output = base64_output
        self.inline_limit = inline_limit
        super().__init__(api_key, base_url, **kwargs)

    MODELS = MODELS

    def accepts_mask(self, spec: ModelSpec) -> bool:
        return spec.id == "wavespeed-ai/infinitetalk"

    # ------------------------------------------------------------------ checks

    def prepare(
        self, spec: ModelSpec, request: ProviderRequest, params: dict[str, Any]
    ) -> dict[str, Any]:
        if request.image is not None and spec.requires_image:
            check_input_image(request.image, IMAGE_LIMITS)
        allowed_extra = {"audio"} if spec.id in _VIDEO_MODELS else set()
        unknown = set(request.extra_images) - allowed_extra
        if unknown:
            raise InvalidInput(f"{spec.label} does not take: {', '.join(sorted(unknown))}.")
        audio = request.extra_images.get("audio")
        if spec.id == "wavespeed-ai/infinitetalk" and audio is None:
            raise InvalidInput("InfiniteTalk needs a speech recording (audio).")
        if audio is not None:
            if not sniff_content_type(audio).startswith("audio/"):
                raise InvalidInput("The audio must be an MP3 or WAV file.")
            if len(audio) > MAX_AUDIO[spec.id]:
                raise InvalidInput(
                    f"The audio is larger than {MAX_AUDIO[spec.id] // (1024 * 1024)} MB."
                )
        if spec.id == "wavespeed-ai/qwen-image/text-to-image" and (
            bool(request.width) != bool(request.height)
        ):
            raise InvalidInput("Give both width and height, or neither.")
        return params

    # ------------------------------------------------------------------ request building

    def _media(self, data: bytes) -> str:
        """A reference WaveSpeed can read: a data URI, or an uploaded file's URL when large."""
        ctype = sniff_content_type(data)
        if len(data) <= self.inline_limit:
            return data_uri(data, ctype)
        response = self.http.request(
            "POST",
            "/media/upload/binary",
            files={"file": (f"upload.{extension_for(ctype)}", data, ctype)},
        )
        url = (self._envelope(response).get("download_url") or "").strip()
        if not url:
            raise ProviderError(
                f"{self.label} did not return an upload address.", provider=self.name
            )
        return url

    def _body(
        self, spec: ModelSpec, request: ProviderRequest, params: dict[str, Any]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if request.prompt:
            body["prompt"] = request.prompt
        if request.negative_prompt:
            body["negative_prompt"] = request.negative_prompt
        if request.seed is not None:
            body["seed"] = request.seed
        if spec.id.startswith("ideogram-ai/"):
            body["style"] = params["style"]
            if request.aspect_ratio:
                body["aspect_ratio"] = request.aspect_ratio
            elif request.width and request.height:
                body["aspect_ratio"] = nearest_aspect_ratio(
                    request.width, request.height, IDEOGRAM_RATIOS
                )
        elif spec.id.startswith("wavespeed-ai/qwen-image/"):
            if request.width and request.height:
                body["size"] = f"{request.width}*{request.height}"
            body["output_format"] = request.output_format
            if spec.id.endswith("/edit"):
                body["image"] = self._media(request.image or b"")
        elif spec.id == "alibaba/wan-2.5/image-to-video":
            body["image"] = self._media(request.image or b"")
            body["resolution"] = params["resolution"]
            body["duration"] = int(params["duration"])
            body["enable_prompt_expansion"] = params["enable_prompt_expansion"]
            if "audio" in request.extra_images:
                body["audio"] = self._media(request.extra_images["audio"])
        elif spec.id == "wavespeed-ai/infinitetalk":
            body["image"] = self._media(request.image or b"")
            body["audio"] = self._media(request.extra_images["audio"])
            body["resolution"] = params["resolution"]
            if request.mask is not None:
                body["mask_image"] = self._media(request.mask)
        if spec.id not in _VIDEO_MODELS:
            body["enable_sync_mode"] = self.sync_mode
            body["enable_base64_output"] = self.base64_output
        return body

    # ------------------------------------------------------------------ calls

    def _call(self, call: Call) -> ProviderResult:
        spec, request = call.spec, call.request
        body = self._body(spec, request, call.params)
        video = spec.id in _VIDEO_MODELS
        task = self._envelope(self.http.request("POST", f"/{spec.id}", json=body))
        task_id = task.get("id")
        if not self._finished(task):
            if not task_id:
                raise ProviderError(f"{self.label} did not return a task id.", provider=self.name)
            url = self._result_url(task, task_id)
            interval, timeout = (2.0, 1800.0) if video else (1.0, 240.0)
            if spec.id == "wavespeed-ai/infinitetalk":
                timeout = 3600.0  # roughly 10–30 s of work per second of video
            task = self.poll(call, lambda: self._poll_once(url), interval=interval, timeout=timeout)
        outputs = self._outputs(task, video=video, seed=request.seed)
        return call.result(outputs, task_id=task_id, timings=task.get("timings") or {})

    def _result_url(self, task: dict[str, Any], task_id: str) -> str:
        """Where to poll: the task's own ``urls.get`` when it is on our API host (the key
        goes with every poll, so never to another host), else the documented path."""
        urls = task.get("urls")
        url = str((urls.get("get") if isinstance(urls, dict) else "") or "").strip()
        if url and _origin(url) == _origin(self.base_url):
            return url
        return f"/predictions/{task_id}/result"

    def _poll_once(self, url: str) -> dict[str, Any] | None:
        task = self._envelope(self.http.request("GET", url))
        return task if self._finished(task) else None

    def _finished(self, task: dict[str, Any]) -> bool:
        """True when the task is done; raises for failed/cancelled/timed-out tasks."""
        status = str(task.get("status") or "").lower()
        if status == TERMINAL_OK:
            return True
        if status in TERMINAL_FAILED:
            error = str(task.get("error") or f"task {status}")
            nsfw = task.get("has_nsfw_contents") or []
            if any(nsfw) or any(
                w in error.lower() for w in ("nsfw", "sensitive", "content policy")
            ):
                raise self._error(ContentFiltered, f"{self.label} filtered the result: {error}")
            if status in ("cancelled", "canceled"):
                raise self._error(Canceled, f"{self.label} cancelled the task: {error}")
            if status == "timeout":
                raise self._error(ProviderTimeout, f"{self.label} timed out: {error}")
            if looks_like_insufficient_balance(error):
                raise self._error(InsufficientProviderBalance, f"{self.label}: {error}")
            raise self._error(ProviderError, f"{self.label} failed: {error}")
        # created / pending / processing, or a sync-mode request that gave up waiting
        # ("Sync mode timed out"): keep polling the task id.
        return False

    def _outputs(
        self, task: dict[str, Any], *, video: bool, seed: int | None
    ) -> list[ProviderOutput]:
        raw = task.get("outputs") or []
        if not raw:
            raise ProviderError(f"{self.label} finished without outputs.", provider=self.name)
        nsfw = task.get("has_nsfw_contents") or []
        if nsfw and all(nsfw):
            raise self._error(ContentFiltered, f"{self.label} flagged the result as unsafe.")
        outputs = []
        for item in raw:
            if isinstance(item, dict):
                item = item.get("url") or item.get("image_url") or item.get("video_url") or ""
            item = str(item)
            if item.startswith(("http://", "https://")):
                out = self.http.download(
                    item, max_bytes=MAX_VIDEO_BYTES if video else 100 * 1024 * 1024
                )
                if out.content_type in ("application/octet-stream", "binary/octet-stream", ""):
                    out.content_type = "video/mp4" if video else out.content_type
                    out.extension = ""
                    finish_output(out)
                out.seed = seed
                out.meta["url"] = item
            else:
                data = b64decode(item, label=self.label)
                out = (
                    finish_output(ProviderOutput(content_type="video/mp4", data=data, seed=seed))
                    if video
                    else image_output(data, seed=seed)
                )
            outputs.append(out)
        return outputs

    def _envelope(self, response: httpx.Response) -> dict[str, Any]:
        """The ``data`` of a WaveSpeed envelope; a ``code`` other than 200 is an error."""
        body = response_json(response)
        if not isinstance(body, dict):
            raise ProviderError(f"{self.label} returned an unreadable answer.", provider=self.name)
        code = body.get("code", 200)
        if code != 200:
            message = str(body.get("message") or "unknown error")
            status = code if isinstance(code, int) and 400 <= code < 600 else 400
            raise error_for_status(status, message, provider=self.name, label=self.label)
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    # ------------------------------------------------------------------ account

    def balance(self) -> float:
        """Remaining account balance in US dollars."""
        data = self._envelope(self.http.request("GET", "/balance"))
        try:
            return float(data["balance"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderError(
                f"{self.label} returned an unreadable balance.", provider=self.name
            ) from exc

    def price(self, model_id: str, inputs: dict[str, Any]) -> float:
        """The vendor's quoted price in dollars for one run of ``model_id`` with ``inputs``."""
        data = self._envelope(
            self.http.request("POST", "/model/price", json={"model_id": model_id, "inputs": inputs})
        )
        value = data.get("discounted_price", data.get("price"))
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise ProviderError(
                f"{self.label} returned an unreadable price.", provider=self.name
            ) from exc
