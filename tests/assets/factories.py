"""Library objects for tests, made through the services where behaviour matters."""

from __future__ import annotations

import io

import factory
from django.core.files.base import ContentFile

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
