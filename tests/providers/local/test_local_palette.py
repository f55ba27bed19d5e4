from __future__ import annotations

import colorsys
import io
import struct

import cv2
import numpy as np
import pytest
from PIL import Image

from providers.base import Capability, InvalidInput
from providers.local import palettes, tools

from .conftest import run


def hsv(colour: dict) -> tuple[float, float, float]:
    return colorsys.rgb_to_hsv(*(v / 255 for v in colour["rgb"]))


def delta_e(a, b) -> float:
    lab = cv2.cvtColor(np.array([[a, b]], dtype=np.float32) / 255.0, cv2.COLOR_RGB2LAB)[0]
    return float(np.linalg.norm(lab[0] - lab[1]))


# ----------------------------------------------------------------------------- extraction


@pytest.mark.parametrize("mode", tools.PALETTE_MODES)
def test_each_palette_keeps_to_its_documented_band(coffee, mode):
    colours = tools.palette(Image.fromarray(coffee), count=6, mode=mode)

    band = tools.PALETTE_BANDS[mode]
    assert len(colours) == 6
    for colour in colours:
        _, s, v = hsv(colour)
        assert band["saturation"][0] <= s <= band["saturation"][1], colour
        assert band["value"][0] <= v <= band["value"][1], colour
    for i, a in enumerate(colours):  # distinct colours, not six shades of one
        for b in colours[i + 1 :]:
            assert delta_e(a["rgb"], b["rgb"]) >= tools.PALETTE_MIN_DELTA_E - 0.5


def test_muted_on_the_coffee_photo_is_really_muted(coffee):
    # It used to return saturation 0.6–0.8 here.
    colours = tools.palette(Image.fromarray(coffee), count=6, mode="muted")

    assert max(hsv(c)[1] for c in colours) <= 0.40


def test_vibrant_finds_the_cats_green_eyes(chelsea):
    # The irises' median colour (pixels within 22 px of each eye, pupils left out) is an
    # olive green; the palette used to offer six browns of the fur instead.
    eyes = (114, 90, 48)

    colours = tools.palette(Image.fromarray(chelsea), count=6, mode="vibrant")

    assert min(delta_e(eyes, c["rgb"]) for c in colours) < 6


def test_a_greyscale_photo_has_no_vibrant_colours_and_says_so():
    grey = Image.new("L", (64, 64), 128)

    with pytest.raises(InvalidInput, match="no vibrant colours"):
        tools.palette(grey, count=5, mode="vibrant")


@pytest.mark.parametrize("mode", ["LA", "PA", "RGBA"])
def test_a_39_percent_opaque_image_has_a_palette(mode):
    rgba = Image.new("RGBA", (50, 30), (200, 40, 40, 100))
    img = Image.new("LA", (50, 30), (90, 100)) if mode == "LA" else rgba.convert(mode)

    colours = tools.palette(img, count=3, mode="dominant")

    assert colours[0]["share"] == 1.0
    if mode != "LA":
        assert colours[0]["rgb"][0] > 150


def test_fully_transparent_is_still_refused():
    with pytest.raises(InvalidInput, match="fully transparent"):
        tools.palette(Image.new("RGBA", (10, 10), (255, 0, 0, 0)), count=3, mode="dominant")


def test_a_16_bit_png_goes_through_the_palette_operation(engine):
    ramp = np.tile(np.linspace(0, 20000, 64), (32, 1)).astype(np.uint16)
    buf = io.BytesIO()
    Image.fromarray(ramp).save(buf, "PNG")

    meta = run(engine, Capability.PALETTE, image=buf.getvalue(), params={"count": 3}).meta

    # Dark greys: 20000 of 65535 is level 78, not the white of a clipped conversion.
    assert all(max(c["rgb"]) <= 80 for c in meta["palette"])


# ----------------------------------------------------------------------------- apply

PALETTE = ["#1d3557", "#e63946", "#f1faee", "#a8dadc"]


def test_map_uses_only_palette_colours_and_keeps_alpha(coffee):
    rgba = np.dstack([coffee[:120, :160], np.full((120, 160), 200, np.uint8)])

    out = palettes.apply_palette(Image.fromarray(rgba, "RGBA"), PALETTE)

    arr = np.asarray(out)
    assert out.mode == "RGBA" and (arr[..., 3] == 200).all()
    used = {tuple(p) for p in arr[..., :3].reshape(-1, 3)}
    allowed = {tuple(int(h[i : i + 2], 16) for i in (1, 3, 5)) for h in PALETTE}
    assert used <= allowed and len(used) >= 2


def test_map_picks_the_perceptually_nearest_colour():
    img = Image.new("RGB", (4, 4), (200, 30, 40))  # a red

    out = palettes.apply_palette(img, PALETTE)

    assert out.getpixel((0, 0)) == (0xE6, 0x39, 0x46)


