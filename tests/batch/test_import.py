"""CSV parsing and the dry run: every bad input is a clear message and changes nothing."""

from __future__ import annotations

import time

import pytest

from billing.models import LedgerEntry
from studio.batch import importer, services
from studio.batch.importer import BatchInputError
from studio.batch.models import Batch

pytestmark = pytest.mark.django_db


def test_it_reads_bom_semicolons_and_quoted_fields():
    data = '\ufeffsku;image_url;name\n"A;1";"https://x.test/a.png";"Mug, ""large"""\n'.encode()
    columns, rows = importer.parse_csv(data)
    assert columns == ["sku", "image_url", "name"]
    assert rows == [{"sku": "A;1", "image_url": "https://x.test/a.png", "name": 'Mug, "large"'}]


def test_it_reads_commas_and_quoted_line_breaks_and_skips_blank_lines():
    data = b'prompt,seed\r\n"two\r\nlines",4\r\n\r\n,\r\nthird,\r\n'
    _, rows = importer.parse_csv(data)
    assert rows == [{"prompt": "two\r\nlines", "seed": "4"}, {"prompt": "third", "seed": ""}]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"  \n\n", "The file is empty"),
        (b"sku,image_url\n", "header but no rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        ("sku,image_url\nä,ö\n".encode("latin-1"), "not UTF-8"),
        (b"sku,,image_url\n1,2,3\n", "needs a name"),
        (b"sku,sku\n1,2\n", "Column named twice: sku"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(data, message):
    with pytest.raises(BatchInputError) as exc:
        importer.parse_csv(data)
    assert message in exc.value.message


def test_unknown_columns_name_the_kind():
    with pytest.raises(BatchInputError, match="Name the columns"):
        importer.kind_of(["title", "url"])


def test_rows_over_the_hard_cap_are_refused(settings):
    settings.BATCH_MAX_ROWS = 10_000
    data = ("sku,image_url\n" + "x,https://a.test/x.png\n" * 10_001).encode()
    with pytest.raises(BatchInputError, match="more than 10,000 rows"):
        importer.parse_csv(data)


def test_a_batch_over_the_plan_limit_is_refused_and_nothing_is_created(alice):
    # The free plan allows batches of 1.
    data = b"sku,image_url\na,https://a.test/a.png\nb,https://a.test/b.png\n"
    with pytest.raises(BatchInputError, match="allows batches of up to 1"):
        services.batch_create_from_csv(user=alice, data=data)
    assert not Batch.objects.exists()


def test_row_problems_are_messages_per_row(business):
    data = (
        b"sku,image_url,operation,format,quality,colour\n"
        b"a,https://a.test/a.png,tools.convert,webp,85,\n"
        b"b,javascript:alert(1),tools.convert,webp,85,\n"
        b"c,https://a.test/c.png,tools.convert,gif,85,\n"
        b"d,,tools.convert,webp,85,\n"
        b"e,https://a.test/e.png,tools.convert,webp,85,red\n"
        b"f,https://a.test/f.png,Remove background,,,\n"
    )
    batch = services.batch_create_from_csv(user=business, data=data)
    errors = dict(batch.rows.values_list("number", "error"))
    assert errors[1] == "" and errors[6] == ""
    assert "only http:// and https://" in errors[2]
    assert "format" in errors[3] and "gif" in errors[3]
    assert errors[4] == "Empty image_url."
    assert errors[5] == "Unknown column for Export / convert: colour."
    assert batch.rows.get(number=6).operation == "edit.remove_background"
    assert not LedgerEntry.objects.filter(kind="hold").exists()


def test_prompt_rows_need_a_prompt_and_a_provider(business):
    data = b"prompt,variations\n,1\nA lemon,2\nA lime,99\n"
    batch = services.batch_create_from_csv(user=business, data=data)
    errors = dict(batch.rows.values_list("number", "error"))
    assert errors[1] == "Empty prompt."
    # No provider that makes images from text is configured in the tests.
    assert "variations" in errors[3] or "provider" in errors[3]
    assert errors[2]


def test_template_csvs_parse_as_their_kind():
    for kind in importer.TEMPLATES:
        columns, rows = importer.parse_csv(importer.template_csv(kind).encode())
        assert importer.kind_of(columns) == kind and len(rows) == 2


def test_a_1000_row_dry_run_takes_under_two_seconds(business):
    data = (
        "sku,image_url,operation,format,quality\n"
        + "".join(f"S{i},https://a.test/{i}.png,tools.convert,webp,80\n" for i in range(1000))
    ).encode()
    started = time.perf_counter()
    _, rows = importer.parse_csv(data)
    plans = importer.dry_run(user=business, rows=rows)
    elapsed = time.perf_counter() - started
    assert len(plans) == 1000 and all(p.valid for p in plans)
    assert elapsed < 2.0
