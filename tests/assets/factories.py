"""Library objects for tests, made through the services where behaviour matters."""

from __future__ import annotations

import io
from datetime import timedelta

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from assets.models import Asset, Collection
from tests.factories import AssetFactory, UserFactory
from tests.utils import image_bytes


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collection

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Collection {n}")


def generated_asset(owner, **fields) -> Asset:
    """A generated image asset (like the pipeline stores) with the given recipe fields."""
    defaults = {"source_module": "create", "provider": "local", "model": "sdxl-turbo"}
    return AssetFactory(owner=owner, **(defaults | fields))


def text_asset(owner, text: str = "a,b\n1,2\n", **fields) -> Asset:
    return Asset.objects.create(
        owner=owner,
        kind=Asset.Kind.TEXT,
        content_type="text/csv",
        checksum="0" * 64,
        file=ContentFile(text.encode(), name="report.csv"),
        file_size=len(text),
        title=fields.pop("title", "Report"),
        **fields,
    )


def png_file(size=(64, 48), **kwargs) -> io.BytesIO:
    return io.BytesIO(image_bytes("PNG", size, **kwargs))


def bulk_assets(owner, n, *, start=None, per_second=1, sizes=None) -> list[Asset]:
    """``n`` rows straight into the table (no files needed to list them), oldest first
    by creation; returns them newest first. ``per_second`` items share each second and
    ``sizes`` file sizes repeat (ties for the keyset to break by id)."""
    start = start or timezone.now() - timedelta(days=1)
    Asset.objects.bulk_create(
        [
            Asset(
                owner=owner,
                title=f"Item {i}",
                file=f"assets/x/{i}.png",
                content_type="image/png",
                checksum="0" * 64,
                file_size=1000 + (i % sizes if sizes else i),
                cost_credits=i % 7,
                usage_count=i % 5,
                created_at=start + timedelta(seconds=i // per_second),
            )
            for i in range(n)
        ]
    )
    return list(Asset.objects.filter(owner=owner).order_by("-created_at", "-id"))
