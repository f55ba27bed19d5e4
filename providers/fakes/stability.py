"""Fake Stability AI v2beta server (CONTRACTS §1, §7)."""

from __future__ import annotations

import base64
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .media import CONTENT_TYPES, image_info, make_glb, make_image, size_for_ratio
from .server import FakeServer, RecordedRequest, Reply

ASPECT_RATIOS = ("21:9", "16:9", "3:2", "5:4", "1:1", "4:5", "2:3", "9:16", "9:21")
STYLE_PRESETS = (
    "enhance anime photographic digital-art comic-book fantasy-art line-art analog-film neon-punk "
    "isometric low-poly origami modeling-compound cinematic 3d-model pixel-art tile-texture"
).split()
FORMATS = ("jpeg", "png", "webp")
SD3_CREDITS = {"sd3.5-large": 6.5, "sd3.5-large-turbo": 4, "sd3.5-medium": 3.5, "sd3.5-flash": 2.5}
EDIT_PX = (4_096, 9_437_184)
MAX_BODY = 10 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    min_side: int = 0
    max_side: int = 0
    min_px: int = 0
    max_px: int = 0
    aspect: bool = False  # between 1:2.5 and 2.5:1


@dataclass
class Op:
    required: tuple[str, ...]
    credits: float
    images: dict[str, Limits] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    output: str = "same"  # how the output size is derived
    is_async: bool = False
    formats: tuple[str, ...] = FORMATS


_EDIT = Limits(min_side=64, min_px=EDIT_PX[0], max_px=EDIT_PX[1])
_EDIT_AR = Limits(min_px=EDIT_PX[0], max_px=EDIT_PX[1], aspect=True)
_CONTROL = Limits(min_side=64, min_px=EDIT_PX[0], max_px=EDIT_PX[1], aspect=True)
_STYLE = {"style_preset": tuple(STYLE_PRESETS)}

