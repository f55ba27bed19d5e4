"""Fake WaveSpeed AI v3 server (CONTRACTS §2, §7)."""

from __future__ import annotations

import base64
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .media import CONTENT_TYPES, image_info, make_image, make_mp4, size_for_ratio
from .server import FakeServer, RecordedRequest, Reply

IDEOGRAM = {
    "ideogram-ai/ideogram-v3-turbo": 0.03,
    "ideogram-ai/ideogram-v3-balanced": 0.06,
    "ideogram-ai/ideogram-v3-quality": 0.09,
}
PRICES = {
    **IDEOGRAM,
    "wavespeed-ai/qwen-image/text-to-image": 0.02,
    "wavespeed-ai/qwen-image/edit": 0.02,
    "alibaba/wan-2.5/image-to-video": 0.10,  # per second at 720p
    "wavespeed-ai/infinitetalk": 0.03,  # per second at 480p
}
SIZE_RE = re.compile(r"^(\d+)\*(\d+)$")


class _Invalid(Exception):
    pass


@dataclass
class _Task:
    id: str
    model: str
    key: str
    outputs: list[str]
    polls_left: int
    status: str = "created"
    error: str = ""
    nsfw: bool = False
    fail: bool = False
    created_at: str = field(
        default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    )

    def data(self, result_url: str) -> dict[str, Any]:
        done = self.status == "completed"
        return {
            "id": self.id,
            "model": self.model,
            "outputs": self.outputs if done else [],
            "urls": {"get": result_url.replace("{id}", self.id)},
            "has_nsfw_contents": [self.nsfw] * len(self.outputs) if done or self.nsfw else [],
            "status": self.status,
            "created_at": self.created_at,
            "error": self.error,
            "timings": {"inference": 1234 if done else 0},
        }


