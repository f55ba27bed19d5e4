from __future__ import annotations

import pytest
from PIL import Image

from providers.base import Canceled, Capability, InvalidInput, ProviderRequest

from .conftest import png

OFFLINE_MODELS = {
    "remove-background": Capability.REMOVE_BACKGROUND,
    "upscale-fast": Capability.UPSCALE_FAST,
    "upscale-hq": Capability.UPSCALE_HQ,
    "erase": Capability.ERASE,
    "outpaint": Capability.OUTPAINT,
    "replace-background": Capability.REPLACE_BACKGROUND,
    "recolor": Capability.RECOLOR,
    "focal-point": Capability.FOCAL_POINT,
}


def test_each_offline_operation_is_a_model_with_declared_params(engine):
    specs = {spec.id: spec for spec in engine.models()}
    for model_id, capability in OFFLINE_MODELS.items():
        assert capability in specs[model_id].capabilities
        assert engine.model_for(capability).id == model_id
    assert engine.model_for(Capability.INPAINT).id == "erase"
    assert specs["erase"].requires_mask and specs["recolor"].requires_mask
    assert {p.name for p in specs["outpaint"].params} >= {"left", "right", "up", "down", "method"}
    assert specs["recolor"].param("color").required


def test_it_refuses_params_a_model_does_not_declare(engine):
    request = ProviderRequest(
        capability=Capability.UPSCALE_FAST,
        image=png(Image.new("RGB", (8, 8))),
        params={"scale": "3"},
    )
    with pytest.raises(InvalidInput, match="Scale must be one of"):
        engine.run(request)


def test_it_stops_when_the_job_is_cancelled(engine):
    request = ProviderRequest(
        capability=Capability.FOCAL_POINT, image=png(Image.new("RGB", (8, 8)))
    )
    with pytest.raises(Canceled):
        engine.run(request, cancel=lambda: True)


def test_it_refuses_images_over_the_engine_limit(engine, monkeypatch):
    from providers.local import engine as engine_module

    monkeypatch.setattr(engine_module, "MAX_INPUT_PIXELS", 1000)
    request = ProviderRequest(
        capability=Capability.FOCAL_POINT, image=png(Image.new("RGB", (40, 40)))
    )
    with pytest.raises(InvalidInput, match="takes up to"):
        engine.run(request)