OPS: dict[str, Op] = {
    "/v2beta/stable-image/generate/ultra": Op(
        ("prompt",),
        8,
        images={"image": Limits(min_side=64, max_side=16_384, min_px=4_096)},
        ranges={"strength": (0, 1)},
        enums={"aspect_ratio": ASPECT_RATIOS, **_STYLE},
        output="ratio",
    ),
    "/v2beta/stable-image/generate/core": Op(
        ("prompt",), 3, enums={"aspect_ratio": ASPECT_RATIOS, **_STYLE}, output="ratio"
    ),
    "/v2beta/stable-image/generate/sd3": Op(
        ("prompt",),
        6.5,
        images={"image": Limits(min_side=64)},
        ranges={"strength": (0, 1), "cfg_scale": (1, 10)},
        enums={
            "aspect_ratio": ASPECT_RATIOS,
            "mode": ("text-to-image", "image-to-image"),
            "model": tuple(SD3_CREDITS),
            **_STYLE,
        },
        output="ratio",
    ),
    "/v2beta/stable-image/edit/erase": Op(
        ("image",), 5, images={"image": _EDIT}, ranges={"grow_mask": (0, 20)}
    ),
    "/v2beta/stable-image/edit/inpaint": Op(
        ("image", "prompt"),
        5,
        images={"image": _EDIT},
        ranges={"grow_mask": (0, 100)},
        enums=_STYLE,
    ),
    "/v2beta/stable-image/edit/outpaint": Op(
        ("image",),
        4,
        images={"image": _EDIT_AR},
        ranges={
            "left": (0, 2000),
            "right": (0, 2000),
            "up": (0, 2000),
            "down": (0, 2000),
            "creativity": (0, 1),
        },
        enums=_STYLE,
        output="outpaint",
    ),
    "/v2beta/stable-image/edit/search-and-replace": Op(
        ("image", "prompt", "search_prompt"),
        5,
        images={"image": _EDIT_AR},
        ranges={"grow_mask": (0, 20)},
        enums=_STYLE,
    ),
    "/v2beta/stable-image/edit/search-and-recolor": Op(
        ("image", "prompt", "select_prompt"),
        5,
        images={"image": _EDIT_AR},
        ranges={"grow_mask": (0, 20)},
        enums=_STYLE,
    ),
    "/v2beta/stable-image/edit/remove-background": Op(
        ("image",),
        5,
        images={"image": Limits(min_px=4_096, max_px=4_194_304)},
        output="transparent",
        formats=("png", "webp"),
    ),
    "/v2beta/stable-image/edit/replace-background-and-relight": Op(
        ("subject_image",),
        8,
        images={
            "subject_image": _EDIT_AR,
            "background_reference": Limits(min_px=4_096, max_px=EDIT_PX[1]),
            "light_reference": Limits(min_px=4_096, max_px=EDIT_PX[1]),
        },
        ranges={
            "preserve_original_subject": (0, 1),
            "original_background_depth": (0, 1),
            "light_source_strength": (0, 1),
        },
        enums={
            "keep_original_background": ("true", "false"),
            "light_source_direction": ("left", "right", "above", "below"),
        },
        is_async=True,
    ),
    "/v2beta/stable-image/upscale/fast": Op(
        ("image",),
        2,
        images={"image": Limits(min_side=32, max_side=1_536, min_px=1_024, max_px=1_048_576)},
        output="x4",
    ),
    "/v2beta/stable-image/upscale/conservative": Op(
        ("image", "prompt"),
        40,
        images={"image": _CONTROL},
        ranges={"creativity": (0.2, 0.5)},
        output="4mp",
    ),
    "/v2beta/stable-image/upscale/creative": Op(
        ("image", "prompt"),
        60,
        images={"image": Limits(min_side=64, min_px=4_096, max_px=1_048_576)},
        ranges={"creativity": (0.1, 0.5)},
        enums=_STYLE,
        output="x4",
        is_async=True,
    ),
    "/v2beta/stable-image/control/sketch": Op(
        ("prompt", "image"),
        5,
        images={"image": Limits(min_side=64, max_px=EDIT_PX[1], aspect=True)},
        ranges={"control_strength": (0, 1)},
        enums=_STYLE,
    ),
    "/v2beta/stable-image/control/structure": Op(
        ("prompt", "image"),
        5,
        images={"image": _CONTROL},
        ranges={"control_strength": (0, 1)},
        enums=_STYLE,
    ),
    "/v2beta/stable-image/control/style": Op(
        ("prompt", "image"),
        5,
        images={"image": _CONTROL},
        ranges={"fidelity": (0, 1)},
        enums={"aspect_ratio": ASPECT_RATIOS, **_STYLE},
        output="ratio",
    ),
    "/v2beta/stable-image/control/style-transfer": Op(
        ("init_image", "style_image"),
        8,
        images={
            "init_image": Limits(
                min_side=64, max_side=16_383, min_px=4_096, max_px=EDIT_PX[1], aspect=True
            ),
            "style_image": Limits(min_side=64, max_side=16_383, min_px=4_096, max_px=EDIT_PX[1]),
        },
        ranges={
            "style_strength": (0, 1),
            "composition_fidelity": (0, 1),
            "change_strength": (0.1, 1),
        },
        output="init_1mp",
    ),
    "/v2beta/3d/stable-fast-3d": Op(
        ("image",),
        10,
        images={"image": Limits(min_side=64, min_px=4_096, max_px=4_194_304)},
        ranges={"foreground_ratio": (0.1, 1), "vertex_count": (-1, 20_000)},
        enums={
            "texture_resolution": ("512", "1024", "2048"),
            "remesh": ("none", "triangle", "quad"),
        },
        output="glb",
        formats=(),
    ),
}


class _BadRequest(Exception):
    pass


@dataclass
class _Job:
    key: str
    polls_left: int
    reply: Reply
    credits: float
    last_poll: float | None = None


