"""Fake OpenAI Images API: generations (JSON) and edits (multipart with mask) (CONTRACTS §5, §7)."""

from __future__ import annotations

import base64
import time
from typing import Any

from .media import image_info, make_image
from .server import FakeServer, RecordedRequest, Reply

SIZES = {"1024x1024": (1024, 1024), "1536x1024": (1536, 1024), "1024x1536": (1024, 1536)}
QUALITIES = ("low", "medium", "high", "auto")
BACKGROUNDS = ("transparent", "opaque", "auto")
FORMATS = ("png", "jpeg", "webp")
# What each endpoint takes for gpt-image-1; anything else is answered "Unknown parameter".
COMMON = {"model", "prompt", "n", "size", "quality", "background", "output_format", "user"}
GENERATION_FIELDS = COMMON | {"output_compression", "moderation"}
EDIT_FIELDS = COMMON | {"output_compression", "input_fidelity", "image", "image[]", "mask"}


class _Invalid(Exception):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class OpenAIFake(FakeServer):
    name = "openai"
    path_prefix = "/v1"
    env_key = "OPENAI_API_KEY"
    env_base = "OPENAI_API_BASE"
    default_key = "sk-fake-openai-0123456789abcdef"

    def error_kinds(self) -> set[str]:
        return {
            "unauthorized",
            "invalid_request",
            "moderation",
            "rate_limit",
            "insufficient_quota",
            "server_error",
        }

    @staticmethod
    def error(
        status: int,
        message: str,
        type_: str,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        return Reply(
            status,
            {"error": {"message": message, "type": type_, "param": param, "code": code}},
            headers or {},
        )

    def handle(self, request: RecordedRequest) -> Reply:
        injection = self.take_injection(request)
        kind = injection.kind if injection else ""
        if kind == "unauthorized":
            return self.error(
                401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
            )
        if kind == "invalid_request":
            return self.error(
                400,
                injection.options.get("message", "Invalid value for 'size'."),
                "invalid_request_error",
                None,
                "size",
            )
        if kind == "moderation":
            return self.error(
                400,
                "Your request was rejected as a result of our safety system.",
                "image_generation_user_error",
                "moderation_blocked",
            )
        if kind == "rate_limit":
            headers = (
                {"Retry-After": str(injection.options["retry_after"])}
                if "retry_after" in injection.options
                else {}
            )
            return self.error(
                429,
                "Rate limit reached for images per minute.",
                "requests",
                "rate_limit_exceeded",
                headers=headers,
            )
        if kind == "insufficient_quota":
            return self.error(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota",
                "insufficient_quota",
            )
        if kind == "server_error":
            return self.error(
                injection.options.get("status", 500),
                "The server had an error while processing your request.",
                "server_error",
            )
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return self.error(
                401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
            )
        try:
            if request.method == "POST" and request.path == "/v1/images/generations":
                if not isinstance(request.json, dict):
                    raise _Invalid("We could not parse the JSON body of your request.")
                _known(request.json, GENERATION_FIELDS)
                return self._answer(request.json, None)
            if request.method == "POST" and request.path == "/v1/images/edits":
                if not request.headers.get("content-type", "").startswith("multipart/form-data"):
                    raise _Invalid("Edits must be sent as multipart/form-data.")
                return self._edit(request)
        except _Invalid as exc:
            return self.error(400, str(exc), "invalid_request_error", None, exc.param)
        return self.error(
            404, f"Invalid URL ({request.method} {request.path})", "invalid_request_error"
        )

    def _edit(self, request: RecordedRequest) -> Reply:
        _known(dict.fromkeys(request.part_names), EDIT_FIELDS)
        images = request.files.get("image") or request.files.get("image[]") or []
        if not images:
            raise _Invalid("Missing required parameter: 'image'.", "image")
        if len(images) > 16:
            raise _Invalid("At most 16 images are allowed.", "image")
        sizes = []
        for upload in images:
            try:
                w, h, fmt, _ = image_info(upload.data)
            except OSError:
                raise _Invalid("Invalid image file.", "image") from None
            if fmt not in ("png", "jpeg", "webp"):
                raise _Invalid("Images must be png, webp or jpg.", "image")
            sizes.append((w, h))
        mask = request.file("mask")
        if mask is not None:
            try:
                w, h, fmt, mode = image_info(mask.data)
            except OSError:
                raise _Invalid("Invalid mask file.", "mask") from None
            if fmt != "png" or "A" not in mode:
                raise _Invalid("The mask must be a PNG with an alpha channel.", "mask")
            if (w, h) != sizes[0]:
                raise _Invalid("Mask and image must have the same dimensions.", "mask")
        form: dict[str, Any] = dict(request.form)
        if "n" in form:
            form["n"] = int(form["n"])
        return self._answer(form, sizes[0])

    def _answer(self, body: dict[str, Any], input_size: tuple[int, int] | None) -> Reply:
        if body.get("model", "dall-e-2") != "gpt-image-1":
            raise _Invalid("This fake only serves gpt-image-1.", "model")
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise _Invalid("Missing required parameter: 'prompt'.", "prompt")
        if len(prompt) > 32_000:
            raise _Invalid("The prompt is too long.", "prompt")
        n = body.get("n", 1)
        if not isinstance(n, int) or not 1 <= n <= 10:
            raise _Invalid("n must be between 1 and 10.", "n")
        size = body.get("size", "auto")
        if size != "auto" and size not in SIZES:
            raise _Invalid(
                f"Invalid value: '{size}'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.",
                "size",
            )
        for name, choices in (
            ("quality", QUALITIES),
            ("background", BACKGROUNDS),
            ("output_format", FORMATS),
        ):
            if name in body and body[name] not in choices:
                raise _Invalid(f"Invalid value for '{name}'.", name)
        fmt = body.get("output_format", "png")
        if body.get("background") == "transparent" and fmt == "jpeg":
            raise _Invalid("Transparent background requires png or webp output.", "background")
        if size == "auto":
            width, height = (1024, 1024)
            if input_size is not None:
                w, h = input_size
                width, height = (
                    (1536, 1024) if w > h * 1.2 else (1024, 1536) if h > w * 1.2 else (1024, 1024)
                )
        else:
            width, height = SIZES[size]
        transparent = body.get("background") == "transparent"
        data = [
            {
                "b64_json": base64.b64encode(
                    make_image(width, height, fmt, seed=i, transparent=transparent)
                ).decode()
            }
            for i in range(n)
        ]
        return Reply(
            200,
            {
                "created": int(time.time()),
                "data": data,
                "usage": {
                    "input_tokens": 50,
                    "output_tokens": 4160 * n,
                    "total_tokens": 50 + 4160 * n,
                },
            },
        )


def _known(body: dict[str, Any], allowed: set[str]) -> None:
    for name in sorted(body):
        if name not in allowed:
            raise _Invalid(f"Unknown parameter: '{name}'.", name)
