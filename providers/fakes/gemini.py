"""Fake Gemini API: generateContent (image + text) and Imagen :predict (CONTRACTS §4, §7)."""

from __future__ import annotations

import base64
import re
from typing import Any

from .media import image_info, make_image
from .server import FakeServer, RecordedRequest, Reply

GEMINI_SIZES = {
    "1:1": (1024, 1024),
    "2:3": (832, 1248),
    "3:2": (1248, 832),
    "3:4": (864, 1184),
    "4:3": (1184, 864),
    "4:5": (896, 1152),
    "5:4": (1152, 896),
    "9:16": (768, 1344),
    "16:9": (1344, 768),
    "21:9": (1536, 672),
}
IMAGEN_SIZES = {
    "1:1": (1024, 1024),
    "3:4": (896, 1280),
    "4:3": (1280, 896),
    "9:16": (768, 1408),
    "16:9": (1408, 768),
}
IMAGE_MODELS = {
    "gemini-2.5-flash-image",
    "gemini-2.5-flash-image-preview",
    "gemini-3-pro-image-preview",
}
TEXT_MODELS = {"gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro"}
IMAGEN_MODELS = {
    "imagen-4.0-generate-001",
    "imagen-4.0-ultra-generate-001",
    "imagen-4.0-fast-generate-001",
}
# Request fields generateContent knows (camelCase or snake_case); others are refused the way
# the API refuses them: 400 'Invalid JSON payload received. Unknown name "x"'.
REQUEST_FIELDS = {
    "contents",
    "systemInstruction",
    "generationConfig",
    "safetySettings",
    "tools",
    "toolConfig",
    "cachedContent",
}
CONFIG_FIELDS = {
    "responseModalities",
    "imageConfig",
    "temperature",
    "topP",
    "topK",
    "candidateCount",
    "maxOutputTokens",
    "stopSequences",
    "responseMimeType",
    "responseSchema",
    "thinkingConfig",
    "seed",
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def unknown_field(body: dict[str, Any]) -> str:
    """The first field of a generateContent body the API does not know, or ""."""
    for name in body:
        if _camel(name) not in REQUEST_FIELDS:
            return name
    config = body.get("generationConfig") or body.get("generation_config") or {}
    for name in config:
        if _camel(name) not in CONFIG_FIELDS:
            return f"generation_config.{name}"
    return ""


ROUTE = re.compile(r"^/v1beta/models/([A-Za-z0-9.\-]+):(generateContent|predict)$")


def user_idea(text: str) -> str:
    """The user's own words in a prompt-rewrite request, without the instructions around them.

    A request either carries its instructions in ``systemInstruction`` (then the user text is
    the idea) or puts them first in the user text and ends with the idea, usually after a
    label such as "Draft:"; the last paragraph is taken, minus that label.
    """
    last = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()][-1:] or [""]
    idea = last[0].strip()
    label = re.match(r"^(draft|idea|prompt|input|text)\s*:\s*", idea, re.IGNORECASE)
    return idea[label.end() :].strip() if label else idea


def rewrite(idea: str) -> str:
    """What a language model asked to improve an image prompt answers: the idea, enriched."""
    idea = idea.strip().rstrip(".")
    return f"{idea}, detailed composition, soft morning light, rich natural colour, 35mm photo"


