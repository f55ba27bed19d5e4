"""The fake servers and plan helpers the Upscale tests use."""

from tests.upscale.conftest import fake_servers, on_plan, providers_on  # noqa: F401
