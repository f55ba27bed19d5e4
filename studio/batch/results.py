"""A batch's results: a streamed ZIP, a CSV report and the email when it finishes."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assets.archive import zip_stream_named
from assets.services import temp_link_create

from .models import Batch, BatchRow

LINK_SECONDS = 7 * 24 * 3600


def row_outputs(row: BatchRow) -> list:
    """The row's output images that are not in the trash."""
    if row.job_id is None or row.status != BatchRow.Status.SUCCEEDED:
        return []
    return list(row.job.live_outputs)


def output_names(row: BatchRow, outputs: list) -> list[str]:
    """``<row>-<sku or slug>.<ext>``; a row with several outputs numbers them."""
    names = []
    for i, asset in enumerate(outputs, start=1):
        ext = PurePosixPath(asset.file.name).suffix.lower() or ".bin"
        suffix = f"-{i}" if len(outputs) > 1 else ""
        label = "".join(c if c.isalnum() or c in "-_." else "-" for c in row.label)[:80]
        names.append(f"{row.number}-{label}{suffix}{ext}")
    return names


def _rows(batch: Batch):
    return batch.rows.select_related("job").prefetch_related("job__outputs").order_by("number")


def zip_stream(batch: Batch) -> Iterator[bytes]:
    """The succeeded rows' outputs as a ZIP, a chunk at a time, named ``<row>-<label>``."""

    def members():
        for row in _rows(batch):
            outputs = row_outputs(row)
            yield from zip(outputs, output_names(row, outputs), strict=True)

    return zip_stream_named(members())


def has_outputs(batch: Batch) -> bool:
    return batch.rows.filter(
        status=BatchRow.Status.SUCCEEDED, job__outputs__status="ready"
    ).exists()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: a leading =, +, -, @, tab or CR (a formula
    to Excel, LibreOffice and Sheets) gets an apostrophe in front."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


REPORT_HEADER = [
    "row",
    "sku",
    "input",
    "operation",
    "status",
    "output_files",
    "urls",
    "credits_charged",
    "error",
]


def report_rows(batch: Batch, absolute: Callable[[str], str]) -> Iterator[list[str]]:
    yield REPORT_HEADER
    for row in _rows(batch):
        outputs = row_outputs(row)
        names = output_names(row, outputs)
        urls = [absolute(temp_link_create(asset=a, seconds=LINK_SECONDS)) for a in outputs]
        given = row.image_url or row.values.get("prompt", "") or row.values.get("file", "")
        yield [
            cell(row.number),
            cell(row.sku),
            cell(given),
            cell(row.operation),
            cell(row.get_status_display()),
            cell(" ".join(names)),
            cell(" ".join(urls)),
            cell(row.credits_charged),
            cell(row.error),
        ]


def report_csv(batch: Batch, absolute: Callable[[str], str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(report_rows(batch, absolute))
    return out.getvalue()


def _site(path: str) -> str:
    return path if path.startswith(("http://", "https://")) else settings.SITE_URL + path


def batch_notify(*, batch_id: int) -> bool:
    """Email the owner that the batch finished, once; False when not wanted or sent already.

    The batch row stays locked while the mail goes out, and the mark is saved only after
    the SMTP server took it: a failure leaves it unsent for the tick to try again.
    """
    from .services import batch_progress

    with transaction.atomic():
        batch = (
            Batch.objects.select_for_update().select_related("owner").filter(pk=batch_id).first()
        )
        if batch is None or batch.notified_at is not None or not batch.notify:
            return False
        if batch.status != Batch.Status.FINISHED or not batch.owner.email:
            return False
        progress = batch_progress(batch=batch)
        url = _site(batch.get_absolute_url())
        failed = f", {progress.failed} failed (not charged)" if progress.failed else ""
        lines = [
            f"Your batch “{batch.name}” has finished.",
            "",
            f"{progress.succeeded} of {progress.approved} rows succeeded{failed}.",
            f"Credits charged: {progress.credits_charged}.",
            "",
            f"Results and the report: {url}",
        ]
        if has_outputs(batch):
            zip_url = _site(reverse("studio:batch_download", args=[batch.public_id]))
            lines.append(f"Download all (ZIP): {zip_url}")
        send_mail(
            subject=f"Batch finished: {batch.name} "
            f"({progress.succeeded}/{progress.approved} succeeded)",
            message="\n".join(lines) + "\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[batch.owner.email],
        )
        batch.notified_at = timezone.now()
        batch.save(update_fields=["notified_at"])
    return True