def test_dithering_keeps_a_gradient_as_a_mix_of_colours():
    ramp = np.tile(np.linspace(0, 255, 256, dtype=np.uint8), (32, 1))
    img = Image.fromarray(np.dstack([ramp] * 3))

    plain = np.asarray(palettes.apply_palette(img, ["#000000", "#ffffff"]))
    dithered = np.asarray(palettes.apply_palette(img, ["#000000", "#ffffff"], dither=True))

    # Without dithering the ramp is cut into two flat halves; with it, the share of
    # white pixels per column follows the ramp.
    assert set(np.unique(dithered)) <= {0, 255}
    white = (dithered[..., 0] == 255).mean(axis=0)
    assert abs(white[64] - 0.25) < 0.1 and abs(white[192] - 0.75) < 0.1
    assert (plain[:, 64, 0] == 0).all() and (plain[:, 192, 0] == 255).all()


def test_tint_keeps_the_shading_and_moves_the_colour(coffee):
    img = Image.fromarray(coffee)

    out = np.asarray(palettes.apply_palette(img, ["#2a9d8f", "#264653"], mode="tint"))

    before = cv2.cvtColor(coffee, cv2.COLOR_RGB2LAB).astype(np.float32)
    after = cv2.cvtColor(out, cv2.COLOR_RGB2LAB).astype(np.float32)
    assert np.corrcoef(before[..., 0].ravel(), after[..., 0].ravel())[0, 1] > 0.95
    # Red-browns became teal/blue-green: a* went from positive to negative.
    assert before[..., 1].mean() > 140 and after[..., 1].mean() < 128


def test_tint_has_no_hard_border_between_two_palette_colours():
    # A ramp between two colours: a nearest-colour tint would jump half way along.
    t = np.linspace(0, 1, 256, dtype=np.float32)[None, :, None]
    ramp = (np.array([200, 60, 50]) * (1 - t) + np.array([40, 90, 200]) * t).astype(np.uint8)
    img = Image.fromarray(np.repeat(ramp, 4, axis=0))

    out = np.asarray(palettes.apply_palette(img, ["#c83c32", "#285ac8"], mode="tint"))

    b = cv2.cvtColor(out, cv2.COLOR_RGB2LAB)[1, :, 2].astype(int)
    assert b[0] - b[-1] > 60  # it does go from red (yellowish b*) to blue
    assert np.abs(np.diff(b)).max() <= 4


def test_strength_blends_with_the_original(coffee):
    img = Image.fromarray(coffee[:60, :80])

    half = np.asarray(palettes.apply_palette(img, PALETTE, strength=0.5)).astype(int)
    full = np.asarray(palettes.apply_palette(img, PALETTE)).astype(int)

    assert np.abs(half - (full + coffee[:60, :80]) / 2).max() <= 1


@pytest.mark.parametrize(
    ("colours", "kwargs", "message"),
    [
        (["#000000"], {}, "between 2 and 32"),
        (["#000000", "nope"], {}, "hex colour"),
        (PALETTE, {"mode": "posterise"}, "Apply mode"),
        (PALETTE, {"strength": 2}, "Strength"),
    ],
)
def test_bad_palettes_and_options_are_refused(colours, kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        palettes.apply_palette(Image.new("RGB", (4, 4)), colours, **kwargs)


# ----------------------------------------------------------------------------- exports

SWATCHES = [{"hex": "#1d3557"}, {"rgb": [230, 57, 70]}, "#f1faee"]


def test_gpl_export():
    text = palettes.to_gpl(SWATCHES, name="Poster", names=["Navy", "Red", "Cream"])

    lines = text.splitlines()
    assert lines[:2] == ["GIMP Palette", "Name: Poster"]
    assert lines[-3:] == [" 29  53  87\tNavy", "230  57  70\tRed", "241 250 238\tCream"]


def test_css_export():
    css = palettes.to_css(SWATCHES, prefix="brand colours")

    assert css == (
        ":root {\n  --brand-colours-1: #1d3557;\n  --brand-colours-2: #e63946;\n"
        "  --brand-colours-3: #f1faee;\n}\n"
    )


def read_ase(data: bytes) -> list[tuple[int, str, tuple]]:
    """A small reader, independent of the writer: (block type, name, values)."""
    assert data[:4] == b"ASEF" and struct.unpack(">HH", data[4:8]) == (1, 0)
    (count,) = struct.unpack(">I", data[8:12])
    pos, blocks = 12, []
    for _ in range(count):
        kind, length = struct.unpack(">HI", data[pos : pos + 6])
        body = data[pos + 6 : pos + 6 + length]
        pos += 6 + length
        if kind == 0xC002:
            blocks.append((kind, "", ()))
            continue
        (chars,) = struct.unpack(">H", body[:2])
        name = body[2 : 2 + chars * 2].decode("utf-16-be").rstrip("\0")
        rest = body[2 + chars * 2 :]
        values = ()
        if kind == 0x0001:
            assert rest[:4] == b"RGB "
            values = struct.unpack(">fffH", rest[4:18])
        blocks.append((kind, name, values))
    assert pos == len(data)
    return blocks


def test_ase_export_round_trips():
    data = palettes.to_ase(SWATCHES, name="Poster")

    blocks = read_ase(data)
    assert [b[0] for b in blocks] == [0xC001, 1, 1, 1, 0xC002]
    assert blocks[0][1] == "Poster"
    assert blocks[2][1] == "Colour 2"
    r, g, b, kind = blocks[2][2]
    assert (round(r * 255), round(g * 255), round(b * 255), kind) == (230, 57, 70, 2)
