"""Thumbnails and hashing for stored files."""

from __future__ import annotations

import hashlib
import math
from typing import BinaryIO

from PIL import ExifTags, Image, ImageOps

from media import FORMATS, encode, normalise_mode

THUMBNAIL_SIZE = 480


def sha256_of(fh: BinaryIO) -> str:
    fh.seek(0)
    try:
        # Hashes an in-memory file where it lies, or reads into one reused buffer.
        digest = hashlib.file_digest(fh, "sha256")
    except (AttributeError, ValueError):  # not a binary file with readinto()
        fh.seek(0)
        digest = hashlib.sha256()
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    fh.seek(0)
    return digest.hexdigest()


def make_thumbnail(img: Image.Image, *, size: int = THUMBNAIL_SIZE) -> tuple[bytes, int, int]:
    """Return WebP bytes of ``img`` fitted into ``size``², and the thumbnail's size.

    ``img`` is left untouched (the thumbnail is made from an upright copy).
    """
    thumb = _thumbnail_image(img, size=size)
    return _encode_display(thumb), thumb.width, thumb.height


def _upright(img: Image.Image) -> Image.Image:
    """``img`` turned as its EXIF orientation says: a new image when it has to turn, else
    ``img`` itself (callers never change it in place), not a copy of a decoded photo."""
    if img.getexif().get(ExifTags.Base.Orientation, 1) in (1, None):
        return img
    return ImageOps.exif_transpose(img)