class WaveSpeedFake(FakeServer):
    name = "wavespeed"
    path_prefix = "/api/v3"
    env_key = "WAVESPEED_API_KEY"
    env_base = "WAVESPEED_API_BASE"
    default_key = "ws-fake-key-0123456789abcdef"

    def reset(self) -> None:
        super().reset()
        self.balance = 25.0
        self.polls_before_complete = 2  # polls answered "processing" before "completed"
        self.video_size = 256 * 1024
        # Where a task says its result is (``urls.get``); the newer docs page shows the
        # shorter ``{base}/predictions/{id}``, which the fake serves too.
        self.result_url = "{base}/predictions/{id}/result"
        self._tasks: dict[str, _Task] = {}
        self._tasks_lock = threading.Lock()

    def error_kinds(self) -> set[str]:
        return {
            "unauthorized",
            "rate_limit",
            "server_error",
            "task_failed",
            "nsfw",
            "envelope_error",
            "insufficient_balance",
            "sync_timeout",
        }

    @staticmethod
    def envelope(data: Any, code: int = 200, message: str = "success") -> dict[str, Any]:
        return {"code": code, "message": message, "data": data}

    @staticmethod
    def error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
        return Reply(status, {"code": status, "message": message, "data": None}, headers or {})

    # ------------------------------------------------------------------ dispatch

    def handle(self, request: RecordedRequest) -> Reply:
        path = request.path.removeprefix(self.path_prefix)
        injection = self.take_injection(request)
        kind = injection.kind if injection else ""
        options = injection.options if injection else {}
        if kind == "unauthorized":
            return self.error(401, "Unauthorized: invalid API key")
        if kind == "rate_limit":
            headers = (
                {"Retry-After": str(options["retry_after"])} if "retry_after" in options else {}
            )
            return self.error(429, "Too many requests, rate limit exceeded", headers)
        if kind == "server_error":
            return self.error(options.get("status", 500), "Internal server error")
        if kind == "envelope_error":
            return Reply(
                200,
                self.envelope(
                    None, options.get("code", 400), options.get("message", "invalid request")
                ),
            )
        if kind == "insufficient_balance":
            return self.error(
                options.get("status", 400),
                "Insufficient balance, please top up your account to continue",
            )
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return self.error(401, "Unauthorized: invalid API key")
        if request.method == "GET" and path == "/balance":
            return Reply(200, self.envelope({"balance": self.balance}))
        if request.method == "POST" and path == "/model/price":
            body = request.json or {}
            model = body.get("model_id", "")
            if model not in PRICES:
                return self.error(404, f"model {model} not found")
            price = PRICES[model]
            return Reply(
                200,
                self.envelope(
                    {
                        "model_id": model,
                        "unit_price": price,
                        "price": price,
                        "discounted_price": price,
                    }
                ),
            )
        if request.method == "POST" and path == "/media/upload/binary":
            upload = request.file("file")
            if upload is None:
                return self.error(400, "file: is required")
            url = self.add_file(
                upload.data, upload.content_type, upload.filename.rsplit(".", 1)[-1] or "bin"
            )
            return Reply(
                200,
                self.envelope(
                    {
                        "type": upload.content_type.split("/")[0],
                        "download_url": url,
                        "filename": upload.filename,
                        "size": len(upload.data),
                    }
                ),
            )
        match = re.fullmatch(r"/predictions/([0-9a-f]+)(?:/result)?", path)
        if request.method == "GET" and match:
            return self._poll(match.group(1), request)
        if request.method == "POST":
            return self._submit(path.lstrip("/"), request, kind, options)
        return self.error(404, f"{request.method} {request.path}: not found")

    def _poll(self, task_id: str, request: RecordedRequest) -> Reply:
        with self._tasks_lock:
            task = self._tasks.get(task_id)
            if task is None or task.key != request.headers.get("authorization"):
                return self.error(404, f"prediction {task_id} not found")
            if task.status not in ("completed", "failed"):
                if task.polls_left > 0:
                    task.polls_left -= 1
                    task.status = "processing"
                    task.error = ""
                elif task.fail:
                    task.status = "failed"
                else:
                    task.status = "completed"
                    self.balance -= PRICES.get(task.model, 0)
            return Reply(200, self.envelope(self._task_data(task)))

    def _task_data(self, task: _Task) -> dict[str, Any]:
        return task.data(self.result_url.replace("{base}", self.base_url))

    def _submit(
        self, model: str, request: RecordedRequest, kind: str, options: dict[str, Any]
    ) -> Reply:
        if model not in PRICES:
            return self.error(404, f"model {model} not found")
        body = request.json
        if not isinstance(body, dict):
            return self.error(400, "body must be JSON")
        try:
            outputs = self._render(model, body)
        except _Invalid as exc:
            return self.error(400, str(exc))
        task = _Task(
            id=uuid.uuid4().hex,
            model=model,
            key=request.headers.get("authorization", ""),
            outputs=outputs,
            polls_left=self.polls_before_complete,
        )
        if kind in ("task_failed", "nsfw"):
            task.fail = True
            task.nsfw = kind == "nsfw"
            task.error = options.get(
                "message",
                "NSFW content detected" if kind == "nsfw" else "Inference failed: out of memory",
            )
        sync = bool(body.get("enable_sync_mode"))
        if sync:
            if kind == "sync_timeout":
                task.status = "processing"
                task.error = "Sync mode timed out, please poll the result"
            elif task.fail:
                task.status = "failed"
            else:
                task.status = "completed"
                self.balance -= PRICES[model]
        with self._tasks_lock:
            self._tasks[task.id] = task
        return Reply(200, self.envelope(self._task_data(task)))

    # ------------------------------------------------------------------ models

    def _media(self, value: Any, field_name: str) -> bytes:
        if not isinstance(value, str) or not value:
            raise _Invalid(f"{field_name}: is required")
        if value.startswith("data:"):
            try:
                return base64.b64decode(value.split(",", 1)[1], validate=True)
            except (ValueError, IndexError):
                raise _Invalid(f"{field_name}: invalid data URI") from None
        prefix = f"{self.host_url}/files/"
        if value.startswith(prefix):
            with self._lock:
                item = self.files.get(value.removeprefix(prefix))
            if item is not None:
                return item[0]
        raise _Invalid(f"{field_name}: could not download {value[:80]}")

    def _image_size(self, value: Any, field_name: str) -> tuple[int, int]:
        try:
            w, h, _, _ = image_info(self._media(value, field_name))
        except OSError:
            raise _Invalid(f"{field_name}: is not a valid image") from None
        return w, h

    def _output_image(self, body: dict[str, Any], width: int, height: int, fmt: str) -> str:
        data = make_image(width, height, fmt, seed=int(body.get("seed", -1)))
        if body.get("enable_base64_output"):
            return base64.b64encode(data).decode()
        return self.add_file(data, CONTENT_TYPES[fmt], fmt)

    def _render(self, model: str, body: dict[str, Any]) -> list[str]:
        if "seed" in body and not (
            isinstance(body["seed"], int) and -1 <= body["seed"] <= 2_147_483_647
        ):
            raise _Invalid("seed: must be an integer between -1 and 2147483647")
        if model in IDEOGRAM:
            _require_prompt(body)
            _enum(body, "style", ("Auto", "General", "Realistic", "Design"))
            _enum(body, "aspect_ratio", ("1:1", "16:9", "9:16", "4:3", "3:4"))
            w, h = size_for_ratio(body.get("aspect_ratio", "1:1"))
            return [self._output_image(body, w, h, "png")]
        if model.startswith("wavespeed-ai/qwen-image/"):
            _require_prompt(body)
            _enum(body, "output_format", ("jpeg", "png", "webp"))
            fmt = body.get("output_format", "jpeg")
            if model.endswith("/edit"):
                w, h = self._image_size(body.get("image"), "image")
            else:
                w, h = 1024, 1024
            if "size" in body:
                match = SIZE_RE.match(str(body["size"]))
                if not match:
                    raise _Invalid("size: must look like 1024*1024")
                w, h = int(match.group(1)), int(match.group(2))
                if not (256 <= w <= 1536 and 256 <= h <= 1536):
                    raise _Invalid("size: each side must be between 256 and 1536")
            return [self._output_image(body, w, h, fmt)]
        if model == "alibaba/wan-2.5/image-to-video":
            _require_prompt(body)
            self._image_size(body.get("image"), "image")
            _enum(body, "resolution", ("480p", "720p", "1080p"))
            if body.get("duration", 5) not in (5, 10):
                raise _Invalid("duration: must be 5 or 10")
            if "audio" in body:
                self._media(body["audio"], "audio")
            return [self.add_file(make_mp4(self.video_size), "video/mp4", "mp4")]
        if model == "wavespeed-ai/infinitetalk":
            self._image_size(body.get("image"), "image")
            self._media(body.get("audio"), "audio")
            _enum(body, "resolution", ("480p", "720p"))
            if "mask_image" in body:
                self._image_size(body["mask_image"], "mask_image")
            return [self.add_file(make_mp4(self.video_size), "video/mp4", "mp4")]
        raise _Invalid(f"model {model} is not supported")


def _require_prompt(body: dict[str, Any]) -> None:
    if not isinstance(body.get("prompt"), str) or not body["prompt"].strip():
        raise _Invalid("prompt: is required")


def _enum(body: dict[str, Any], name: str, choices: tuple[str, ...]) -> None:
    if name in body and body[name] not in choices:
        raise _Invalid(f"{name}: must be one of {', '.join(choices)}")