class GeminiFake(FakeServer):
    name = "gemini"
    path_prefix = "/v1beta"
    env_key = "GEMINI_API_KEY"
    env_base = "GEMINI_API_BASE"
    default_key = "AIzaFakeGeminiKey0123456789abcdefghijk"

    def reset(self) -> None:
        super().reset()
        # Thinking image models (Gemini 3 Pro Image) send draft images marked
        # ``"thought": true`` before the final one.
        self.thought_images = 0

    def error_kinds(self) -> set[str]:
        return {
            "invalid_argument",
            "invalid_key",
            "permission_denied",
            "rate_limit",
            "unavailable",
            "blocked",
            "safety",
        }

    @staticmethod
    def error(
        code: int,
        status: str,
        message: str,
        reason: str = "",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        err: dict[str, Any] = {"code": code, "message": message, "status": status}
        if reason:
            err["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": reason,
                    "domain": "googleapis.com",
                }
            ]
        return Reply(code, {"error": err}, headers or {})

    def handle(self, request: RecordedRequest) -> Reply:
        injection = self.take_injection(request)
        kind = injection.kind if injection else ""
        if kind == "invalid_key":
            return self.error(
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                "API_KEY_INVALID",
            )
        if kind == "invalid_argument":
            return self.error(
                400, "INVALID_ARGUMENT", 'Invalid JSON payload received. Unknown name "foo".'
            )
        if kind == "permission_denied":
            return self.error(403, "PERMISSION_DENIED", "The caller does not have permission")
        if kind == "rate_limit":
            headers = (
                {"Retry-After": str(injection.options["retry_after"])}
                if "retry_after" in injection.options
                else {}
            )
            return self.error(
                429,
                "RESOURCE_EXHAUSTED",
                "Resource has been exhausted (e.g. check quota).",
                headers=headers,
            )
        if kind == "unavailable":
            return self.error(
                503, "UNAVAILABLE", "The model is overloaded. Please try again later."
            )
        key = request.headers.get("x-goog-api-key") or request.query.get("key")
        if key != self.api_key:
            if not key:
                return self.error(
                    403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers."
                )
            return self.error(
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                "API_KEY_INVALID",
            )
        match = ROUTE.match(request.path)
        if request.method != "POST" or not match:
            return self.error(404, "NOT_FOUND", f"{request.path} is not found.")
        model, method = match.groups()
        body = request.json if isinstance(request.json, dict) else None
        if body is None:
            return self.error(400, "INVALID_ARGUMENT", "Request body must be JSON.")
        if method == "predict":
            if model not in IMAGEN_MODELS:
                return self.error(
                    404, "NOT_FOUND", f"models/{model} is not found for API version v1beta."
                )
            return self._predict(body)
        if model not in IMAGE_MODELS | TEXT_MODELS:
            return self.error(
                404,
                "NOT_FOUND",
                f"models/{model} is not found for API version v1beta, or is not supported for generateContent.",
            )
        return self._generate(model, body, kind)

    def _generate(self, model: str, body: dict[str, Any], kind: str) -> Reply:
        unknown = unknown_field(body)
        if unknown:
            return self.error(
                400, "INVALID_ARGUMENT", f'Invalid JSON payload received. Unknown name "{unknown}"'
            )
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            return self.error(
                400,
                "INVALID_ARGUMENT",
                "* GenerateContentRequest.contents: contents is not specified",
            )
        texts: list[str] = []
        inputs: list[tuple[int, int]] = []
        for content in contents:
            for part in content.get("parts") or []:
                if "text" in part:
                    texts.append(str(part["text"]))
                inline = part.get("inlineData") or part.get("inline_data")
                if inline is not None:
                    try:
                        w, h, _, _ = image_info(
                            base64.b64decode(inline.get("data", ""), validate=True)
                        )
                    except (ValueError, OSError):
                        return self.error(400, "INVALID_ARGUMENT", "Unable to process input image.")
                    inputs.append((w, h))
        config = body.get("generationConfig") or body.get("generation_config") or {}
        modalities = [
            m.upper()
            for m in config.get("responseModalities")
            or config.get("response_modalities")
            or ["TEXT"]
        ]
        image_config = config.get("imageConfig") or config.get("image_config") or {}
        ratio = image_config.get("aspectRatio") or image_config.get("aspect_ratio")
        if ratio is not None and ratio not in GEMINI_SIZES:
            return self.error(400, "INVALID_ARGUMENT", f"Unsupported aspect ratio: {ratio}")
        usage = {"promptTokenCount": 12, "candidatesTokenCount": 1290, "totalTokenCount": 1302}
        if kind == "blocked":
            return Reply(
                200,
                {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": usage},
            )
        if kind == "safety":
            return Reply(
                200,
                {
                    "candidates": [
                        {"content": {"role": "model", "parts": []}, "finishReason": "IMAGE_SAFETY"}
                    ],
                    "usageMetadata": usage,
                },
            )
        prompt = " ".join(texts)
        if "IMAGE" in modalities:
            if model not in IMAGE_MODELS:
                return self.error(
                    400,
                    "INVALID_ARGUMENT",
                    f"Model {model} does not support the requested response modalities: image",
                )
            width, height = (
                GEMINI_SIZES[ratio] if ratio else (inputs[0] if inputs else (1024, 1024))
            )
            data = make_image(width, height, "png", seed=len(prompt))
            parts = []
            for i in range(self.thought_images):
                draft = make_image(width // 2, height // 2, "png", seed=1000 + i)
                parts.append({"text": f"Drafting composition {i + 1}…", "thought": True})
                parts.append(
                    {
                        "inlineData": {
                            "mimeType": "image/png",
                            "data": base64.b64encode(draft).decode(),
                        },
                        "thought": True,
                    }
                )
            parts += [
                {"text": f"Here is the image for: {prompt[:60]}"},
                {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(data).decode()}},
            ]
        else:
            parts = [{"text": rewrite(user_idea(prompt))}]
        return Reply(
            200,
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": parts},
                        "finishReason": "STOP",
                        "index": 0,
                    }
                ],
                "usageMetadata": usage,
                "modelVersion": model,
            },
        )

    def _predict(self, body: dict[str, Any]) -> Reply:
        instances = body.get("instances")
        if (
            not isinstance(instances, list)
            or not instances
            or not str(instances[0].get("prompt") or "").strip()
        ):
            return self.error(400, "INVALID_ARGUMENT", "instances[0].prompt is required")
        params = body.get("parameters") or {}
        count = params.get("sampleCount", 4)
        if not isinstance(count, int) or not 1 <= count <= 4:
            return self.error(400, "INVALID_ARGUMENT", "sampleCount must be between 1 and 4")
        ratio = params.get("aspectRatio", "1:1")
        if ratio not in IMAGEN_SIZES:
            return self.error(400, "INVALID_ARGUMENT", f"aspectRatio {ratio} is not supported")
        if params.get("personGeneration", "allow_adult") not in ("dont_allow", "allow_adult"):
            return self.error(400, "INVALID_ARGUMENT", "personGeneration is invalid")
        width, height = IMAGEN_SIZES[ratio]
        predictions = [
            {
                "bytesBase64Encoded": base64.b64encode(
                    make_image(width, height, "png", seed=i)
                ).decode(),
                "mimeType": "image/png",
            }
            for i in range(count)
        ]
        return Reply(200, {"predictions": predictions})
