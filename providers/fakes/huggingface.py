"""Fake Hugging Face router: hf-inference (raw bytes) and fal-ai (JSON + URL) (CONTRACTS §3, §7)."""

from __future__ import annotations

import random
import threading

from .media import CONTENT_TYPES, make_image
from .server import FakeServer, RecordedRequest, Reply

HF_MODELS = {"black-forest-labs/FLUX.1-schnell", "black-forest-labs/FLUX.1-dev"}
FAL_MODELS = {"fal-ai/flux/schnell", "fal-ai/flux/dev"}
CREDITS_MESSAGE = "You have exceeded your monthly included credits for Inference Providers. Subscribe to PRO to get 20x more monthly included credits."


class HuggingFaceFake(FakeServer):
    name = "huggingface"
    env_key = "HF_TOKEN"
    env_base = "HF_API_BASE"
    default_key = "hf_fakeTokenABCDEFGHIJKLMNOP"

    def reset(self) -> None:
        super().reset()
        self.loading_calls = 0  # how many calls answer 503 "currently loading" first
        self.estimated_time = 1.0
        self.wait_block = 0.05  # seconds a X-Wait-For-Model request is held instead
        self._count_lock = threading.Lock()

    def error_kinds(self) -> set[str]:
        return {"unauthorized", "credits", "rate_limit", "server_error", "loading"}

    def handle(self, request: RecordedRequest) -> Reply:
        injection = self.take_injection(request)
        if injection is not None:
            if injection.kind == "unauthorized":
                return Reply(401, {"error": "Invalid credentials in Authorization header"})
            if injection.kind == "credits":
                return Reply(injection.options.get("status", 402), {"error": CREDITS_MESSAGE})
            if injection.kind == "rate_limit":
                headers = (
                    {"Retry-After": str(injection.options["retry_after"])}
                    if "retry_after" in injection.options
                    else {}
                )
                return Reply(429, {"error": "Rate limit reached. Please retry later."}, headers)
            if injection.kind == "server_error":
                return Reply(injection.options.get("status", 500), {"error": "Internal Error"})
            if injection.kind == "loading":
                return self._loading(request.path)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(401, {"error": "Invalid credentials in Authorization header"})
        if request.method != "POST":
            return Reply(404, {"error": "Not Found"})
        if request.path.startswith("/hf-inference/models/"):
            return self._hf_inference(request)
        if request.path.startswith("/fal-ai/"):
            return self._fal(request)
        return Reply(404, {"error": "Not Found"})

    def _loading(self, path: str) -> Reply:
        model = path.removeprefix("/hf-inference/models/")
        return Reply(
            503,
            {"error": f"Model {model} is currently loading", "estimated_time": self.estimated_time},
        )

    def _hf_inference(self, request: RecordedRequest) -> Reply:
        model = request.path.removeprefix("/hf-inference/models/")
        if model not in HF_MODELS:
            return Reply(404, {"error": f"Model {model} does not exist"})
        with self._count_lock:
            loading = self.loading_calls > 0
            if loading:
                self.loading_calls -= 1
        body = request.json
        if loading:
            if request.headers.get("x-wait-for-model", "").lower() == "true":
                reply = self._image(body)
                reply.delay = self.wait_block
                return reply
            return self._loading(request.path)
        return self._image(body)

    @staticmethod
    def _image(body: object) -> Reply:
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("inputs"), str)
            or not body["inputs"].strip()
        ):
            return Reply(400, {"error": "inputs: a non-empty prompt is required"})
        params = body.get("parameters") or {}
        width, height = int(params.get("width", 1024)), int(params.get("height", 1024))
        if not (64 <= width <= 2048 and 64 <= height <= 2048):
            return Reply(400, {"error": "width and height must be between 64 and 2048"})
        data = make_image(width, height, "png", seed=int(params.get("seed", 0)))
        return Reply(200, data, {"Content-Type": "image/png"})

    def _fal(self, request: RecordedRequest) -> Reply:
        model = request.path.removeprefix("/fal-ai/")
        if model not in FAL_MODELS:
            return Reply(404, {"error": f"Model {model} does not exist"})
        body = request.json
        if not isinstance(body, dict) or not str(body.get("prompt") or "").strip():
            return Reply(422, {"detail": [{"loc": ["body", "prompt"], "msg": "field required"}]})
        size = body.get("image_size") or {"width": 1024, "height": 1024}
        width, height = int(size["width"]), int(size["height"])
        fmt = body.get("output_format", "jpeg")
        if fmt not in ("jpeg", "png"):
            return Reply(422, {"detail": "output_format: must be jpeg or png"})
        seed = int(body.get("seed", random.randrange(1, 2**31)))
        url = self.add_file(make_image(width, height, fmt, seed=seed), CONTENT_TYPES[fmt], fmt)
        return Reply(
            200,
            {
                "images": [
                    {
                        "url": url,
                        "width": width,
                        "height": height,
                        "content_type": CONTENT_TYPES[fmt],
                    }
                ],
                "seed": seed,
                "has_nsfw_concepts": [False],
                "prompt": body["prompt"],
            },
        )
