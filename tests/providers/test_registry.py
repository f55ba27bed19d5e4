"""Registry: configuration, automatic routing, circuit breaker and the status rows."""

from __future__ import annotations

import pytest

from providers.base import (
    Capability,
    ContentFiltered,
    InsufficientProviderBalance,
    InvalidInput,
    ProviderError,
    ProviderRequest,
    ProviderUnavailable,
    Quality,
    RequestRefused,
    TransientError,
)
from providers.config import ProvidersConfig
from providers.fakes import env_for
from providers.local import LocalEngine
from providers.registry import (
    InMemoryHealthStore,
    build_registry,
    falls_back,
    get_provider,
    registry,
    reset_registry,
)

ALL_KEYS = {
    "STABILITY_API_KEY": "sk-stab-0123456789",
    "WAVESPEED_API_KEY": "ws-0123456789abcdef",
    "HF_TOKEN": "hf_0123456789abcdef",
    "GEMINI_API_KEY": "AIza0123456789abcdefghijklmn",
    "OPENAI_API_KEY": "sk-openai-0123456789",
}


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make(env, **kwargs):
    return build_registry(ProvidersConfig.from_env(env), **kwargs)


# --------------------------------------------------------------------------- config


def test_config_defaults_to_the_real_services_and_nothing_enabled():
    config = ProvidersConfig.from_env({})
    assert config.enabled() == []
    assert config.stability_api_base == "https://api.stability.ai"
    assert config.wavespeed_api_base == "https://api.wavespeed.ai/api/v3"
    assert config.hf_api_base == "https://router.huggingface.co"
    assert config.gemini_api_base == "https://generativelanguage.googleapis.com/v1beta"
    assert config.openai_api_base == "https://api.openai.com/v1"
    assert config.gemini_image_model == "gemini-2.5-flash-image"


def test_a_provider_is_enabled_exactly_when_its_key_is_set():
    config = ProvidersConfig.from_env(
        {
            "STABILITY_API_KEY": "abc12345",
            "HF_TOKEN": "  ",
            "GEMINI_IMAGE_MODEL": "gemini-3-pro-image-preview",
        }
    )
    assert config.enabled() == ["stability"]
    reg = build_registry(config)
    configured = {p.name for p in reg.configured()}
    assert configured == {"local", "stability"}
    assert not reg.all()[4].is_configured() and reg.all()[4].name == "gemini"


def test_unconfigured_providers_are_listed_but_not_gettable():
    reg = make({"STABILITY_API_KEY": "abc12345"})
    assert {p.name for p in reg.all()} == {
        "local",
        "stability",
        "wavespeed",
        "huggingface",
        "gemini",
        "openai",
    }
    assert isinstance(reg.get("local"), LocalEngine)
    assert reg.get("stability").name == "stability"
    with pytest.raises(ProviderUnavailable, match="not configured"):
        reg.get("openai")
    with pytest.raises(ProviderUnavailable, match="Unknown"):
        reg.get("nope")


def test_config_rejects_a_bad_base_url():
    with pytest.raises(Exception, match="STABILITY_API_BASE"):
        ProvidersConfig.from_env({"STABILITY_API_BASE": "ftp://example"})


def test_gemini_model_ids_come_from_config():
    reg = make(
        {
            "GEMINI_API_KEY": "AIza0123456789",
            "GEMINI_IMAGE_MODEL": "gemini-3-pro-image-preview",
            "GEMINI_TEXT_MODEL": "gemini-2.5-pro",
        }
    )
    ids = {s.id for s in reg.get("gemini").models()}
    assert {"gemini-3-pro-image-preview", "gemini-2.5-pro"} <= ids


def test_process_registry_reads_the_environment(monkeypatch):
    monkeypatch.delenv("STABILITY_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-0123456789")
    reset_registry()
    try:
        assert get_provider("local").name == "local"
        assert get_provider("openai").is_configured()
        assert any(p.name == "local" for p in registry().all())
    finally:
        reset_registry()


# --------------------------------------------------------------------------- routing


