"""Enhanced prompts read like a person wrote them: no template boilerplate, and an LLM
rewrite never carries its own instruction into the text."""

import re

import pytest

from providers.base import ProviderResult
from studio.create import enhance
from studio.create.styles import CREATE_TEMPLATES, get_style, get_template
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db

STOP = {"the", "and", "for", "with", "into", "one", "their", "they", "these", "about", "most"}


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z']+", text.lower()) if len(w) > 2}


@pytest.mark.parametrize("template", CREATE_TEMPLATES, ids=lambda t: t.name)
def test_the_local_enhancer_never_appends_a_templates_description(template):
    result = enhance.enhance_local(prompt="a cup of coffee on a saucer", template=template)
    assert result.prompt.startswith("a cup of coffee on a saucer, ")
    assert "designed for" not in result.prompt
    assert template.use_case.rstrip(".").lower() not in result.prompt.lower()
    assert template.format.label.lower() not in result.prompt.lower()
    # Short cues only: the whole prompt stays a sentence a person would write.
    assert len(result.prompt.split()) < 40


def test_the_final_prompt_carries_no_template_text():
    template = get_template("instagram-square")
    final = enhance.compose_prompt(
        prompt="a red bicycle", style=get_style("photographic"), template=template
    )
    assert final == "a red bicycle, " + get_style("photographic").prompt


def test_the_llm_gets_the_users_words_and_the_guidance_as_its_instruction(
    alice_client, providers_on, pro_plan
):
    servers = providers_on("gemini")
    html = alice_client.post(
        "/create/enhance/",
        {"prompt": "a red bicycle", "template": "instagram-story", "style": "cinematic"},
        **HTMX,
    ).content.decode()
    assert "Enhanced by gemini/" in html
    [call] = servers["gemini"].requests_to(":generateContent", "POST")
    body = call.json
    user_text = " ".join(p["text"] for c in body["contents"] for p in c["parts"])
    assert user_text == "a red bicycle"
    system = " ".join(p["text"] for p in body["systemInstruction"]["parts"])
    assert enhance.INSTRUCTION in system
    assert "portrait (9:16)" in system and "cinematic" in system
    assert get_template("instagram-story").use_case not in system

    # The rewritten text shares no word of the instruction that the user did not write,
    # and none of the guidance notes' labels.
    rewritten = re.search(r'<textarea name="prompt"[^>]*>([^<]*)</textarea>', html).group(1)
    leaked = (_words(enhance.INSTRUCTION) - _words("a red bicycle") - STOP) & _words(rewritten)
    assert rewritten.strip() and not leaked, (rewritten, leaked)
    assert "Frame:" not in rewritten and "Look:" not in rewritten


class _EchoingRegistry:
    """A text model that answers with its own instruction glued to the draft."""

    class _Route:
        class provider:  # noqa: N801 - mimics a route's attributes
            name = "echo"

        class model:  # noqa: N801
            id = "echo-1"

    def choose(self, capability):
        return self._Route

    def execute(self, route, request):
        text = f"{request.params['instruction']} {request.prompt}"
        return ProviderResult(provider="echo", model="echo-1", meta={"text": text})


def test_an_answer_that_repeats_the_instruction_is_replaced_by_the_local_one():
    result = enhance.enhance(registry=_EchoingRegistry(), prompt="a red bicycle")
    assert result.method == "local"
    assert not enhance.echoes_instruction(result.prompt, enhance.INSTRUCTION)
    assert result.prompt.startswith("a red bicycle")


def test_echo_detection_needs_a_run_of_instruction_words():
    assert enhance.echoes_instruction(
        "Sure! You turn a person's idea into one prompt: a bicycle", enhance.INSTRUCTION
    )
    assert not enhance.echoes_instruction(
        "a red bicycle leaning on a wall, golden hour lighting", enhance.INSTRUCTION
    )
