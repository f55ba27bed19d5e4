"""Library grid and search at 100,000 and 1,000,000 assets, on the configured database.

Seeds one user's archive (tags, collections, job stacks, masks, and other users' assets
beside it), then times the htmx grid fragment in-process (request → middleware → view →
template) and counts its SQL queries: the first page, a page 90 % deep, a search, a
filtered search, a misspelt search (answered by the typo fallback), a long many-word
search and an over-long one (refused with a message). Each figure is the median and p95
of repeated requests in this run; ratios compare the deep page with the first and the
large archive with the small. The first page is also timed with an empty tile cache.

    .venv/bin/python bench/library.py --sizes 2000          # a quick run (SQLite or PG)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/imagestudio_bench \\
        .venv/bin/python bench/library.py                   # 100k and 1M: the numbers that matter
    ... bench/library.py --sizes 100000 --profile --explain # where the time goes

On PostgreSQL the archive is loaded with COPY (1M assets in a few minutes); elsewhere with
bulk inserts. The database is migrated first; earlier bench users (``bench-*``) are
deleted, nothing else is touched. The last line is ``RESULT …`` for the largest size.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imagestudio.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from assets.models import (  # noqa: E402
    Asset,
    AssetTag,
    Collection,
    CollectionItem,
    Rendition,
    SearchTerm,
    Tag,
    UsageEvent,
)
from assets.selectors import LibraryFilters, _encode_cursor, library_queryset  # noqa: E402
from assets.services import asset_search_reindex, search_terms_add  # noqa: E402
from assets.templatetags.asset_tiles import local_tiles  # noqa: E402

WORDS = (
    "fox forest misty mountain river city neon night rain portrait studio light golden hour "
    "ocean wave desert dune snow winter cat dog owl dragon castle robot cyberpunk watercolour "
    "oil painting sketch cinematic macro flower garden sunset sunrise bridge street market "
    "coffee cup vintage car train station library book candle lantern forest cabin lake "
    "astronaut"
).split()
MODELS = [
    ("stability", "sd3.5-large"),
    ("openai", "gpt-image-1"),
    ("local", ""),
    ("gemini", "imagen-4"),
]
MODULES = ["create", "edit", "upscale", "tools", "upload", "social"]
KINDS = ["image"] * 17 + ["video", "audio", "text"]
BATCH = 50_000
# Every block of 50 assets: the last 6 are one job's outputs (a stack made from the
# block's first asset), one is a mask, and a few more are edits of the first.
BLOCK, STACK_FROM, MASK_AT = 50, 44, 10
LONG_QUERY = " ".join(WORDS[:30])


def _row(owner_id: int, i: int, pk: int, base_pk: int, rng: random.Random, start) -> dict:
    provider, model = rng.choice(MODELS)
    pos = i % BLOCK
    block_first = pk - pos if pk is not None else None
    row = {
        "id": pk,
        "public_id": uuid.uuid4(),
        "owner_id": owner_id,
        "kind": rng.choice(KINDS),
        "status": "ready",
        "title": " ".join(rng.choices(WORDS, k=2)).title() if rng.random() < 0.5 else "",
        "file": f"assets/bench/{owner_id}/{i}.png",
        "content_type": "image/png",
        "checksum": "0" * 64,
        "file_size": rng.randint(20_000, 8_000_000),
        "width": 1024,
        "height": rng.choice([768, 1024, 1536]),
        "source_module": rng.choice(MODULES),
        "prompt": " ".join(rng.choices(WORDS, k=rng.randint(5, 14))),
        "provider": provider,
        "model": model,
        "seed": rng.randint(0, 2**31),
        "cost_credits": rng.randint(0, 40),
        "usage_count": rng.randint(0, 30),
        "is_favourite": rng.random() < 0.05,
        "created_at": start + timedelta(seconds=i * 60),
        "parent_id": None,
        "source_job_id": None,
        "stacked_under_id": None,
        "stack_size": 1,
        "is_mask": pos == MASK_AT,
    }
    if pos >= STACK_FROM or (pos and rng.random() < 0.1):
        # Derived from the block's first asset (-1: linked after a bulk insert).
        row["parent_id"] = -1 if pk is None else block_first
    if pos >= STACK_FROM:
        row["source_module"] = "social"
        row["source_job_id"] = uuid.uuid5(uuid.NAMESPACE_OID, f"{owner_id}-{i // BLOCK}")
        if pos == STACK_FROM:
            row["stack_size"] = BLOCK - STACK_FROM
        else:
            row["stacked_under_id"] = -1 if pk is None else block_first + STACK_FROM
    return row


COLUMNS = [
    "id",
    "public_id",
    "owner_id",
    "kind",
    "status",
    "title",
    "file",
    "thumbnail",
    "original_filename",
    "content_type",
    "file_size",
    "checksum",
    "width",
    "height",
    "source_module",
    "operation",
    "prompt",
    "negative_prompt",
    "provider",
    "model",
    "seed",
    "params",
    "source_job_id",
    "cost_credits",
    "palette",
    "metadata",
    "is_favourite",
    "created_at",
    "updated_at",
    "parent_id",
    "root_id",
    "usage_count",
    "stacked_under_id",
    "stack_size",
    "is_mask",
]


def _staging_tuple(r: dict, tags: str) -> tuple:
    """``r`` as a row of the staging table (``COLUMNS`` then the tag names)."""
    return (
        r["id"],
        r["public_id"],
        r["owner_id"],
        r["kind"],
        r["status"],
        r["title"],
        r["file"],
        "",
        "",
        r["content_type"],
        r["file_size"],
        r["checksum"],
        r["width"],
        r["height"],
        r["source_module"],
        "",
        r["prompt"],
        "",
        r["provider"],
        r["model"],
        r["seed"],
        "{}",
        r["source_job_id"],
        r["cost_credits"],
        "[]",
        "{}",
        r["is_favourite"],
        r["created_at"],
        r["created_at"],
        r["parent_id"],
        r["parent_id"],
        r["usage_count"],
        r["stacked_under_id"],
        r["stack_size"],
        r["is_mask"],
        tags,
    )


def _copy_assets(rows: list[tuple]) -> None:
    """COPY into a staging table, then one INSERT … SELECT that builds each search document
    exactly as ``asset_search_reindex`` does (title A, prompt B, tags C, model/provider D)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_staging "
            "(LIKE assets_asset INCLUDING DEFAULTS, tags text)"
        )
        with cursor.cursor.copy(
            f"COPY bench_staging ({', '.join(COLUMNS)}, tags) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        cols = ", ".join(COLUMNS)
        cursor.execute(
            f"""
            INSERT INTO assets_asset ({cols}, search_vector)
            SELECT {cols},
                setweight(to_tsvector('english', coalesce(title, '')), 'A')
                || setweight(to_tsvector('english', coalesce(prompt, '')), 'B')
                || setweight(to_tsvector('english', coalesce(tags, '')), 'C')
                || setweight(to_tsvector('english', coalesce(model, '') || ' ' || coalesce(provider, '')), 'D')
            FROM bench_staging ORDER BY id
            """
        )
        cursor.execute("TRUNCATE bench_staging")


def _copy_rows(table: str, columns: list[str], rows) -> None:
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _pg_batch(owner, others, lo, hi, next_id, rng, start, tags, collections, now):
    """Every row of one batch, made in a worker thread while the database loads the last."""
    assets, links, items = [], [], []
    for i in range(lo, hi):
        r = _row(owner.pk, i, next_id, None, rng, start)
        next_id += 1
        chosen = rng.sample(tags, 3)
        assets.append(_staging_tuple(r, " ".join(t.name for t in chosen)))
        links.extend(
            (r["id"], t.pk, "auto" if rng.random() < 0.5 else "manual", now) for t in chosen
        )
        if rng.random() < 0.2:
            items.extend((c.pk, r["id"], now) for c in rng.sample(collections, 2))
    for other in others:
        for i in range(lo // 5, hi // 5):
            assets.append(_staging_tuple(_row(other.pk, i, next_id, None, rng, start), ""))
            next_id += 1
    return assets, links, items, next_id


def seed(owner, others, *, have: int, want: int, rng: random.Random) -> None:
    """Grow the owner's archive from ``have`` to ``want`` assets (others get 20 % as many)."""
    start = timezone.now() - timedelta(days=800)
    tags = list(Tag.objects.filter(owner=owner))
    collections = list(Collection.objects.filter(owner=owner))
    now = timezone.now()
    if connection.vendor == "postgresql":
        _seed_postgres(owner, others, have, want, rng, start, tags, collections, now)
    for lo in range(have, want, BATCH) if connection.vendor != "postgresql" else ():
        hi = min(want, lo + BATCH)
        with transaction.atomic():
            made = _bulk_insert(owner.pk, lo, hi, rng, start)
            for other in others:
                _bulk_insert(other.pk, lo // 5, hi // 5, rng, start)
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
            asset_search_reindex(asset_ids=[a.pk for a in made])
        print(f"  seeded {hi:,} assets", file=sys.stderr, flush=True)
    # Every word the archive uses (what the typo fallback matches against), as the
    # services record them for each new asset.
    sample = list(Asset.objects.filter(owner=owner).values_list("pk", flat=True)[:2000])
    search_terms_add(asset_ids=sample)
    if connection.vendor == "postgresql":
        # What autovacuum does on a live database after a load: statistics for the planner
        # and a visibility map, so counts can be answered from the index alone.
        with connection.cursor() as cursor:
            for table in ("assets_asset", "assets_assettag", "assets_collectionitem"):
                cursor.execute(f"VACUUM ANALYZE {table}")
            # Write the load out now, so a checkpoint doesn't run during the measurement
            # (it needs a superuser; without one the figures may carry that noise).
            try:
                with transaction.atomic():
                    cursor.execute("CHECKPOINT")
            except Exception:  # noqa: BLE001
                print("  (no CHECKPOINT: not a superuser)", file=sys.stderr)


def _seed_postgres(owner, others, have, want, rng, start, tags, collections, now) -> None:
    """COPY in batches; the next batch's rows are made while the database loads this one
    (the database work releases the GIL, so both cores are busy)."""
    total = (want - have) + len(others) * (want // 5 - have // 5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('assets_asset', 'id')")
        (seq,) = cursor.fetchone()
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM assets_asset")
        (top,) = cursor.fetchone()
        # Take the ids of the whole load from the identity sequence up front.
        cursor.execute("SELECT setval(%s, %s)", [seq, top + total + 1])
        cursor.execute("SET synchronous_commit = off")
    ranges = [(lo, min(want, lo + BATCH)) for lo in range(have, want, BATCH)]
    with ThreadPoolExecutor(max_workers=1) as pool:
        args = (rng, start, tags, collections, now)
        pending = pool.submit(_pg_batch, owner, others, *ranges[0], top + 1, *args)
        for n, (_, hi) in enumerate(ranges):
            assets, links, items, next_id = pending.result()
            if n + 1 < len(ranges):
                pending = pool.submit(_pg_batch, owner, others, *ranges[n + 1], next_id, *args)
            with transaction.atomic():
                _copy_assets(assets)
                _copy_rows("assets_assettag", ["asset_id", "tag_id", "source", "created_at"], links)
                _copy_rows(
                    "assets_collectionitem", ["collection_id", "asset_id", "added_at"], items
                )
            print(f"  seeded {hi:,} assets", file=sys.stderr, flush=True)


def _bulk_insert(owner_id: int, lo: int, hi: int, rng: random.Random, start) -> list[Asset]:
    """Other databases: ORM bulk inserts, then the stack and parent links by position."""
    rows = [_row(owner_id, i, None, None, rng, start) for i in range(lo, hi)]
    fields = {f.attname for f in Asset._meta.concrete_fields}
    made = Asset.objects.bulk_create(
        [
            Asset(
                **{
                    k: v
                    for k, v in r.items()
                    if k in fields and k not in ("id", "parent_id", "stacked_under_id")
                }
            )
            for r in rows
        ],
        batch_size=1000,
    )
    by_pos = {lo + n: a for n, a in enumerate(made)}
    updates = []
    for i, r in zip(range(lo, hi), rows, strict=True):
        a = by_pos[i]
        base = i - i % BLOCK
        if r["parent_id"] is not None and base in by_pos:
            a.parent_id = a.root_id = by_pos[base].pk
        if r["stacked_under_id"] is not None and base + STACK_FROM in by_pos:
            a.stacked_under_id = by_pos[base + STACK_FROM].pk
        updates.append(a)
    Asset.objects.bulk_update(updates, ["parent", "root", "stacked_under"], batch_size=1000)
    return made


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
    SearchTerm.objects.filter(owner_id__in=ids).delete()
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(ids))
        table = Asset._meta.db_table
        cursor.execute(
            f"UPDATE {table} SET parent_id = NULL, root_id = NULL, stacked_under_id = NULL "
            f"WHERE owner_id IN ({marks})",
            ids,
        )
        cursor.execute(f"DELETE FROM {table} WHERE owner_id IN ({marks})", ids)
    owner, others = users[0], users[1:]
    Tag.objects.bulk_create(
        [Tag(owner=owner, name=w) for w in dict.fromkeys(WORDS)]
        + [Tag(owner=owner, name=f"project {i}") for i in range(20)]
    )
    Collection.objects.bulk_create([Collection(owner=owner, name=f"Board {i}") for i in range(20)])
    return owner, others


HX = {"HTTP_HX_REQUEST": "true"}


def measure(client: Client, url: str, *, runs: int) -> tuple[float, float, int, str]:
    """Median and p95 ms of the htmx grid at ``url``, its query count and its page."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **HX)
    assert response.status_code == 200, (url, response.status_code)
    queries = len(ctx.captured_queries)
    for _ in range(3):  # warm caches and the connection
        client.get(url, **HX)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        client.get(url, **HX)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), _p95(times), queries, response.content.decode()


def _p95(times: list[float]) -> float:
    times = sorted(times)
    return times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]


def measure_cold(client: Client, url: str, *, runs: int) -> float:
    """Median ms of ``url`` with an empty tile cache (every tile rendered)."""
    times = []
    for _ in range(runs):
        cache.clear()
        local_tiles.clear()
        t0 = time.perf_counter()
        client.get(url, **HX)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def explain(client: Client, url: str) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every query the grid at ``url`` runs that reads assets."""
    with CaptureQueriesContext(connection) as ctx:
        client.get(url, **HX)
    for query in ctx.captured_queries:
        sql = query["sql"]
        if "assets_asset" not in sql or not sql.lstrip().upper().startswith("SELECT"):
            continue
        print(f"\n--- {url}\n{sql[:600]}{' …' if len(sql) > 600 else ''}")
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            for (line,) in cursor.fetchall():
                print("   ", line)


def profile(client: Client, url: str, runs: int) -> None:
    print(f"\n--- profile of {runs} requests of {url} (cumulative, top 30)")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(url, **HX)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
    print(out.getvalue())


CASES = ("first_page", "deep_page", "search", "filtered_search", "typo_search", "long_search")


def run_size(client, owner, size: int, args) -> dict:
    qs = library_queryset(owner=owner, filters=LibraryFilters()).order_by("-created_at", "-id")
    tiles = qs.count()
    deep = qs.values_list("created_at", "pk")[int(tiles * 0.9)]
    cursor = _encode_cursor(*deep)
    urls = {
        "first_page": "/library/",
        "deep_page": f"/library/?after={cursor}",
        "search": "/library/?q=fox",
        "filtered_search": "/library/?q=misty+forest&kind=image&module=create&tag=river",
        # No asset has "mountian": the fallback corrects it to "mountain".
        "typo_search": "/library/?q=astronut+mountian",
        "long_search": f"/library/?q={LONG_QUERY.replace(' ', '+')}",
    }
    out = {"assets": size}
    for name, url in urls.items():
        if args.cases and name not in args.cases:
            continue
        median, p95, queries, html = measure(client, url, runs=args.runs)
        out[name] = (median, p95, queries)
        print(
            f"{size:>9,} assets  {name:<16} median {median:7.1f} ms  p95 {p95:7.1f} ms  "
            f"{queries} queries"
        )
        if name == "typo_search":
            assert "Showing results for" in html, "the typo fallback found nothing"
        if name == "first_page":
            assert 'class="stack-count"' in html, "no job stack on the first page"
    refused = client.get("/library/?q=" + "x" * 300, **HX).content.decode()
    assert "at most" in refused and "asset-card" not in refused, "over-long query not refused"
    if not args.cases or "first_page" in args.cases:
        out["first_page_cold"] = measure_cold(
            client, urls["first_page"], runs=max(5, args.runs // 4)
        )
        print(
            f"{size:>9,} assets  first page, empty tile cache: "
            f"median {out['first_page_cold']:.1f} ms"
        )
    if args.explain and connection.vendor == "postgresql":
        for name in [c for c in CASES if c in out]:
            explain(client, urls[name])
    if args.profile:
        profile(client, urls["first_page"], args.runs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated archive sizes")
    parser.add_argument("--runs", type=int, default=40, help="timed requests per case")
    parser.add_argument("--profile", action="store_true", help="cProfile the first page")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) each case's SQL"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the archive an earlier run left (one size, the same as then)",
    )
    parser.add_argument("--seed-only", action="store_true", help="seed, measure nothing")
    parser.add_argument("--cases", default="", help=f"only these of {','.join(CASES)}")
    args = parser.parse_args()
    args.cases = [c for c in args.cases.split(",") if c]
    # Whole blocks, so every stack and every derived item finds its source.
    sizes = sorted(max(5 * BLOCK, int(s) // (5 * BLOCK) * 5 * BLOCK) for s in args.sizes.split(","))

    call_command("migrate", verbosity=0)
    db = settings.DATABASES["default"]
    print(
        f"database: {connection.vendor} {db.get('NAME')} on {db.get('HOST') or 'local file'}"
        f"{'' if connection.vendor == 'postgresql' else ' (set DATABASE_URL to measure PostgreSQL)'}"
    )
    print(
        f"cache: {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}  cpus: {os.cpu_count()}"
    )
    rng = random.Random(5)
    owner = get_user_model().objects.filter(username="bench-owner").first()
    have = Asset.objects.filter(owner=owner).count() if owner and args.reuse else 0
    if args.reuse and have == sizes[-1] and len(sizes) == 1:
        print(f"reusing the {have:,} assets seeded by an earlier run")
    else:
        owner, others = setup_users()
        have = 0
    client = Client(HTTP_HOST="localhost")
    client.force_login(owner)

    results = []
    for size in sizes:
        if size > have:
            t0 = time.perf_counter()
            seed(owner, others, have=have, want=size, rng=rng)
            print(f"seeded {size - have:,} assets in {time.perf_counter() - t0:.0f} s")
            have = size
        if not args.seed_only:
            results.append(run_size(client, owner, size, args))
    if args.seed_only:
        return

    last, first = results[-1], results[0]
    done = [c for c in CASES if c in last]
    print()
    if "deep_page" in last and "first_page" in last:
        ratio = last["deep_page"][1] / last["first_page"][1]
        print(f"deep/first page p95 at {last['assets']:,}: {ratio:.2f}x")
    ratios = {}
    if len(results) > 1:
        for case in done:
            ratios[case] = last[case][1] / first[case][1]
            print(f"{case} p95 {last['assets']:,} vs {first['assets']:,}: {ratios[case]:.2f}x")
    fields = [f"database={connection.vendor}", f"assets={last['assets']}"]
    fields += [f"queries_{c}={last[c][2]}" for c in done if c in ("first_page", "deep_page")]
    fields += [f"{c}_p95_ms={last[c][1]:.1f}" for c in done]
    if "first_page_cold" in last:
        fields.append(f"first_page_cold_ms={last['first_page_cold']:.1f}")
    fields += [f"{c}_ratio={ratios[c]:.2f}" for c in ("search", "filtered_search") if c in ratios]
    print("RESULT " + " ".join(fields))


if __name__ == "__main__":
    main()
