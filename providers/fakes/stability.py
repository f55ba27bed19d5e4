"""Fake Stability AI v2beta server (CONTRACTS §1, §7)."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .media import CONTENT_TYPES, image_info, make_glb, make_image, size_for_ratio
from .server import FakeServer, RecordedRequest, Reply

SCHEMA = json.loads((Path(__file__).with_name("stability_schema.json")).read_text())["paths"]
# The published ``model`` enum of generate/sd3 omits ``sd3.5-flash``, yet the same document's
# descriptions price it (2.5 credits) and give its cfg_scale default, and the live API serves
# it: the enum lags the docs, so the fake accepts it like the real service does.
LISTED_IN_DESCRIPTIONS = {("/v2beta/stable-image/generate/sd3", "model"): ("sd3.5-flash",)}
SD3_CREDITS = {"sd3.5-large": 6.5, "sd3.5-large-turbo": 4, "sd3.5-medium": 3.5, "sd3.5-flash": 2.5}
EDIT_PX = (4_096, 9_437_184)
MAX_BODY = 10 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Input-image limits the published descriptions state (the schema cannot express them)."""

    min_side: int = 0
    max_side: int = 0
    min_px: int = 0
    max_px: int = 0
    aspect: bool = False  # between 1:2.5 and 2.5:1


@dataclass
class Op:
    credits: float
    images: dict[str, Limits] = field(default_factory=dict)
    output: str = "same"  # how the output size is derived
    is_async: bool = False


_EDIT = Limits(min_side=64, min_px=EDIT_PX[0], max_px=EDIT_PX[1])
_EDIT_AR = Limits(min_px=EDIT_PX[0], max_px=EDIT_PX[1], aspect=True)
_CONTROL = Limits(min_side=64, min_px=EDIT_PX[0], max_px=EDIT_PX[1], aspect=True)
_REFERENCE = Limits(min_px=4_096, max_px=EDIT_PX[1])
_STYLE_IMAGE = Limits(min_side=64, max_side=16_383, min_px=4_096, max_px=EDIT_PX[1])

OPS: dict[str, Op] = {
    "/v2beta/stable-image/generate/ultra": Op(
        8, {"image": Limits(min_side=64, max_side=16_384, min_px=4_096)}, output="ratio"
    ),
    "/v2beta/stable-image/generate/core": Op(3, output="ratio"),
    "/v2beta/stable-image/generate/sd3": Op(6.5, {"image": Limits(min_side=64)}, output="ratio"),
    "/v2beta/stable-image/edit/erase": Op(5, {"image": _EDIT}),
    "/v2beta/stable-image/edit/inpaint": Op(5, {"image": _EDIT}),
    "/v2beta/stable-image/edit/outpaint": Op(4, {"image": _EDIT_AR}, output="outpaint"),
    "/v2beta/stable-image/edit/search-and-replace": Op(5, {"image": _EDIT_AR}),
    "/v2beta/stable-image/edit/search-and-recolor": Op(5, {"image": _EDIT_AR}),
    "/v2beta/stable-image/edit/remove-background": Op(
        5, {"image": Limits(min_px=4_096, max_px=4_194_304)}, output="transparent"
    ),
    "/v2beta/stable-image/edit/replace-background-and-relight": Op(
        8,
        {
            "subject_image": _EDIT_AR,
            "background_reference": _REFERENCE,
            "light_reference": _REFERENCE,
        },
        is_async=True,
    ),
    "/v2beta/stable-image/upscale/fast": Op(
        2, {"image": Limits(min_side=32, max_side=1_536, min_px=1_024, max_px=1_048_576)}, "x4"
    ),
    "/v2beta/stable-image/upscale/conservative": Op(40, {"image": _CONTROL}, output="4mp"),
    "/v2beta/stable-image/upscale/creative": Op(
        60,
        {"image": Limits(min_side=64, min_px=4_096, max_px=1_048_576)},
        output="x4",
        is_async=True,
    ),
    "/v2beta/stable-image/control/sketch": Op(
        5, {"image": Limits(min_side=64, max_px=EDIT_PX[1], aspect=True)}
    ),
    "/v2beta/stable-image/control/structure": Op(5, {"image": _CONTROL}),
    "/v2beta/stable-image/control/style": Op(5, {"image": _CONTROL}, output="ratio"),
    "/v2beta/stable-image/control/style-transfer": Op(
        8,
        {"init_image": replace(_STYLE_IMAGE, aspect=True), "style_image": _STYLE_IMAGE},
        output="init_1mp",
    ),
    "/v2beta/3d/stable-fast-3d": Op(
        10, {"image": Limits(min_side=64, min_px=4_096, max_px=4_194_304)}, output="glb"
    ),
}


def check_schema(path: str, form: dict[str, str], files: dict[str, Any]) -> None:
    """Refuse a multipart request the published schema of ``path`` does not allow."""
    schema = SCHEMA[path]
    props: dict[str, dict[str, Any]] = schema["properties"]
    for name in schema["required"]:
        # The erase schema requires a ``prompt`` it never defines; only defined fields count.
        if name in props and name not in form and name not in files:
            raise _BadRequest(f"{name}: is required")
    for name in sorted(set(form) | set(files)):
        prop = props.get(name)
        if prop is None:
            raise _BadRequest(f"{name}: is not a parameter of this endpoint")
        binary = prop.get("format") == "binary"
        if binary != (name in files):
            raise _BadRequest(f"{name}: must be {'a file' if binary else 'a text field'}")
        if binary:
            continue
        value = form[name]
        if prop.get("type") in ("number", "integer"):
            number = _number(value, name)
            if prop["type"] == "integer" and number != int(number):
                raise _BadRequest(f"{name}: must be an integer")
            low, high = prop.get("minimum"), prop.get("maximum")
            if (low is not None and number < low) or (high is not None and number > high):
                raise _BadRequest(f"{name}: must be between {low:g} and {high:g}")
        choices = tuple(prop.get("enum", ())) + LISTED_IN_DESCRIPTIONS.get((path, name), ())
        if prop.get("enum") and value not in choices:
            raise _BadRequest(f"{name}: must be one of {', '.join(choices)}")
        if len(value) < prop.get("minLength", 0):
            raise _BadRequest(f"{name}: cannot be empty")
        if "maxLength" in prop and len(value) > prop["maxLength"]:
            raise _BadRequest(f"{name}: must be at most {prop['maxLength']} characters")


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
        self.mesh_type = "model/gltf-binary"  # the Content-Type of a 3D result
        self.retired_models: set[str] = set()  # sd3 model ids answered like a retired model
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
        check_schema(request.path, form, files)
        fmt = form.get("output_format", "png")
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
            if model in self.retired_models:
                raise _BadRequest(f"model: {model} is no longer available")
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
            mesh = make_glb(self.glb_size) if self.mesh_type == "model/gltf-binary" else b"o mesh\n"
            return Reply(
                200, mesh, {"Content-Type": self.mesh_type, "x-request-id": uuid.uuid4().hex}
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