def test_cheapest_capable_configured_model_comes_first():
    reg = make({"STABILITY_API_KEY": "abc12345"})
    routes = reg.rank(Capability.TEXT_TO_IMAGE, quality=Quality.STANDARD, width=1024, height=1024)
    first = routes[0]
    assert (first.provider.name, first.model.id) == ("stability", "core")
    assert first.unit_price == 3 and first.price_usd == pytest.approx(0.03)
    assert (
        first.reason
        == "Auto: Stability Core — the cheapest configured model for 1024×1024 at Standard quality"
    )
    standard = [r for r in routes if r.model.quality == Quality.STANDARD]
    assert [r.price_usd for r in standard] == sorted(r.price_usd for r in standard)
    assert routes[1].reason.startswith("Fallback 1: Stability ")


def test_ranking_compares_prices_across_providers_in_dollars():
    reg = make(ALL_KEYS)
    first = reg.choose(Capability.TEXT_TO_IMAGE, quality="standard", width=1024, height=1024)
    assert (first.provider.name, first.model.id) == (
        "wavespeed",
        "wavespeed-ai/qwen-image/text-to-image",
    )
    assert (
        first.reason
        == "Auto: WaveSpeed Qwen Image — the cheapest configured model for 1024×1024 at Standard quality"
    )


def test_quality_tier_is_respected():
    reg = make(ALL_KEYS)
    draft = reg.choose(Capability.TEXT_TO_IMAGE, quality=Quality.DRAFT)
    premium = reg.choose(Capability.TEXT_TO_IMAGE, quality=Quality.PREMIUM)
    assert draft.model.quality == Quality.DRAFT
    assert (draft.provider.name, draft.model.id) == ("stability", "sd3.5-flash")
    assert premium.model.quality == Quality.PREMIUM
    assert (premium.provider.name, premium.model.id) == ("openai", "gpt-image-1")


def test_size_filters_models_and_higher_tier_is_used_when_needed():
    reg = make({"OPENAI_API_KEY": "sk-openai-0123456789", "STABILITY_API_KEY": "abc12345"})
    routes = reg.rank(Capability.TEXT_TO_IMAGE, quality=Quality.STANDARD, width=1536, height=1024)
    assert routes[0].model.id == "core"
    # OpenAI only takes its fixed sizes, so 800×600 rules it out.
    routes = reg.rank(Capability.TEXT_TO_IMAGE, width=800, height=600)
    assert all(r.provider.name != "openai" for r in routes)


def test_mask_requirement_picks_mask_capable_models():
    reg = make(ALL_KEYS)
    routes = reg.rank(Capability.INPAINT, needs_mask=True)
    remote = {(r.provider.name, r.model.id) for r in routes if r.provider.name != "local"}
    assert remote == {("stability", "inpaint"), ("openai", "gpt-image-1")}
    assert reg.rank(Capability.INPAINT, provider="stability")[0].model.id == "inpaint"
    with pytest.raises(ProviderUnavailable):
        reg.rank(Capability.PROMPT_EDIT, needs_mask=True, provider="gemini")


def test_explicit_model_is_honoured():
    reg = make(ALL_KEYS)
    route = reg.choose(Capability.TEXT_TO_IMAGE, model="ultra")
    assert route.model.id == "ultra"
    assert route.reason == "Auto: Stability Ultra — the requested model at Standard quality"


def test_unknown_prices_rank_after_known_ones():
    reg = make({"HF_TOKEN": "hf_0123456789abc", "STABILITY_API_KEY": "abc12345"})
    routes = reg.rank(Capability.TEXT_TO_IMAGE, quality=Quality.DRAFT)
    priced = [r.price_usd is not None for r in routes if r.model.quality == Quality.DRAFT]
    assert priced == sorted(priced, reverse=True)
    assert routes[0].provider.name == "stability"


def test_nothing_configured_raises_unavailable():
    reg = make({})
    with pytest.raises(ProviderUnavailable, match="No configured provider can do text to image"):
        reg.rank(Capability.TEXT_TO_IMAGE)
    # The local engine still serves its own tools.
    assert reg.choose(Capability.RESIZE).provider.name == "local"


