from django.template.loader import render_to_string

PALETTE = [
    {"hex": "#1d3557", "rgb": [29, 53, 87], "share": 0.5},
    {"hex": "#e63946", "rgb": [230, 57, 70], "share": 0.25},
]


def test_swatches_copy_as_hex_rgb_and_css_variables():
    html = render_to_string("components/palette.html", {"palette": PALETTE})

    assert 'data-copy="#1d3557"' in html
    assert 'data-copy="rgb(230, 57, 70)"' in html
    assert 'data-copy=":root { --palette-1: #1d3557; --palette-2: #e63946; }"' in html
    assert "50%" in html


def test_an_old_palette_without_rgb_still_renders():
    html = render_to_string("components/palette.html", {"palette": [{"hex": "#ffffff"}]})

    assert 'data-copy="#ffffff"' in html and "rgb(" not in html


def test_no_palette_renders_no_css_button():
    assert "CSS" not in render_to_string("components/palette.html", {"palette": []})