def fitted_size(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    """The size ``Image.thumbnail`` gives a ``width``×``height`` picture fitted into
    ``box`` (the same rounding), or the picture's own size when it already fits."""
    x, y = box
    if x >= width and y >= height:
        return width, height
    aspect = width / height

    def round_aspect(number: float, key) -> int:
        return max(min(math.floor(number), math.ceil(number), key=key), 1)

    if x / y >= aspect:
        x = round_aspect(y * aspect, key=lambda n: abs(aspect - n / y))
    else:
        y = round_aspect(x / aspect, key=lambda n: 0 if n == 0 else abs(aspect - x / n))
    return x, y


def _thumbnail_image(img: Image.Image, *, size: int = THUMBNAIL_SIZE) -> Image.Image:
    """An upright RGB(A) copy of ``img`` fitted into ``size``².

    The pixels of ``Image.thumbnail`` (LANCZOS, reducing gap 2), resized straight from
    ``img``: no full-size copy to shrink in place.
    """
    # 16-bit greyscale is scaled to 8 bits first: converting it directly clips to white.
    thumb = normalise_mode(_upright(img))
    fitted = fitted_size(thumb.width, thumb.height, (size, size))
    if fitted != thumb.size:
        thumb = thumb.resize(fitted, Image.Resampling.LANCZOS, reducing_gap=2.0)
    if thumb.mode not in ("RGB", "RGBA"):
        has_alpha = thumb.mode in ("LA", "PA") or "transparency" in thumb.info
        thumb = thumb.convert("RGBA" if has_alpha else "RGB")
    elif thumb is img:
        thumb = img.copy()  # a small picture kept as it is: still a copy of its own
    return thumb


# WebP's ``method`` trades encoding time for size. At thumbnail size and quality 80,
# method 2 encodes in a third of the time of 4 (3.5 against 9.7 ms for 480×360), and on
# photos its files are 3-4 % larger and 0.2 dB lower in PSNR; 0 and 1 are barely faster
# but 12-15 % larger. Larger renditions are made once and downloaded often, so they
# keep the smaller files of method 4.
SMALL_WEBP_METHOD = 2


def _encode_display(img: Image.Image) -> bytes:
    """WebP bytes of a display copy (thumbnail or rendition) at quality 80."""
    if max(img.size) <= THUMBNAIL_SIZE:
        return encode(img, "webp", quality=80, method=SMALL_WEBP_METHOD)
    return encode(img, "webp", quality=80)


# Display specs: name → (width, height, mode). "cover" crops to fill the box around the
# focal point (fixed-aspect grid tiles); "fit" keeps the whole picture inside the box;
# "reduced" fits the box and is always smaller than the original (at most 3/4 of each
# side): what a share board with downloads off shows, so no full-size copy leaves.
RENDITION_SPECS: dict[str, tuple[int, int, str]] = {
    "grid": (360, 360, "cover"),
    "list": (96, 96, "cover"),
    "preview": (1600, 1600, "fit"),
    "shared": (1024, 1024, "reduced"),
}
REDUCED_SCALE = 0.75


# The rendition every image gets when it is created (the library's grid tile); made from
# the picture already decoded for the thumbnail instead of reading the file again.
UPLOAD_RENDITION = "grid"


def upload_decode_size(width: int, height: int) -> tuple[int, int]:
    """The size a reduced JPEG decode of a ``width``×``height`` upload must keep.

    One decode serves everything made at upload (thumbnail, grid tile, palette), so it
    keeps twice the thumbnail along the longest side and twice the grid tile on both
    sides. Resized from twice their size, thumbnails of 12-20 MP photos are 51-55 dB PSNR
    from ones made from a full-size decode. The next smaller DCT scale (just over their
    size) would save about a third of an upload's CPU, but its thumbnails are 43-46 dB
    from a full decode, and after the WebP encode 0.5-1.1 dB further from it than now on
    detailed photos (bark, a star field, retinal vessels: fine detail fades when
    magnified), more than the faster WebP method cost; tests/assets/test_upload_speed.py
    holds the thumbnail to the full decode's. ``Image.draft`` takes this size and picks
    the smallest scale that still covers it.
    """
    longest = max(width, height, 1)
    box = 2 * THUMBNAIL_SIZE
    tile_w, tile_h, _ = RENDITION_SPECS[UPLOAD_RENDITION]
    return (max(width * box // longest, 2 * tile_w), max(height * box // longest, 2 * tile_h))


def make_thumbnail_and_tile(
    img: Image.Image,
) -> tuple[tuple[bytes, int, int], tuple[bytes, int, int]]:
    """The thumbnail and the ``UPLOAD_RENDITION`` tile of a new image, each as WebP bytes
    and size, from its decoded picture (left untouched).

    When the thumbnail's short side is the tile's side (4:3 pictures, what most phones
    take), the tile is cut from the thumbnail: the same pixels as resizing the picture
    again (for a reduced JPEG decode, identical), without a second LANCZOS pass.
    """
    thumb = _thumbnail_image(img)
    tile_w, tile_h, _ = RENDITION_SPECS[UPLOAD_RENDITION]
    source = thumb if min(thumb.size) == tile_w == tile_h else img
    tile = render_rendition(source, spec=UPLOAD_RENDITION)
    return (_encode_display(thumb), thumb.width, thumb.height), tile


def make_rendition(
    fh: BinaryIO, *, spec: str, focal_point: dict | None = None
) -> tuple[bytes, int, int]:
    """Return WebP bytes and size of the ``spec`` rendition of the image in ``fh``.

    JPEGs are decoded at a reduced scale when the target is small (``draft``), which is
    several times faster than resizing a full decode. Raises ``KeyError`` for an unknown
    spec and ``OSError`` when the file is not an image.
    """
    width, height, _ = RENDITION_SPECS[spec]
    img = Image.open(fh)
    img.draft("RGB", (width * 2, height * 2))
    return render_rendition(img, spec=spec, focal_point=focal_point)


def render_rendition(
    img: Image.Image, *, spec: str, focal_point: dict | None = None
) -> tuple[bytes, int, int]:
    """Return WebP bytes and size of the ``spec`` rendition of the decoded ``img``.

    ``img`` is left untouched. Raises ``KeyError`` for an unknown spec.
    """
    width, height, mode = RENDITION_SPECS[spec]
    img = normalise_mode(_upright(img))
    has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    if img.mode != ("RGBA" if has_alpha else "RGB"):
        img = img.convert("RGBA" if has_alpha else "RGB")
    if mode == "cover":
        centre = (0.5, 0.5)
        if focal_point and "x" in focal_point and "y" in focal_point:
            centre = (float(focal_point["x"]), float(focal_point["y"]))
            centre = tuple(min(1.0, max(0.0, c)) for c in centre)
        img = ImageOps.fit(img, (width, height), Image.Resampling.LANCZOS, centering=centre)
    elif mode == "reduced":
        scale = min(width / img.width, height / img.height, REDUCED_SCALE)
        size = (max(1, int(img.width * scale)), max(1, int(img.height * scale)))
        img = img.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    else:
        fitted = fitted_size(img.width, img.height, (width, height))
        if fitted != img.size:
            img = img.resize(fitted, Image.Resampling.LANCZOS, reducing_gap=2.0)
    return _encode_display(img), img.width, img.height


# Download formats offered on the detail panel: name → (Pillow format, content type, ext).
EXPORT_FORMATS = {f.key: (f.pil, f.content_type, f.extension) for f in FORMATS.values()}


def convert_image(
    fh: BinaryIO, *, fmt: str, quality: int = 90, keep_metadata: bool = False
) -> bytes:
    """Re-encode the image in ``fh`` as ``fmt`` (a key of ``EXPORT_FORMATS``).

    Metadata (EXIF, ICC profile) is carried over only when ``keep_metadata`` is set; JPEG
    has no alpha, so transparent pixels are flattened onto white.
    """
    img = Image.open(fh)
    img.load()
    # The pixels stay as stored, so a kept EXIF keeps its orientation for viewers.
    return encode(img, fmt, quality=quality, keep_metadata=keep_metadata, upright=False)
