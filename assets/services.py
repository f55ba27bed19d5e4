"""Writes to the asset library. Files go through Django's storage API only."""

from __future__ import annotations

import io
import uuid
from typing import Any, BinaryIO

from django.core.files.base import ContentFile, File
from PIL import Image

from .imaging import make_thumbnail, sha256_of
from .models import Asset
from .validation import inspect_image


def _attach_thumbnail(asset: Asset, img: Image.Image) -> None:
    data, _, _ = make_thumbnail(img)
    asset.thumbnail.save("thumb.webp", ContentFile(data), save=False)


def asset_create_from_upload(
    *, owner, uploaded: BinaryIO, filename: str, size: int | None = None
) -> Asset:
    """Validate an uploaded image and store it as a new library asset.

    Raises ``ValidationError`` (nothing stored) when the file is not acceptable.
    """
    info = inspect_image(uploaded, size=size)
    asset = Asset(
        owner=owner,
        kind=Asset.Kind.IMAGE,
        source_module=Asset.Module.UPLOAD,
        original_filename=filename[:255],
        title=filename.rsplit(".", 1)[0][:255],
        content_type=info.content_type,
        width=info.width,
        height=info.height,
        metadata={"format": info.format, "has_alpha": info.has_alpha},
    )
    asset.checksum = sha256_of(uploaded)
    uploaded.seek(0, 2)
    asset.file_size = uploaded.tell()
    uploaded.seek(0)
    asset.file.save(f"upload{info.extension}", File(uploaded), save=False)
    try:
        _attach_thumbnail(asset, info.image)
        asset.full_clean()
        asset.save()
    except Exception:
        asset.file.storage.delete(asset.file.name)
        if asset.thumbnail:
            asset.thumbnail.storage.delete(asset.thumbnail.name)
        raise
    return asset


def asset_create_output(
    *,
    owner,
    fh: BinaryIO,
    content_type: str,
    extension: str,
    source_module: str,
    operation: str,
    parent: Asset | None = None,
    source_job_id: uuid.UUID | None = None,
    title: str = "",
    prompt: str = "",
    negative_prompt: str = "",
    provider: str = "",
    model: str = "",
    seed: int | None = None,
    params: dict[str, Any] | None = None,
    cost_credits: int = 0,
    generation_ms: int | None = None,
    metadata: dict[str, Any] | None = None,
) -> Asset:
    """Store a produced file as a new asset (with a WebP thumbnail when it is an image).

    Returns the saved asset; the caller decides the transaction. Files written before a
    failure are removed again.
    """
    kind = Asset.Kind.IMAGE
    if content_type.startswith("video/"):
        kind = Asset.Kind.VIDEO
    elif content_type.startswith("audio/"):
        kind = Asset.Kind.AUDIO
    elif content_type.startswith("text/"):
        kind = Asset.Kind.TEXT
    elif content_type.startswith("model/"):
        kind = Asset.Kind.MODEL3D
    asset = Asset(
        owner=owner,
        kind=kind,
        source_module=source_module,
        operation=operation,
        parent=parent,
        source_job_id=source_job_id,
        title=title[:255],
        prompt=prompt,
        negative_prompt=negative_prompt,
        provider=provider,
        model=model,
        seed=seed,
        params=params or {},
        content_type=content_type,
        cost_credits=cost_credits,
        generation_ms=generation_ms,
        metadata=dict(metadata or {}),
    )
    asset.checksum = sha256_of(fh)
    fh.seek(0, 2)
    asset.file_size = fh.tell()
    fh.seek(0)
    extension = extension.lstrip(".").lower() or "bin"
    asset.file.save(f"output.{extension}", File(fh), save=False)
    try:
        if kind == Asset.Kind.IMAGE:
            fh.seek(0)
            img = Image.open(io.BytesIO(fh.read()))
            img.load()
            asset.width, asset.height = img.size
            asset.metadata.setdefault("format", img.format)
            asset.metadata.setdefault(
                "has_alpha",
                img.mode in ("RGBA", "LA", "PA")
                or (img.mode == "P" and "transparency" in img.info),
            )
            _attach_thumbnail(asset, img)
        asset.full_clean()
        asset.save()
    except Exception:
        asset.file.storage.delete(asset.file.name)
        if asset.thumbnail:
            asset.thumbnail.storage.delete(asset.thumbnail.name)
        raise
    return asset


def asset_update_analysis(
    *, asset: Asset, palette: list | None = None, focal_point: dict | None = None
) -> Asset:
    """Store analysis results (palette, focal point) on an asset."""
    fields = []
    if palette is not None:
        asset.palette = palette
        fields.append("palette")
    if focal_point is not None:
        asset.focal_point = focal_point
        fields.append("focal_point")
    if fields:
        asset.save(update_fields=[*fields, "updated_at"])
    return asset
