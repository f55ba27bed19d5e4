"""Stream a ZIP of stored files without holding the archive in memory or on disk."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from django.utils.text import slugify

from .models import Asset

CHUNK = 256 * 1024


class _Sink:
    """A write-only, unseekable file object whose bytes are collected between reads.

    ``zipfile`` notices it cannot seek and writes data descriptors after each member
    instead of patching headers, so the archive can go out as it is made.
    """

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._offset = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def archive_name(asset: Asset, taken: set[str]) -> str:
    """A readable, unique file name for ``asset`` inside an archive (``taken`` is updated).

    An export name the asset carries (``metadata["file_name"]``) wins over its title.
    """
    ext = PurePosixPath(asset.file.name).suffix.lower() or ".bin"
    given = (asset.metadata or {}).get("file_name")  # e.g. a social rendition's export name
    if given:
        ext = PurePosixPath(given).suffix.lower() or ext
        base = slugify(PurePosixPath(given).stem)
    else:
        base = slugify(
            asset.title or asset.prompt[:60] or asset.original_filename.rsplit(".", 1)[0]
        )
    base = base[:60].strip("-") or f"{asset.kind}-{asset.public_id.hex[:8]}"
    name = f"{base}{ext}"
    n = 2
    while name.lower() in taken:
        name = f"{base}-{n}{ext}"
        n += 1
    taken.add(name.lower())
    return name


def zip_stream(assets: Iterable[Asset]) -> Iterator[bytes]:
    """Yield a ZIP archive of the assets' original files, a chunk at a time, each under a
    readable unique name (``archive_name``)."""
    taken: set[str] = set()
    return zip_stream_named((asset, archive_name(asset, taken)) for asset in assets)


def zip_stream_named(members: Iterable[tuple[Asset, str]]) -> Iterator[bytes]:
    """Yield a ZIP of ``(asset, name inside the archive)`` pairs, a chunk at a time.

    Members are stored, not deflated: images and media are compressed already, and
    storing keeps the server's work to copying bytes.
    """
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for asset, name in members:
            info = zipfile.ZipInfo(name, date_time=_zip_time(asset))
            info.compress_type = zipfile.ZIP_STORED
            with asset.file.open("rb") as src, zf.open(info, mode="w", force_zip64=True) as dst:
                for chunk in iter(lambda src=src: src.read(CHUNK), b""):
                    dst.write(chunk)
                    data = sink.drain()
                    if data:
                        yield data
            data = sink.drain()
            if data:
                yield data
    data = sink.drain()
    if data:
        yield data


def _zip_time(asset: Asset) -> tuple[int, int, int, int, int, int]:
    t = asset.created_at
    if t.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    return (t.year, t.month, t.day, t.hour, t.minute, t.second)
