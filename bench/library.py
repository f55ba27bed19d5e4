"""Library grid and search at 10,000 and 100,000 assets, on the configured database.

Seeds one user's archive (with tags, collections, and other users' assets beside it),
then times the htmx grid fragment in-process (request → middleware → view → template)
and counts its SQL queries: the first page, a page deep in the archive, a search and a
filtered search. Each figure is the median and p95 of repeated requests measured in this
run; ratios compare the deep page with the first and the large archive with the small.

    .venv/bin/python bench/library.py                  # 10k and 100k (several minutes)
    .venv/bin/python bench/library.py --sizes 2000     # a quick run
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/imagestudio_bench \\
        .venv/bin/python bench/library.py              # the numbers that matter

The database is migrated first; earlier bench users (``bench-*``) are deleted, nothing
else is touched. The last line is ``RESULT …`` for the largest size.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imagestudio.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from assets.models import (  # noqa: E402
    Asset,
    AssetTag,
    Collection,
    CollectionItem,
    Rendition,
    Tag,
    UsageEvent,
)
from assets.selectors import LibraryFilters, _encode_cursor, library_queryset  # noqa: E402
from assets.services import asset_search_reindex  # noqa: E402

WORDS = (
    "fox forest misty mountain river city neon night rain portrait studio light golden hour "
    "ocean wave desert dune snow winter cat dog owl dragon castle robot cyberpunk watercolour "
    "oil painting sketch cinematic macro flower garden sunset sunrise bridge street market "
    "coffee cup vintage car train station library book candle lantern forest cabin lake"
).split()
MODELS = [
    ("stability", "sd3.5-large"),
    ("openai", "gpt-image-1"),
    ("local", ""),
    ("gemini", "imagen-4"),
]
MODULES = ["create", "edit", "upscale", "tools", "upload", "social"]
KINDS = ["image"] * 17 + ["video", "audio", "text"]
BATCH = 5000


def _asset(owner_id: int, i: int, rng: random.Random, start) -> Asset:
    provider, model = rng.choice(MODELS)
    prompt = " ".join(rng.choices(WORDS, k=rng.randint(5, 14)))
    return Asset(
        owner_id=owner_id,
        kind=rng.choice(KINDS),
        title=" ".join(rng.choices(WORDS, k=2)).title() if rng.random() < 0.5 else "",
        file=f"assets/bench/{owner_id}/{i}.png",
        content_type="image/png",
        checksum="0" * 64,
        file_size=rng.randint(20_000, 8_000_000),
        width=1024,
        height=rng.choice([768, 1024, 1536]),
        source_module=rng.choice(MODULES),
        prompt=prompt,
        provider=provider,
        model=model,
        seed=rng.randint(0, 2**31),
        cost_credits=rng.randint(0, 40),
        usage_count=rng.randint(0, 30),
        is_favourite=rng.random() < 0.05,
        created_at=start + timedelta(seconds=i * 60),
    )


def seed(owner, others, *, have: int, want: int, rng: random.Random) -> None:
    """Grow the owner's archive from ``have`` to ``want`` assets (others get 20 % as many)."""
    start = timezone.now() - timedelta(days=400)
    tags = list(Tag.objects.filter(owner=owner))
    collections = list(Collection.objects.filter(owner=owner))
    for lo in range(have, want, BATCH):
        hi = min(want, lo + BATCH)
        with transaction.atomic():
            made = Asset.objects.bulk_create(
                [_asset(owner.pk, i, rng, start) for i in range(lo, hi)], batch_size=1000
            )
            AssetTag.objects.bulk_create(
                [
                    AssetTag(asset_id=a.pk, tag=t, source=rng.choice(["auto", "manual"]))
                    for a in made
                    for t in rng.sample(tags, 3)
                ],
                batch_size=5000,
                ignore_conflicts=True,
            )
            CollectionItem.objects.bulk_create(
                [
                    CollectionItem(collection=c, asset_id=a.pk)
                    for a in made
                    if rng.random() < 0.2
                    for c in rng.sample(collections, 2)
                ],
                batch_size=5000,
                ignore_conflicts=True,
            )
            for other in others:
                Asset.objects.bulk_create(
                    [_asset(other.pk, i, rng, start) for i in range(lo // 5, hi // 5)],
                    batch_size=1000,
                )
            asset_search_reindex(asset_ids=[a.pk for a in made])
        print(f"  seeded {hi:,} assets", file=sys.stderr, flush=True)
    if connection.vendor == "postgresql":
        # What autovacuum does on a live database after a load: statistics for the planner
        # and a visibility map, so counts can be answered from the index alone.
        with connection.cursor() as cursor:
            for table in ("assets_asset", "assets_assettag", "assets_collectionitem"):
                cursor.execute(f"VACUUM ANALYZE {table}")


def setup_users():
    """The bench users, with an empty archive (earlier bench data is removed)."""
    User = get_user_model()
    names = ["bench-owner"] + [f"bench-other{i}" for i in range(3)]
    users = []
    for name in names:
        user, created = User.objects.get_or_create(
            username=name, defaults={"email": f"{name}@example.com"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        users.append(user)
    ids = [u.pk for u in users]
    # Children first with plain DELETEs: the ORM would load every bench asset to cascade.
    for model in (AssetTag, CollectionItem, UsageEvent, Rendition):
        model.objects.filter(asset__owner_id__in=ids).delete()
    Collection.objects.filter(owner_id__in=ids).delete()
    Tag.objects.filter(owner_id__in=ids).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Asset._meta.db_table} WHERE owner_id IN ({', '.join(['%s'] * len(ids))})",
            ids,
        )
    owner, others = users[0], users[1:]
    Tag.objects.bulk_create(
        [Tag(owner=owner, name=w) for w in WORDS[:40]]
        + [Tag(owner=owner, name=f"project {i}") for i in range(20)]
    )
    Collection.objects.bulk_create([Collection(owner=owner, name=f"Board {i}") for i in range(20)])
    return owner, others


def measure(client: Client, url: str, *, runs: int) -> tuple[float, float, int]:
    """Median and p95 ms of the htmx grid at ``url``, and its query count."""
    headers = {"HTTP_HX_REQUEST": "true"}
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    queries = len(ctx.captured_queries)
    for _ in range(3):  # warm caches and the connection
        client.get(url, **headers)
    times = []
    for _ in range(runs):
        reset_queries()
        t0 = time.perf_counter()
        client.get(url, **headers)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times), p95, queries


def run_size(client, owner, size: int, runs: int) -> dict:
    qs = library_queryset(owner=owner, filters=LibraryFilters()).order_by("-created_at", "-id")
    deep = qs.values_list("created_at", "pk")[int(size * 0.9)]
    cursor = _encode_cursor(*deep)
    cases = {
        "first_page": "/library/",
        "deep_page": f"/library/?after={cursor}",
        "search": "/library/?q=fox",
        "filtered_search": "/library/?q=misty+forest&kind=image&module=create&tag=river",
    }
    out = {"assets": size}
    for name, url in cases.items():
        median, p95, queries = measure(client, url, runs=runs)
        out[name] = (median, p95, queries)
        print(
            f"{size:>7,} assets  {name:<16} median {median:7.1f} ms  p95 {p95:7.1f} ms  {queries} queries"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated archive sizes")
    parser.add_argument("--runs", type=int, default=40, help="timed requests per case")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    rng = random.Random(5)
    owner, others = setup_users()
    client = Client(HTTP_HOST="localhost")
    client.force_login(owner)

    results, have = [], 0
    for size in sizes:
        seed(owner, others, have=have, want=size, rng=rng)
        have = size
        results.append(run_size(client, owner, size, args.runs))

    last = results[-1]
    first = results[0]
    print()
    print(
        f"deep/first page p95 at {last['assets']:,}: {last['deep_page'][1] / last['first_page'][1]:.2f}x"
    )
    if len(results) > 1:
        for case in ("first_page", "deep_page", "search", "filtered_search"):
            ratio = last[case][1] / first[case][1]
            print(f"{case} p95 {last['assets']:,} vs {first['assets']:,}: {ratio:.2f}x")
    print(
        f"RESULT assets={last['assets']} queries_first={last['first_page'][2]} "
        f"queries_deep={last['deep_page'][2]} first_page_p95_ms={last['first_page'][1]:.1f} "
        f"deep_page_p95_ms={last['deep_page'][1]:.1f} search_p95_ms={last['search'][1]:.1f} "
        f"filtered_search_p95_ms={last['filtered_search'][1]:.1f}"
    )


if __name__ == "__main__":
    main()
