"""Every URL, every visitor: nobody gets anything of somebody else's.

The walk takes every pattern from the URL resolver (so a new URL is covered the day it is
added), fills each id with an object of the *other* user (an asset, a collection, a share,
a temporary link, a job, a persona), and asks as that user and as an anonymous visitor,
with GET and POST, with and without ``HX-Request``. Any 2xx answer about another user's
object fails the test, as does any 2xx to an anonymous visitor outside the public pages,
and afterwards the other user's objects must be exactly as they were.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from assets.models import (
    Asset,
    AssetPalette,
    AssetTag,
    Collection,
    CollectionItem,
    ShareLink,
    TemporaryLink,
)
from assets.services import (
    asset_palette_add,
    collection_add_assets,
    share_create,
    temp_link_create,
)
from studio.batch.models import Batch, BatchRow
from studio.create.models import Persona
from studio.jobs.models import Job
from tests.assets.factories import CollectionFactory
from tests.factories import AssetFactory, JobFactory
from tests.utils import image_bytes

pytestmark = pytest.mark.django_db

# Pages anyone may open: sign-in and sign-up, liveness, the CSP report sink, the Stripe
# webhook (signed by Stripe), and /s/ links, whose unguessable token *is* the permission.
PUBLIC = re.compile(r"^/(accounts/|health/$|csp-report/$|billing/webhook/|s/|admin/login/)")

# Values for the parts of a URL that are not somebody's object.
FIXED = {"spec": "grid", "op_key": "tools.resize", "slug": "pro", "fmt": "gpl", "kind": "products"}
OBJECT_PARAMS = {
    "asset_id",
    "collection_id",
    "share_id",
    "link_id",
    "palette_id",
    "job_id",
    "persona_id",
    "batch_id",
    "token",
    "value",
}


def routes():
    """(route, pattern) for every URL pattern, with its full path."""

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p

    return list(walk(get_resolver().url_patterns, ""))


def objects_of(owner, *, with_parent=True) -> dict[str, str]:
    parent = AssetFactory(owner=owner, title=f"{owner.username} parent")
    asset = AssetFactory(
        owner=owner,
        title=f"{owner.username} asset",
        parent=parent,
        palette=[{"hex": "#336699", "share": 0.6}, {"hex": "#f4d35e", "share": 0.4}],
    )
    collection = CollectionFactory(owner=owner, name=f"{owner.username} collection")
    collection_add_assets(collection=collection, asset_ids=[asset.pk])
    share = share_create(owner=owner, collection=collection, password="pw")
    link_url = temp_link_create(asset=asset, seconds=600)
    link = TemporaryLink.objects.get(asset=asset)
    palette = asset_palette_add(asset=asset, colours=asset.palette, mode="muted")
    job = JobFactory(owner=owner, status=Job.Status.SUCCEEDED, finished_at=timezone.now())
    job.inputs.add(parent)
    job.outputs.add(asset)
    job.files.create(role="mask", file=ContentFile(image_bytes("PNG", (8, 8)), name="mask.png"))
    persona = Persona.objects.create(owner=owner, name=f"{owner.username} persona")
    batch = Batch.objects.create(owner=owner, name=f"{owner.username} batch", kind="products")
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.FINISHED)
    BatchRow.objects.create(batch=batch, number=1, status="succeeded", job=job, sku="A-1")
    return {
        "asset_id": str(asset.public_id),
        "collection_id": str(collection.public_id),
        "share_id": str(share.public_id),
        "link_id": str(link.public_id),
        "palette_id": str(palette.public_id),
        "job_id": str(job.public_id),
        "persona_id": str(persona.public_id),
        "batch_id": str(batch.public_id),
        "token": share.token,
        "value": link_url.rstrip("/").rsplit("/", 1)[1],
    }


def fill(route: str, values: dict[str, str]) -> str | None:
    """The concrete path for ``route``; None for allauth's regex-only key pages."""
    if route.startswith("^") or "(?P<" in route:
        return None
    unknown = []

    def value(match):
        name = match.group(2)
        if name in values:
            return values[name]
        if name in FIXED:
            return FIXED[name]
        unknown.append(name)
        return "x"

    path = "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)
    assert not unknown, (
        f"{route}: the walk does not know what {unknown} is; add an object of that type "
        "to objects_of() (or a fixed value to FIXED) so the new URL is covered"
    )
    return path


