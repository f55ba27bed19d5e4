"""Provider settings read from an environment mapping.

Every integration stays off until its key is set; the base URLs default to the real
services and can be pointed at the fake servers in :mod:`providers.fakes`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from urllib.parse import urlsplit

from .base import ProviderConfigError

STABILITY_BASE = "https://api.stability.ai"
WAVESPEED_BASE = "https://api.wavespeed.ai/api/v3"
HF_BASE = "https://router.huggingface.co"
GEMINI_BASE = "https://generativelanguage.googleapis.com/v1beta"
OPENAI_BASE = "https://api.openai.com/v1"

DEFAULT_GEMINI_IMAGE_MODEL = "gemini-2.5-flash-image"
DEFAULT_GEMINI_TEXT_MODEL = "gemini-2.5-flash"

_SECRET_FIELDS = frozenset(
    {"stability_api_key", "wavespeed_api_key", "hf_token", "gemini_api_key", "openai_api_key"}
)


def _base(env: Mapping[str, str], name: str, default: str) -> str:
    value = (env.get(name) or "").strip() or default
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ProviderConfigError(f"{name} must be an http(s) URL, got {value!r}.")
    return value.rstrip("/")


@dataclass(frozen=True)
class ProvidersConfig:
    stability_api_key: str = ""
    stability_api_base: str = STABILITY_BASE
    wavespeed_api_key: str = ""
    wavespeed_api_base: str = WAVESPEED_BASE
    hf_token: str = ""
    hf_api_base: str = HF_BASE
    gemini_api_key: str = ""
    gemini_api_base: str = GEMINI_BASE
    gemini_image_model: str = DEFAULT_GEMINI_IMAGE_MODEL
    gemini_text_model: str = DEFAULT_GEMINI_TEXT_MODEL
    openai_api_key: str = ""
    openai_api_base: str = OPENAI_BASE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ProvidersConfig:
        """Build the configuration from ``env`` (``os.environ`` when omitted)."""
        env = os.environ if env is None else env

        def key(name: str) -> str:
            return (env.get(name) or "").strip()

        return cls(
            stability_api_key=key("STABILITY_API_KEY"),
            stability_api_base=_base(env, "STABILITY_API_BASE", STABILITY_BASE),
            wavespeed_api_key=key("WAVESPEED_API_KEY"),
            wavespeed_api_base=_base(env, "WAVESPEED_API_BASE", WAVESPEED_BASE),
            hf_token=key("HF_TOKEN"),
            hf_api_base=_base(env, "HF_API_BASE", HF_BASE),
            gemini_api_key=key("GEMINI_API_KEY"),
            gemini_api_base=_base(env, "GEMINI_API_BASE", GEMINI_BASE),
            gemini_image_model=key("GEMINI_IMAGE_MODEL") or DEFAULT_GEMINI_IMAGE_MODEL,
            gemini_text_model=key("GEMINI_TEXT_MODEL") or DEFAULT_GEMINI_TEXT_MODEL,
            openai_api_key=key("OPENAI_API_KEY"),
            openai_api_base=_base(env, "OPENAI_API_BASE", OPENAI_BASE),
        )

    def enabled(self) -> list[str]:
        """Names of the providers whose key is set."""
        pairs = (
            ("stability", self.stability_api_key),
            ("wavespeed", self.wavespeed_api_key),
            ("huggingface", self.hf_token),
            ("gemini", self.gemini_api_key),
            ("openai", self.openai_api_key),
        )
        return [name for name, key in pairs if key]

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRET_FIELDS:
                shown.append(f"{f.name}={'***' if value else ''!r}")
            else:
                shown.append(f"{f.name}={value!r}")
        return f"ProvidersConfig({', '.join(shown)})"

    __str__ = __repr__
