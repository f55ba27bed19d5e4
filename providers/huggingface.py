"""Hugging Face Inference Providers through the router.

Two routes for FLUX.1: ``hf-inference`` answers with raw image bytes; ``fal-ai`` answers
JSON with the URL of the image, which is then downloaded. A model that is still loading
answers ``503 {"error": "... is currently loading", "estimated_time": s}``; that wait is
honoured by the shared retry loop.
"""

from __future__ import annotations

from typing import Any

import httpx

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
    RequestRefused,
    TransientError,
)
from .http.errors import looks_like_insufficient_balance, response_json, vendor_message
from .http.media import image_output
from .http.remote import Call, RemoteProvider

FAL_MODELS = {
    "fal-ai/flux/schnell": "black-forest-labs/FLUX.1-schnell",
    "fal-ai/flux/dev": "black-forest-labs/FLUX.1-dev",
}


def _flux(
    model_id: str, label: str, quality: Quality, steps: int, guidance: float, route: str
) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        label=label,
        capabilities=frozenset({Capability.TEXT_TO_IMAGE}),
        params=(
            ParamSpec("num_inference_steps", "int", default=steps, min=1, max=50, label="Steps"),
            ParamSpec("guidance_scale", "float", default=guidance, min=0, max=20, label="Guidance"),
        ),
        quality=quality,
        min_side=256,
        max_side=2048,
        output_formats=("png", "jpeg"),
        accepts_negative_prompt=route == "hf-inference",
        accepts_seed=True,
        requires_prompt=True,
        # Pass-through provider pricing is not published in our price sources; 0 marks it
        # unknown so automatic routing ranks priced models first.
        unit_price=0.0,
        notes=f"Served through the router by {route}.",
    )


MODELS: tuple[ModelSpec, ...] = (
    _flux(
        "black-forest-labs/FLUX.1-schnell", "FLUX.1 schnell", Quality.DRAFT, 4, 0.0, "hf-inference"
    ),
    _flux("black-forest-labs/FLUX.1-dev", "FLUX.1 dev", Quality.STANDARD, 28, 3.5, "hf-inference"),
    _flux("fal-ai/flux/schnell", "FLUX.1 schnell (fal)", Quality.DRAFT, 4, 3.5, "fal-ai"),
    _flux("fal-ai/flux/dev", "FLUX.1 dev (fal)", Quality.STANDARD, 28, 3.5, "fal-ai"),
)


class HuggingFaceProvider(RemoteProvider):
    name = "huggingface"
    label = "Hugging Face"
    short_label = "Hugging Face"
    default_base = "https://router.huggingface.co"
    seed_range = (0, 2_147_483_647)

    def __init__(
        self, api_key: str = "", base_url: str = "", *, wait_for_model: bool = False, **kwargs: Any
    ) -> None:
        self.wait_for_model = wait_for_model
        super().__init__(api_key, base_url, **kwargs)

    MODELS = MODELS

    def prepare(
        self, spec: ModelSpec, request: ProviderRequest, params: dict[str, Any]
    ) -> dict[str, Any]:
        if request.image is not None or request.extra_images:
            raise InvalidInput(f"{spec.label} only generates from text.")
        if bool(request.width) != bool(request.height):
            raise InvalidInput("Give both width and height, or neither.")
        return params

    def _call(self, call: Call) -> ProviderResult:
        spec, request = call.spec, call.request
        if spec.id in FAL_MODELS:
            return self._fal(call)
        parameters: dict[str, Any] = dict(call.params)
        if request.width and request.height:
            parameters["width"], parameters["height"] = request.width, request.height
        if request.negative_prompt:
            parameters["negative_prompt"] = request.negative_prompt
        if request.seed is not None:
            parameters["seed"] = request.seed
        headers = {"accept": f"image/{request.output_format}"}
        if self.wait_for_model:
            headers["X-Wait-For-Model"] = "true"
        response = self.http.request(
            "POST",
            f"/hf-inference/models/{spec.id}",
            json={"inputs": request.prompt, "parameters": parameters},
            headers=headers,
        )
        ctype = response.headers.get("content-type", "")
        if not ctype.startswith("image/"):
            raise ProviderError(
                f"{self.label} answered {ctype or 'nothing'} instead of an image: "
                f"{vendor_message(response)}",
                provider=self.name,
            )
        return call.result(
            [image_output(response.content, content_type=ctype.split(";")[0], seed=request.seed)]
        )

    def _fal(self, call: Call) -> ProviderResult:
        spec, request = call.spec, call.request
        body: dict[str, Any] = {"prompt": request.prompt, **call.params}
        if request.width and request.height:
            body["image_size"] = {"width": request.width, "height": request.height}
        if request.seed is not None:
            body["seed"] = request.seed
        body["output_format"] = request.output_format
        answer = response_json(self.http.request("POST", f"/fal-ai/{spec.id}", json=body)) or {}
        images = answer.get("images") or []
        if not images or not isinstance(images[0], dict) or not images[0].get("url"):
            if answer.get("has_nsfw_concepts") and any(answer["has_nsfw_concepts"]):
                raise self._error(ContentFiltered, f"{self.label} filtered the result.")
            raise ProviderError(f"{self.label} returned no image.", provider=self.name)
        seed = answer.get("seed", request.seed)
        outputs = []
        for item in images:
            out = self.http.download(str(item["url"]), max_bytes=50 * 1024 * 1024, seed=seed)
            out.meta["url"] = item["url"]
            outputs.append(out)
        return call.result(outputs)

    def map_error(self, response: httpx.Response, retry_after: float | None) -> ProviderError:
        message = vendor_message(response)
        body = response_json(response)
        status = response.status_code
        if status == 503 and isinstance(body, dict) and "loading" in message.lower():
            wait = body.get("estimated_time")
            try:
                retry_after = float(wait) if wait is not None else retry_after
            except (TypeError, ValueError):
                pass
            return self._error(
                TransientError, f"{self.label}: {message}", status=status, retry_after=retry_after
            )
        if status == 402 or looks_like_insufficient_balance(message):
            return self._error(
                InsufficientProviderBalance,
                f"{self.label} credits are exhausted: {message}",
                status=status,
            )
        if status == 404:
            return self._error(
                RequestRefused,
                f"{self.label} does not serve this model here: {message}",
                status=status,
            )
        return super().map_error(response, retry_after)
