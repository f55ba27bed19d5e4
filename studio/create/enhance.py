"""Prompt enhancement: a deterministic local composer, and an optional LLM rewrite.

The prompt stays the user's: the local enhancer keeps their words first and adds only
short cues (style, persona, composition for the template's shape, lighting, quality),
never a template's description. With a text-capable provider configured, an LLM rewrites
the user's words; the instruction and the template/style guidance travel as the model's
system instruction, never inside the text it rewrites, and an answer that repeats the
instruction is thrown away for the local result. The user always sees the text before
generating.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from providers.base import Capability, ProviderError, ProviderRequest

from .styles import CreateTemplate, StylePreset

logger = logging.getLogger(__name__)

_COMPOSITION = {
    "portrait": "vertical composition, subject centred in the frame",
    "landscape": "wide composition with room around the subject",
    "square": "balanced centred composition",
}


@dataclass
class Enhanced:
    prompt: str
    negative: str
    method: str  # "local" or the provider/model that rewrote it


def _dedupe(parts: list[str]) -> list[str]:
    seen, out = set(), []
    for part in parts:
        for piece in (p.strip() for p in part.split(",")):
            key = piece.lower()
            if piece and key not in seen:
                seen.add(key)
                out.append(piece)
    return out


def compose_negative(*, negative: str = "", style: StylePreset | None = None, persona=None) -> str:
    """The negative prompt: the user's words, then the style's, then the persona's avoid list."""
    parts = [negative]
    if style is not None:
        parts.append(style.negative)
    if persona is not None and persona.avoid:
        parts.append(persona.avoid)
    return ", ".join(_dedupe(parts))


def compose_prompt(
    *,
    prompt: str,
    style: StylePreset | None = None,
    persona=None,
    template: CreateTemplate | None = None,
) -> str:
    """The final prompt sent to providers: the user's words first, then style and persona.

    The template shapes the request through its size (width/height or aspect ratio, sent
    as separate fields), not through words: its description is written for people picking
    a template, not for an image model. ``template`` is accepted for symmetry and ignored.
    """
    parts = [prompt.strip().rstrip(".")]
    if style is not None:
        parts.append(style.prompt)
    if persona is not None:
        if persona.visual_style:
            parts.append(persona.visual_style)
        if persona.colours:
            parts.append("brand colour palette " + " ".join(persona.colours))
    return ", ".join(_dedupe(parts))


def enhance_local(
    *, prompt: str, negative: str = "", style=None, persona=None, template=None
) -> Enhanced:
    """A fuller prompt: the composed prompt plus composition, lighting and quality cues."""
    base = compose_prompt(prompt=prompt, style=style, persona=persona, template=template)
    cues = []
    if template is not None:
        w, h = template.width, template.height
        shape = "square" if abs(w - h) < 0.1 * max(w, h) else ("portrait" if h > w else "landscape")
        cues.append(_COMPOSITION[shape])
        if template.format.safe.top >= 0.2 or template.format.safe.bottom >= 0.2:
            cues.append("keep the main subject away from the top and bottom edges")
    if persona is not None and persona.voice:
        cues.append(f"mood: {persona.voice}")
    if not style or style.category != "Photo":
        cues.append("cohesive colour harmony")
    else:
        cues.append("flattering natural lighting")
    cues.append("high detail, sharp focus, professional quality")
    text = ", ".join(_dedupe([base, *cues]))
    return Enhanced(
        prompt=text,
        negative=compose_negative(negative=negative, style=style, persona=persona),
        method="local",
    )


INSTRUCTION = (
    "You turn a person's idea into one prompt for an image generator. Keep their subject, "
    "wording and every constraint they gave; add concrete specifics about framing, "
    "lighting and materials. Reply with the prompt alone: at most 90 words, no preamble, no "
    "quotes, and never repeat these instructions."
)


def instruction_for(*, style=None, persona=None, template=None) -> str:
    """The system instruction for an LLM rewrite, with the guidance as short notes.

    Template and style guidance go here, as notes to the model, so none of it is pasted
    into the user's text: the template by its shape and platform, never its description.
    """
    notes = []
    if template is not None:
        w, h = template.width, template.height
        shape = "square" if abs(w - h) < 0.1 * max(w, h) else ("portrait" if h > w else "landscape")
        notes.append(f"Frame: {shape} ({template.aspect_label}), for {template.format.label}.")
    if style is not None:
        notes.append(f"Look: {style.name.lower()} ({style.prompt}).")
    if persona is not None:
        if persona.visual_style:
            notes.append(f"Brand look: {persona.visual_style}.")
        if persona.voice:
            notes.append(f"Mood: {persona.voice}.")
    return " ".join([INSTRUCTION, *notes])


_WORD = re.compile(r"[a-z0-9']+")


def echoes_instruction(text: str, instruction: str, *, run: int = 5) -> bool:
    """True when ``text`` repeats ``run`` or more consecutive words of ``instruction``."""
    words = _WORD.findall(instruction.lower())
    said = " " + " ".join(_WORD.findall(text.lower())) + " "
    return any(
        f" {' '.join(words[i : i + run])} " in said for i in range(max(0, len(words) - run + 1))
    )


def enhance(
    *,
    registry,
    prompt: str,
    negative: str = "",
    style=None,
    persona=None,
    template=None,
    allow_llm=None,
) -> Enhanced:
    """The local enhancement, rewritten by an LLM when one is configured and allowed.

    ``allow_llm(provider_name)`` decides per request (the user's plan, a rate limit); the
    local result stands whenever it says no.
    """
    local = enhance_local(
        prompt=prompt, negative=negative, style=style, persona=persona, template=template
    )
    try:
        route = registry.choose(Capability.PROMPT_ENHANCE)
    except ProviderError:
        return local
    if route.provider.name == "local":
        return local
    if allow_llm is not None and not allow_llm(route.provider.name):
        return local
    instruction = instruction_for(style=style, persona=persona, template=template)
    try:
        result = registry.execute(
            route,
            ProviderRequest(
                capability=Capability.PROMPT_ENHANCE,
                prompt=prompt.strip(),
                params={"instruction": instruction},
            ),
        )
    except ProviderError as exc:
        logger.info(
            "prompt rewrite by %s failed (%s); using the local enhancement",
            route.provider.name,
            exc.code,
        )
        return local
    text = str(result.meta.get("text", "")).strip().strip('"')
    if not text:
        return local
    if echoes_instruction(text, instruction):
        logger.info("prompt rewrite by %s repeated its instruction; using the local one", route)
        return local
    return Enhanced(
        prompt=text, negative=local.negative, method=f"{route.provider.name}/{route.model.id}"
    )
