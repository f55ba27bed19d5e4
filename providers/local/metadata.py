"""Generation metadata inside the file: the recipe and an "AI generated" marker.

PNG files carry the recipe as an iTXt chunk and an XMP packet; JPEG and WebP carry the
XMP packet. The XMP uses IPTC's DigitalSourceType "trainedAlgorithmicMedia", the
vocabulary term for media made by a generative model.
"""

from __future__ import annotations

import io
import json
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image, PngImagePlugin

from media import encode, format_for

RECIPE_KEY = "imagestudio:recipe"
AI_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def _xmp(recipe: dict[str, Any]) -> bytes:
    description = escape(str(recipe.get("prompt", ""))[:2000])
    tool = escape(f"Image Studio · {recipe.get('provider', '')} {recipe.get('model', '')}".strip())
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f"<Iptc4xmpExt:DigitalSourceType>{AI_SOURCE_TYPE}</Iptc4xmpExt:DigitalSourceType>"
        f"<xmp:CreatorTool>{tool}</xmp:CreatorTool>"
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{description}</rdf:li></rdf:Alt></dc:description>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def embed_recipe(data: bytes, recipe: dict[str, Any]) -> tuple[bytes, str, str]:
    """Re-save ``data`` with the recipe and AI marker; returns (bytes, content type, ext).

    PNG stays PNG (lossless re-encode); JPEG and WebP keep their format at high quality.
    """
    img = Image.open(io.BytesIO(data))
    img.load()
    try:
        target = format_for(img.format or "png")
    except KeyError:
        target = format_for("png")
    xmp = _xmp(recipe)
    if target.key == "png":
        info = PngImagePlugin.PngInfo()
        info.add_itxt(RECIPE_KEY, json.dumps(recipe, sort_keys=True, default=str))
        info.add_text("Software", "Image Studio")
        info.add_itxt("XML:com.adobe.xmp", xmp.decode())
        data = encode(img, "png", pnginfo=info)
    else:
        data = encode(img, target.key, quality=95, xmp=xmp)
    return data, target.content_type, target.extension


def read_recipe(data: bytes) -> dict[str, Any] | None:
    """The recipe embedded by :func:`embed_recipe`, or None."""
    img = Image.open(io.BytesIO(data))
    raw = getattr(img, "text", {}).get(RECIPE_KEY) if img.format == "PNG" else None
    if raw is None:
        return None
    return json.loads(raw)


def is_marked_ai(data: bytes) -> bool:
    img = Image.open(io.BytesIO(data))
    xmp = img.info.get("xmp") or img.info.get("XML:com.adobe.xmp") or b""
    if isinstance(xmp, str):
        xmp = xmp.encode()
    return b"trainedAlgorithmicMedia" in xmp
