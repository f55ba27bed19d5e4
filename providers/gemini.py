"""Google Gemini API: native image generation and editing, Imagen, and prompt enhancement.

``generateContent`` takes text plus ``inlineData`` images and answers candidates whose parts
may hold text and base64 images. Imagen (legacy on this API) uses ``:predict``. The image and
text model ids are configurable because Google retires them on a schedule.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from .base import (
    Capability,
    ContentFiltered,
    InvalidInput,
    ModelSpec,
    ParamSpec,
    ProviderConfigError,
    ProviderError,
    ProviderOutput,
    ProviderRequest,
    ProviderResult,
    Quality,
)
from .config import DEFAULT_GEMINI_IMAGE_MODEL, DEFAULT_GEMINI_TEXT_MODEL
from .http.errors import response_json, vendor_message
from .http.media import (
    InputLimits,
    b64decode,
    check_input_image,
    image_output,
    nearest_aspect_ratio,
    sniff_content_type,
)
from .http.remote import Call, RemoteProvider

GEMINI_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
IMAGEN_RATIOS = ("1:1", "3:4", "4:3", "16:9", "9:16")
IMAGEN_MODEL = "imagen-4.0-generate-001"
SAFETY_REASONS = frozenset(
    {
        "SAFETY",
        "IMAGE_SAFETY",
        "PROHIBITED_CONTENT",
        "BLOCKLIST",
        "SPII",
        "IMAGE_PROHIBITED_CONTENT",
    }
)
INPUT_LIMITS = InputLimits(min_side=16, max_bytes=20 * 1024 * 1024)
MAX_INPUT_IMAGES = 3

ENHANCE_INSTRUCTION = (
    "Rewrite the user's idea as one detailed prompt for an image generator. Keep the subject "
    "and intent, add concrete details about composition, lighting, style and colour, and "
    "answer with the prompt only, no preamble or quotes."
)


def _image_spec(model_id: str) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        label="Gemini image",
        capabilities=frozenset({Capability.TEXT_TO_IMAGE, Capability.PROMPT_EDIT}),
        quality=Quality.STANDARD,
        aspect_ratios=GEMINI_RATIOS,
        output_formats=("png",),
        requires_prompt=True,
        unit_price=0.039,
        notes="About 1024 px; edits follow the wording (no mask). Up to 3 input images via "
        "image and extra_images. Outputs carry a SynthID watermark.",
    )


def _imagen_spec() -> ModelSpec:
    return ModelSpec(
        id=IMAGEN_MODEL,
        label="Imagen 4",
        capabilities=frozenset({Capability.TEXT_TO_IMAGE}),
        params=(
            ParamSpec(
                "person_generation",
                "enum",
                default="allow_adult",
                choices=("dont_allow", "allow_adult"),
                label="People",
            ),
        ),
        quality=Quality.PREMIUM,
        aspect_ratios=IMAGEN_RATIOS,
        output_formats=("png",),
        max_outputs_per_call=4,
        requires_prompt=True,
        unit_price=0.0,  # not in our price sources; legacy on the Gemini API
        notes="Legacy: Google is retiring Imagen on the Gemini API.",
    )


def _text_spec(model_id: str) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        label="Gemini prompt helper",
        capabilities=frozenset({Capability.PROMPT_ENHANCE}),
        params=(ParamSpec("instruction", "str", max=2_000, label="Instruction"),),
        output_formats=(),
        requires_prompt=True,
        unit_price=0.0,
        notes="Returns text in ProviderResult.meta['text'].",
    )


class GeminiProvider(RemoteProvider):
    name = "gemini"
    label = "Google Gemini"
    short_label = "Gemini"
    default_base = "https://generativelanguage.googleapis.com/v1beta"
    max_prompt_chars = 30_000

    def __init__(
        self,
        api_key: str = "",
        base_url: str = "",
        *,
        image_model: str = DEFAULT_GEMINI_IMAGE_MODEL,
        text_model: str = DEFAULT_GEMINI_TEXT_MODEL,
        **kwargs: Any,
    ) -> None:
        self.image_model = image_model or DEFAULT_GEMINI_IMAGE_MODEL
        self.text_model = text_model or DEFAULT_GEMINI_TEXT_MODEL
        self._models = (_image_spec(self.image_model), _imagen_spec(), _text_spec(self.text_model))
        super().__init__(api_key, base_url, **kwargs)

    def models(self) -> list[ModelSpec]:
        return list(self._models)  # the ids come from settings, so per instance

    def auth_headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self._api_key}

    def prepare(
        self, spec: ModelSpec, request: ProviderRequest, params: dict[str, Any]
    ) -> dict[str, Any]:
        images = request.images()
        if spec.id == self.image_model:
            if request.capability == Capability.PROMPT_EDIT and not images:
                raise InvalidInput("Editing needs an input image.")
            if len(images) > MAX_INPUT_IMAGES:
                raise InvalidInput(f"{spec.label} takes at most {MAX_INPUT_IMAGES} images.")
            for data in images:
                check_input_image(data, INPUT_LIMITS)
        elif images:
            raise InvalidInput(f"{spec.label} does not take input images.")
        return params

    def _ratio(self, request: ProviderRequest, choices: tuple[str, ...]) -> str:
        if request.aspect_ratio:
            return request.aspect_ratio
        if request.width and request.height:
            return nearest_aspect_ratio(request.width, request.height, choices)
        return ""

    def _call(self, call: Call) -> ProviderResult:
        if call.spec.id == IMAGEN_MODEL:
            return self._imagen(call)
        if Capability.PROMPT_ENHANCE in call.spec.capabilities:
            return self._enhance(call)
        return self._generate(call)

    # ------------------------------------------------------------------ generateContent

    def _generate(self, call: Call) -> ProviderResult:
        spec, request = call.spec, call.request
        parts: list[dict[str, Any]] = [{"text": request.prompt}]
        for data in request.images():
            parts.append({"inlineData": {"mimeType": sniff_content_type(data), "data": _b64(data)}})
        config: dict[str, Any] = {"responseModalities": ["TEXT", "IMAGE"]}
        ratio = self._ratio(request, GEMINI_RATIOS)
        if ratio:
            config["imageConfig"] = {"aspectRatio": ratio}
        body = {"contents": [{"role": "user", "parts": parts}], "generationConfig": config}
        answer = self._post(f"/models/{spec.id}:generateContent", body)
        images, texts = self._parts(answer)
        if not images:
            self._raise_blocked(answer, texts)
        outputs = [image_output(data, content_type=ctype) for ctype, data in images]
        meta = {"text": "\n".join(texts)} if texts else {}
        return call.result(outputs, **meta)

    def _enhance(self, call: Call) -> ProviderResult:
        spec, request = call.spec, call.request
        instruction = call.params.get("instruction") or ENHANCE_INSTRUCTION
        body = {
            "systemInstruction": {"parts": [{"text": instruction}]},
            "contents": [{"role": "user", "parts": [{"text": request.prompt}]}],
            "generationConfig": {"responseModalities": ["TEXT"]},
        }
        answer = self._post(f"/models/{spec.id}:generateContent", body)
        _, texts = self._parts(answer)
        text = "\n".join(texts).strip()
        if not text:
            self._raise_blocked(answer, texts)
        return call.result(text=text)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = response_json(self.http.request("POST", path, json=body))
        if not isinstance(answer, dict):
            raise ProviderError(f"{self.label} returned an unreadable answer.", provider=self.name)
        return answer

    @staticmethod
    def _parts(answer: dict[str, Any]) -> tuple[list[tuple[str, bytes]], list[str]]:
        images: list[tuple[str, bytes]] = []
        texts: list[str] = []
        for candidate in answer.get("candidates") or []:
            for part in (candidate.get("content") or {}).get("parts") or []:
                if part.get("thought"):
                    continue  # the model's drafts while thinking, not the answer
                inline = part.get("inlineData") or part.get("inline_data")
                if inline and inline.get("data"):
                    ctype = inline.get("mimeType") or inline.get("mime_type") or ""
                    images.append((ctype, b64decode(inline["data"], label="Gemini")))
                elif part.get("text"):
                    texts.append(part["text"])
        return images, texts

    def _raise_blocked(self, answer: dict[str, Any], texts: list[str]) -> None:
        block = (answer.get("promptFeedback") or {}).get("blockReason")
        if block:
            raise self._error(ContentFiltered, f"{self.label} blocked the prompt ({block}).")
        reasons = [c.get("finishReason") for c in answer.get("candidates") or []]
        for reason in reasons:
            if reason in SAFETY_REASONS:
                raise self._error(ContentFiltered, f"{self.label} withheld the result ({reason}).")
        detail = f": {' '.join(texts)[:300]}" if texts else ""
        raise self._error(ProviderError, f"{self.label} returned no image{detail}")

    # ------------------------------------------------------------------ Imagen

    def _imagen(self, call: Call) -> ProviderResult:
        spec, request = call.spec, call.request
        parameters: dict[str, Any] = {
            "sampleCount": request.n,
            "personGeneration": call.params["person_generation"],
        }
        ratio = self._ratio(request, IMAGEN_RATIOS)
        if ratio:
            parameters["aspectRatio"] = ratio
        answer = self._post(
            f"/models/{spec.id}:predict",
            {"instances": [{"prompt": request.prompt}], "parameters": parameters},
        )
        outputs: list[ProviderOutput] = []
        for prediction in answer.get("predictions") or []:
            data = prediction.get("bytesBase64Encoded")
            if data:
                outputs.append(
                    image_output(
                        b64decode(data, label=self.label),
                        content_type=prediction.get("mimeType", ""),
                    )
                )
        if not outputs:
            raise self._error(
                ContentFiltered, f"{self.label} returned no image; it may have been filtered."
            )
        return call.result(outputs)

    # ------------------------------------------------------------------ errors

    def map_error(self, response: httpx.Response, retry_after: float | None) -> ProviderError:
        body = response_json(response)
        err = body.get("error") if isinstance(body, dict) else None
        status_name = err.get("status", "") if isinstance(err, dict) else ""
        message = vendor_message(response)
        reasons = {
            str(d.get("reason", ""))
            for d in (err.get("details") or [] if isinstance(err, dict) else [])
            if isinstance(d, dict)
        }
        status = response.status_code
        if "API_KEY_INVALID" in reasons or "api key not valid" in message.lower():
            return self._error(
                ProviderConfigError, f"{self.label} rejected the API key: {message}", status=status
            )
        if status_name == "FAILED_PRECONDITION":
            return self._error(
                ProviderConfigError,
                f"{self.label} is not available for this account (billing or region): {message}",
                status=status,
            )
        return super().map_error(response, retry_after)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