# --------------------------------------------------------------------------- circuit breaker


def test_circuit_opens_after_consecutive_failures_and_recovers_after_cooldown():
    ticker = Ticker()
    reg = make(
        {"STABILITY_API_KEY": "abc12345", "WAVESPEED_API_KEY": "ws-0123456789"},
        clock=ticker,
        failure_threshold=3,
        cooldown=60,
    )
    assert reg.choose(Capability.TEXT_TO_IMAGE).provider.name == "wavespeed"
    reg.record_failure("wavespeed")
    reg.record_failure("wavespeed")
    assert reg.circuit("wavespeed") == "closed"
    reg.record_failure("wavespeed")
    assert reg.circuit("wavespeed") == "open"
    first = reg.choose(Capability.TEXT_TO_IMAGE, width=1024, height=1024)
    assert first.provider.name == "stability"
    assert first.reason == (
        "Auto: Stability Core — the cheapest configured model for 1024×1024 at Standard quality; "
        "skipped WaveSpeed after repeated failures"
    )
    ticker.now = 61
    assert reg.circuit("wavespeed") == "half_open"
    assert reg.choose(Capability.TEXT_TO_IMAGE).provider.name == "wavespeed"
    # A failed trial re-opens at once; a success closes it.
    reg.record_failure("wavespeed")
    assert reg.circuit("wavespeed") == "open"
    ticker.now = 130
    reg.record_success("wavespeed", 120.0)
    assert reg.circuit("wavespeed") == "closed"


def test_success_resets_the_failure_count():
    reg = make({"STABILITY_API_KEY": "abc12345"}, failure_threshold=2)
    reg.record_failure("stability")
    reg.record_success("stability")
    reg.record_failure("stability")
    assert reg.circuit("stability") == "closed"


def test_all_open_lists_the_paused_providers():
    reg = make({"STABILITY_API_KEY": "abc12345"}, failure_threshold=1)
    reg.record_failure("stability")
    with pytest.raises(ProviderUnavailable, match="Stability paused"):
        reg.rank(Capability.UPSCALE_CREATIVE)


def test_status_rows_report_latency_error_rate_and_circuit():
    ticker = Ticker()
    reg = make({"STABILITY_API_KEY": "abc12345"}, clock=ticker, failure_threshold=5)
    for latency in (100.0, 300.0, 200.0):
        reg.record_success("stability", latency)
    reg.record_failure("stability", 900.0)
    rows = {row["name"]: row for row in reg.status()}
    row = rows["stability"]
    assert row["label"] == "Stability AI"
    assert row["configured"] is True
    assert "text_to_image" in row["capabilities"] and "image_to_3d" in row["capabilities"]
    assert row["p50_latency_ms"] == 250.0
    assert row["error_rate"] == 0.25
    assert row["circuit"] == "closed"
    assert rows["openai"]["configured"] is False
    assert rows["openai"]["p50_latency_ms"] is None and rows["openai"]["error_rate"] == 0.0
    assert rows["local"]["configured"] is True


def test_health_store_is_pluggable_and_windowed():
    store = InMemoryHealthStore(window=3)
    reg = make({"STABILITY_API_KEY": "abc12345"}, health=store)
    for _ in range(5):
        reg.record_failure("stability", 10.0)
    assert len(store.get("stability").samples) == 3
    assert store.get("stability").consecutive_failures == 5


# --------------------------------------------------------------------------- execute against the fakes


def test_execute_records_health_from_real_calls(stability_fake, clock):
    env = env_for({"stability": stability_fake})
    ticker = Ticker()
    reg = make(
        env, clock=ticker, failure_threshold=2, provider_kwargs={"stability": {"clock": clock}}
    )
    route = reg.choose(Capability.TEXT_TO_IMAGE)
    result = reg.execute(route, ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="x"))
    assert result.model == "core"
    stability_fake.inject("server_error", times=20)
    for _ in range(2):
        with pytest.raises(TransientError):
            reg.execute(route, ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="x"))
    assert reg.circuit("stability") == "open"
    row = next(r for r in reg.status() if r["name"] == "stability")
    assert row["calls"] == 3 and row["error_rate"] == pytest.approx(0.667)
    reg.close()