class StabilityFake(FakeServer):
    name = "stability"
    env_key = "STABILITY_API_KEY"
    env_base = "STABILITY_API_BASE"
    default_key = "sk-fake-stability-0123456789"

    def reset(self) -> None:
        super().reset()
        self.credits = 1000.0
        self.pending_polls = 1  # 202 answers before an async result is ready
        self.min_poll_interval = 0.0  # >0: answer 429 when polled faster than this
        self.glb_size = 16 * 1024
        self._jobs: dict[str, _Job] = {}
        self._jobs_lock = threading.Lock()

    def error_kinds(self) -> set[str]:
        return {
            "unauthorized",
            "bad_request",
            "content_moderation",
            "payload_too_large",
            "public_figure",
            "rate_limit",
            "server_error",
            "unavailable",
            "content_filtered",
            "insufficient_balance",
        }

    # ------------------------------------------------------------------ replies

    @staticmethod
    def error(
        status: int, name: str, *messages: str, headers: dict[str, str] | None = None
    ) -> Reply:
        return Reply(
            status, {"id": uuid.uuid4().hex, "name": name, "errors": list(messages)}, headers or {}
        )

    def _injected(self, kind: str, options: dict[str, Any]) -> Reply | None:
        if kind == "unauthorized":
            return self.error(401, "unauthorized", "authorization: invalid or missing API key")
        if kind == "bad_request":
            return self.error(400, "bad_request", options.get("message", "prompt: cannot be empty"))
        if kind == "content_moderation":
            return self.error(
                403,
                "content_moderation",
                "Your request was flagged by our content moderation system",
            )
        if kind == "payload_too_large":
            return self.error(
                413, "payload_too_large", "body: payloads cannot be larger than 10MiB in size"
            )
        if kind == "public_figure":
            return self.error(
                422, "public_figure", "Our system detected the likeness of a public figure"
            )
        if kind == "rate_limit":
            headers = {}
            if "retry_after" in options:
                headers["Retry-After"] = str(options["retry_after"])
            return self.error(
                429,
                "rate_limit_exceeded",
                "You have exceeded the rate limit of 150 requests per 10 seconds",
                headers=headers,
            )
        if kind == "server_error":
            return self.error(500, "internal_error", "An unexpected server error has occurred")
        if kind == "unavailable":
            return self.error(
                options.get("status", 503), "service_unavailable", "Service temporarily unavailable"
            )
        if kind == "insufficient_balance":
            return self.error(
                402, "payment_required", "You lack sufficient credits to make this request"
            )
        return None

    # ------------------------------------------------------------------ dispatch

    def handle(self, request: RecordedRequest) -> Reply:
        auth = request.headers.get("authorization", "")
        injection = self.take_injection(request)
        if injection is not None and injection.kind != "content_filtered":
            reply = self._injected(injection.kind, injection.options)
            if reply is not None:
                return reply
        if auth != f"Bearer {self.api_key}":
            return self.error(401, "unauthorized", "authorization: invalid or missing API key")
        filtered = injection is not None and injection.kind == "content_filtered"
        if request.method == "GET" and request.path == "/v1/user/balance":
            return Reply(200, {"credits": self.credits})
        if request.method == "GET" and (
            request.path.startswith("/v2beta/results/")
            or request.path.startswith("/v2beta/stable-image/upscale/creative/result/")
        ):
            return self._result(request, request.path.rsplit("/", 1)[-1])
        op = OPS.get(request.path)
        if request.method != "POST" or op is None:
            return self.error(404, "not_found", f"{request.method} {request.path}: no such route")
        if len(request.body) > MAX_BODY:
            return self.error(
                413, "payload_too_large", "body: payloads cannot be larger than 10MiB in size"
            )
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return self.error(400, "bad_request", "content-type: must be multipart/form-data")
        try:
            reply, credits = self._run(request, op, filtered=filtered)
        except _BadRequest as exc:
            return self.error(400, "bad_request", str(exc))
        if op.is_async:
            job_id = secrets.token_hex(32)
            with self._jobs_lock:
                self._jobs[job_id] = _Job(
                    key=auth, polls_left=self.pending_polls, reply=reply, credits=credits
                )
            return Reply(200, {"id": job_id})
        self.credits -= credits
        return reply

    def _result(self, request: RecordedRequest, job_id: str) -> Reply:
        with self._jobs_lock:
            job = self._jobs.get(job_id)
            if job is None or job.key != request.headers.get("authorization"):
                return self.error(404, "generation_not_found", f"id: {job_id} not found")
            now = time.monotonic()
            if (
                self.min_poll_interval
                and job.last_poll is not None
                and now - job.last_poll < self.min_poll_interval
            ):
                job.last_poll = now
                return self.error(
                    429, "rate_limit_exceeded", "polled too often", headers={"Retry-After": "1"}
                )
            job.last_poll = now
            if job.polls_left > 0:
                job.polls_left -= 1
                return Reply(202, {"id": job_id, "status": "in-progress"})
            del self._jobs[job_id]
        self.credits -= job.credits
        if request.headers.get("accept", "").startswith("application/json"):
            return job.reply
        return self._as_bytes(job.reply)

    @staticmethod
    def _as_bytes(reply: Reply) -> Reply:
        """Turn a JSON reply back into raw bytes (results fetched with accept */*)."""
        if isinstance(reply.body, dict) and "image" in reply.body:
            fmt = reply.headers.get("Content-Type", "").split("type=")[-1] or "image/png"
            return Reply(
                200,
                base64.b64decode(reply.body["image"]),
                {
                    "Content-Type": fmt,
                    "finish-reason": reply.body["finish_reason"],
                    "seed": str(reply.body["seed"]),
                    "x-request-id": uuid.uuid4().hex,
                },
            )
        return reply

    # ------------------------------------------------------------------ validation & output

    def _run(self, request: RecordedRequest, op: Op, *, filtered: bool) -> tuple[Reply, float]:
        form, files = request.form, request.files
        for name in op.required:
            if name not in form and name not in files:
                raise _BadRequest(f"{name}: is required")
        for name in (
            "prompt",
            "negative_prompt",
            "search_prompt",
            "select_prompt",
            "background_prompt",
        ):
            if name in form and len(form[name]) > 10_000:
                raise _BadRequest(f"{name}: must be at most 10000 characters")
        if "prompt" in op.required and not form.get("prompt", "").strip():
            raise _BadRequest("prompt: cannot be empty")
        if "seed" in form:
            seed = _number(form["seed"], "seed")
            if not 0 <= seed <= 4_294_967_294:
                raise _BadRequest("seed: must be between 0 and 4294967294")
        fmt = form.get("output_format", "png")
        if op.formats and fmt not in op.formats:
            raise _BadRequest(f"output_format: must be one of {', '.join(op.formats)}")
        for name, choices in op.enums.items():
            if name in form and form[name] not in choices:
                raise _BadRequest(f"{name}: must be one of {', '.join(choices)}")
        for name, (low, high) in op.ranges.items():
            if name in form and not low <= _number(form[name], name) <= high:
                raise _BadRequest(f"{name}: must be between {low:g} and {high:g}")
        sizes: dict[str, tuple[int, int]] = {}
        for name, limits in op.images.items():
            upload = request.file(name)
            if upload is None:
                continue
            try:
                w, h, _, _ = image_info(upload.data)
            except OSError:
                raise _BadRequest(f"{name}: is not a valid image") from None
            _check_limits(name, w, h, limits)
            sizes[name] = (w, h)
        if request.file("mask") is not None:
            try:
                image_info(request.file("mask").data)
            except OSError:
                raise _BadRequest("mask: is not a valid image") from None

        credits = op.credits
        path = request.path
        if path.endswith("/sd3"):
            model = form.get("model", "sd3.5-large")
            credits = SD3_CREDITS[model]
            if form.get("mode") == "image-to-image" and (
                "image" not in files or "strength" not in form
            ):
                raise _BadRequest("image, strength: are required in image-to-image mode")
        if path.endswith("/ultra") and "image" in files and "strength" not in form:
            raise _BadRequest("strength: is required when image is provided")
        if path.endswith("/outpaint") and not any(
            _number(form.get(s, "0"), s) for s in ("left", "right", "up", "down")
        ):
            raise _BadRequest("left, right, up, down: at least one must be greater than zero")
        if path.endswith("/replace-background-and-relight"):
            if not form.get("background_prompt") and "background_reference" not in files:
                raise _BadRequest("background_prompt or background_reference: one is required")
            if "light_source_strength" in form and not (
                form.get("light_source_direction") or "light_reference" in files
            ):
                raise _BadRequest(
                    "light_source_strength: requires light_source_direction or light_reference"
                )

        if op.output == "glb":
            return Reply(
                200,
                make_glb(self.glb_size),
                {"Content-Type": "model/gltf-binary", "x-request-id": uuid.uuid4().hex},
            ), credits

        width, height = self._output_size(op, form, sizes)
        seed_value = (
            int(_number(form.get("seed", "0"), "seed")) or secrets.randbelow(4_294_967_294) + 1
        )
        data = make_image(
            width, height, fmt, seed=seed_value, transparent=op.output == "transparent"
        )
        finish = "CONTENT_FILTERED" if filtered else "SUCCESS"
        ctype = CONTENT_TYPES[fmt]
        accept = request.headers.get("accept", "image/*")
        if op.is_async or accept.startswith("application/json"):
            body = {
                "image": base64.b64encode(data).decode(),
                "seed": seed_value,
                "finish_reason": finish,
            }
            return Reply(200, body, {"Content-Type": f"application/json; type={ctype}"}), credits
        headers = {
            "Content-Type": ctype,
            "finish-reason": finish,
            "seed": str(seed_value),
            "x-request-id": uuid.uuid4().hex,
        }
        return Reply(200, data, headers), credits

    @staticmethod
    def _output_size(
        op: Op, form: dict[str, str], sizes: dict[str, tuple[int, int]]
    ) -> tuple[int, int]:
        first = next(iter(sizes.values()), (1024, 1024))
        w, h = first
        if op.output == "ratio":
            if form.get("mode") == "image-to-image" or (sizes and "aspect_ratio" not in form):
                return size_for_ratio(f"{w}:{h}")
            return size_for_ratio(form.get("aspect_ratio", "1:1"))
        if op.output == "outpaint":
            return (
                w + int(form.get("left", 0)) + int(form.get("right", 0)),
                h + int(form.get("up", 0)) + int(form.get("down", 0)),
            )
        if op.output == "x4":
            scale = min(4.0, 4096 / max(w, h))
            return int(w * scale), int(h * scale)
        if op.output == "4mp":
            scale = (4 * 1024 * 1024 / (w * h)) ** 0.5
            return int(w * scale), int(h * scale)
        if op.output == "init_1mp":
            return size_for_ratio(f"{w}:{h}")
        return w, h


def _number(value: str, name: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise _BadRequest(f"{name}: must be a number") from None


def _check_limits(name: str, w: int, h: int, limits: Limits) -> None:
    if limits.min_side and min(w, h) < limits.min_side:
        raise _BadRequest(f"{name}: each side must be at least {limits.min_side} pixels")
    if limits.max_side and max(w, h) > limits.max_side:
        raise _BadRequest(f"{name}: each side must be at most {limits.max_side} pixels")
    if limits.min_px and w * h < limits.min_px:
        raise _BadRequest(f"{name}: must have at least {limits.min_px} pixels")
    if limits.max_px and w * h > limits.max_px:
        raise _BadRequest(f"{name}: must have at most {limits.max_px} pixels")
    if limits.aspect and max(w, h) / min(w, h) > 2.5:
        raise _BadRequest(f"{name}: aspect ratio must be between 1:2.5 and 2.5:1")


__all__ = ["StabilityFake"]