def sent_away(response) -> bool:
    """htmx's redirect: a 200 that only tells the browser to go elsewhere."""
    return "HX-Redirect" in response and not response.content.strip()


def snapshot(owner) -> dict:
    return {
        "assets": sorted(
            Asset.objects.filter(owner=owner).values_list(
                "public_id", "title", "status", "is_favourite", "trashed_at"
            )
        ),
        "tags": sorted(
            AssetTag.objects.filter(asset__owner=owner).values_list("asset_id", "tag__name")
        ),
        "collections": sorted(
            Collection.objects.filter(owner=owner).values_list("public_id", "name", "description")
        ),
        "items": sorted(
            CollectionItem.objects.filter(collection__owner=owner).values_list("pk", flat=True)
        ),
        "shares": sorted(
            ShareLink.objects.filter(owner=owner).values_list("public_id", "revoked_at")
        ),
        "links": sorted(
            TemporaryLink.objects.filter(asset__owner=owner).values_list("public_id", "revoked_at")
        ),
        "palettes": sorted(
            AssetPalette.objects.filter(asset__owner=owner).values_list(
                "public_id", "name", "colours"
            )
        ),
        "jobs": sorted(Job.objects.filter(owner=owner).values_list("public_id", "status")),
        "personas": sorted(Persona.objects.filter(owner=owner).values_list("public_id", "name")),
        "batches": sorted(Batch.objects.filter(owner=owner).values_list("public_id", "status")),
    }


def test_no_url_answers_2xx_about_another_users_things(alice, bob, alice_client):
    alice_things = objects_of(alice)
    bob_things = objects_of(bob)
    before = snapshot(bob)
    anonymous = Client()
    leaks, walked, own_missing = [], 0, []
    for route, pattern in routes():
        if route.startswith("admin/") and not route.startswith("admin/login/"):
            continue  # the admin is staff-only as a whole (checked below)
        path = fill(route, bob_things)
        if path is None:
            continue
        names = set(re.findall(r"<(?:\w+:)?(\w+)>", route))
        about_someone = bool(names & OBJECT_PARAMS)
        public = bool(PUBLIC.match(path))
        for who, client in (("alice", alice_client), ("anonymous", anonymous)):
            if who == "alice" and not about_someone:
                continue  # her own pages (library, billing, …) are hers to see
            if public:
                continue
            for method in ("get", "post"):
                for htmx in (False, True):
                    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
                    response = getattr(client, method)(path, **extra)
                    walked += 1
                    if 200 <= response.status_code < 300 and not sent_away(response):
                        leaks.append(f"{who} {method.upper()} {path} htmx={htmx}")
        # Control: with her own ids the same URL is not a 404, so the walk hit real views.
        if about_someone and not public:
            own = fill(route, alice_things)
            if alice_client.get(own).status_code == 404:
                own_missing.append(own)
    assert walked > 300
    assert leaks == [], "\n".join(leaks)
    assert snapshot(bob) == before
    assert own_missing == [], own_missing


def test_the_admin_is_for_staff_only(alice_client):
    for path in ("/admin/", "/admin/assets/asset/", "/admin/auth/user/"):
        for client in (alice_client, Client()):
            response = client.get(path)
            assert response.status_code == 302
            assert response["Location"].startswith(("/admin/login/", "/accounts/login/"))


def test_anonymous_visitors_are_sent_to_sign_in(client):
    """Django's LoginRequiredMiddleware: pages redirect, htmx gets a client redirect."""
    response = client.get("/library/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client.get("/library/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/accounts/login/"


def test_an_expired_share_or_link_shows_nothing(bob, client):
    asset = AssetFactory(owner=bob)
    share = share_create(owner=bob, asset=asset, expires_at=timezone.now() + timedelta(hours=1))
    ShareLink.objects.filter(pk=share.pk).update(expires_at=timezone.now() - timedelta(1))
    assert client.get(share.get_absolute_url()).status_code == 404