def test_invalid_input_does_not_count_against_health(stability_fake):
    reg = make(env_for({"stability": stability_fake}), failure_threshold=1)
    with pytest.raises(Exception):
        reg.execute(reg.get("stability"), ProviderRequest(Capability.TEXT_TO_IMAGE, prompt=""))
    assert reg.circuit("stability") == "closed"
    assert stability_fake.requests == []
    reg.close()


# --------------------------------------------------------------------------- fallback


def _draft_routes(reg):
    return [
        (r.provider.name, r.model.id) for r in reg.rank(Capability.TEXT_TO_IMAGE, quality="draft")
    ]


def test_auto_moves_on_when_the_server_refuses_the_model_id(stability_fake, wavespeed_fake, clock):
    stability_fake.retired_models = {"sd3.5-flash"}  # answered 400, like a retired id
    reg = make(
        env_for({"stability": stability_fake, "wavespeed": wavespeed_fake}),
        provider_kwargs={"stability": {"clock": clock}, "wavespeed": {"clock": clock}},
    )
    routes = _draft_routes(reg)
    assert routes[0] == ("stability", "sd3.5-flash")
    result = reg.execute_routes(
        routes, lambda spec: ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="a kite")
    )
    assert (result.provider, result.model) == routes[1]
    [skipped] = result.meta["skipped_routes"]
    assert skipped["provider"] == "stability" and skipped["model"] == "sd3.5-flash"
    assert skipped["code"] == "invalid_input" and "sd3.5-flash" in skipped["reason"]
    assert "after Stability SD 3.5 Flash" in result.meta["route_note"]
    assert len(stability_fake.requests_to("/generate/sd3")) == 1  # refused once, not retried
    assert reg.circuit("stability") == "closed"  # a refused id says nothing of its health
    for out in result.outputs:
        out.open().close()
    reg.close()


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("content_moderation", ContentFiltered),
        ("insufficient_balance", InsufficientProviderBalance),
    ],
)
def test_auto_does_not_move_on_for_content_or_credits(
    stability_fake, wavespeed_fake, clock, kind, error
):
    reg = make(
        env_for({"stability": stability_fake, "wavespeed": wavespeed_fake}),
        provider_kwargs={"stability": {"clock": clock}, "wavespeed": {"clock": clock}},
    )
    stability_fake.inject(kind)
    with pytest.raises(error):
        reg.execute_routes(
            _draft_routes(reg),
            lambda spec: ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="a kite"),
        )
    assert wavespeed_fake.requests == []
    reg.close()


@pytest.mark.parametrize(
    ("first", "code", "reason"),
    [
        (("stability", "sd3-retired"), "invalid_input", "no longer offers sd3-retired"),
        (("openai", "gpt-image-1"), "unavailable", "not configured"),  # key gone since queued
    ],
)
def test_a_route_that_cannot_run_any_more_is_skipped_with_its_reason(
    stability_fake, clock, first, code, reason
):
    reg = make(
        env_for({"stability": stability_fake}), provider_kwargs={"stability": {"clock": clock}}
    )
    result = reg.execute_routes(
        [first, ("stability", "core")],
        lambda spec: ProviderRequest(Capability.TEXT_TO_IMAGE, prompt="a kite"),
    )
    assert result.model == "core"
    [skipped] = result.meta["skipped_routes"]
    assert skipped["code"] == code and reason in skipped["reason"]
    with pytest.raises(ProviderError, match=reason):  # as the last route, it is the error
        reg.execute_routes([first], lambda spec: None)
    reg.close()


def test_falls_back_only_for_transient_faults_and_refusals():
    assert falls_back(TransientError("busy"))
    assert falls_back(RequestRefused("model: must be one of …", status=400))
    assert not falls_back(ContentFiltered("no"))
    assert not falls_back(InsufficientProviderBalance("no credits"))
    assert not falls_back(InvalidInput("A prompt is required."))  # our own check: same everywhere
