"""What the browser tests do to a page: sign in, drop files, measure the layout."""

from __future__ import annotations

import base64
import io

from django.test import Client
from PIL import Image, ImageDraw

# Builds a real File from base64 bytes and drops it on the zone the way a browser does for
# a file dragged from the desktop: dragenter, dragover, then drop, all carrying the same
# DataTransfer.
_DROP_FILE_JS = """
([selector, b64, name, type]) => {
  const zone = document.querySelector(selector);
  if (!zone) throw new Error("no element matches " + selector);
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, { type }));
  const box = zone.getBoundingClientRect();
  const at = { clientX: box.x + box.width / 2, clientY: box.y + box.height / 2 };
  for (const kind of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(
      new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: data, ...at })
    );
  }
}
"""


def drop_file(page, selector: str, data: bytes, *, name: str, content_type: str) -> None:
    """Drop ``data`` as a file called ``name`` onto the element matching ``selector``."""
    page.evaluate(_DROP_FILE_JS, [selector, base64.b64encode(data).decode(), name, content_type])


def sign_in(page, user, *, base_url: str) -> None:
    """Give the page's browser context a logged-in session for ``user`` on ``base_url``."""
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": base_url}])


def horizontal_overflow(page) -> int:
    """How many CSS pixels the document is wider than the viewport (0 when it fits)."""
    return page.evaluate("Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")


def overflowing_elements(page, limit: int = 5) -> list[str]:
    """The innermost elements reaching past the viewport's right edge, for error messages."""
    return page.evaluate(
        """(limit) => {
          const out = [];
          for (const el of document.body.querySelectorAll("*")) {
            const right = el.getBoundingClientRect().right + window.scrollX;
            const inner = [...el.children].some(
              (c) => c.getBoundingClientRect().right + window.scrollX > window.innerWidth
            );
            if (right > window.innerWidth + 0.5 && !inner) {
              const cls = el.className && typeof el.className === "string"
                ? "." + el.className.trim().split(/\\s+/).join(".") : "";
              out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${cls} ` +
                       `(right edge ${Math.round(right)} px)`);
            }
          }
          return out.slice(0, limit);
        }""",
        limit,
    )


def photo_png(size: tuple[int, int] = (960, 640)) -> bytes:
    """A PNG that looks like a picture: a sky gradient, a sun and two hills."""
    width, height = size
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(height):
        t = y / height
        draw.line([(0, y), (width, y)], fill=(int(40 + 200 * t), int(90 + 110 * t), 200))
    sun = min(size) // 6
    draw.ellipse(
        (width * 0.65, height * 0.2, width * 0.65 + sun, height * 0.2 + sun), fill=(255, 214, 90)
    )
    draw.polygon([(0, height), (width * 0.35, height * 0.55), (width * 0.8, height)], (46, 110, 70))
    draw.polygon(
        [
            (width * 0.3, height),
            (width * 0.75, height * 0.62),
            (width, height * 0.85),
            (width, height),
        ],
        (30, 82, 56),
    )
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
