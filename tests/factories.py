from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from assets.imaging import make_thumbnail
from assets.models import Asset
from studio.jobs.models import Job

from .utils import image_bytes, open_bytes


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class AssetFactory(factory.django.DjangoModelFactory):
    """An uploaded PNG asset with a real file and thumbnail in storage."""

    class Meta:
        model = Asset

    class Params:
        size = (64, 48)
        fmt = "PNG"

    owner = factory.SubFactory(UserFactory)
    kind = Asset.Kind.IMAGE
    title = factory.Sequence(lambda n: f"Image {n}")
    content_type = "image/png"
    checksum = "0" * 64

    @factory.lazy_attribute
    def width(self):
        return self.size[0]

    @factory.lazy_attribute
    def height(self):
        return self.size[1]

    @factory.lazy_attribute
    def file(self):
        return ContentFile(image_bytes(self.fmt, self.size), name=f"upload.{self.fmt.lower()}")

    @factory.lazy_attribute
    def thumbnail(self):
        data = image_bytes(self.fmt, self.size)
        thumb, _, _ = make_thumbnail(open_bytes(data))
        return ContentFile(thumb, name="thumb.webp")

    @factory.lazy_attribute
    def file_size(self):
        return len(image_bytes(self.fmt, self.size))


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    owner = factory.SubFactory(UserFactory)
    module = "tools"
    operation = "tools.resize"
    provider = "local"
    params = factory.LazyFunction(lambda: {"width": 32, "mode": "fit"})
