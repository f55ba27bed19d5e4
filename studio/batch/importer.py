"""CSV import and the dry run: parse a file, validate and price every row, change nothing.

A row names its operation (or takes the batch's) and its values; validation uses the
operation's own catalog form (or its ``params_from_values`` hook for prompt rows), prices
it with the pipeline's quote and checks the plan's limits, so a row that passes here is
a job the pipeline accepts.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from billing import services as billing
from billing.exceptions import InsufficientCredits
from providers.base import ProviderError
from studio.jobs.registry import OPERATIONS, Operation, get_operation
from studio.jobs.services import job_quote

PROMPT_COLUMNS = ("prompt", "negative_prompt", "template", "style", "persona", "model")
PROMPT_COLUMNS += ("variations", "seed", "quality", "width", "height")
PRODUCT_COLUMNS = ("sku", "image_url", "operation", "name", "file")
GENERATE = "create.generate"

TEMPLATES = {
    "prompts": (
        ["prompt", "template", "style", "persona", "model", "variations", "seed"],
        [
            [
                "A ceramic mug on a marble counter, morning light",
                "instagram-square",
                "",
                "",
                "",
                "1",
                "",
            ],
            ["Summer sale banner with lemons", "", "", "", "", "2", "42"],
        ],
    ),
    "products": (
        ["sku", "image_url", "operation", "format", "quality"],
        [
            ["MUG-001", "https://example.com/images/mug-001.jpg", "edit.remove_background", "", ""],
            ["MUG-002", "https://example.com/images/mug-002.jpg", "tools.convert", "webp", "85"],
        ],
    ),
}


class BatchInputError(Exception):
    """The file as a whole can't be used; ``message`` says why, in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class RowPlan:
    """One row of the dry run: what it will do and cost, or why it can't run."""

    number: int
    values: dict[str, str]
    operation: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    provider: str = ""
    sku: str = ""
    slug: str = ""
    image_url: str = ""
    asset: Any = None
    credits: int = 0
    error: str = ""

    @property
    def valid(self) -> bool:
        return not self.error


# --------------------------------------------------------------------------- parsing


def parse_csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """Column names (lower-cased) and rows of a CSV file, or ``BatchInputError``.

    UTF-8 with or without a BOM; comma or semicolon, detected from the header line;
    quoted fields may hold delimiters and line breaks. Blank lines are skipped.
    """
    if not data or not data.strip():
        raise BatchInputError("The file is empty. Download a template to see the columns.")
    if len(data) > settings.BATCH_MAX_CSV_BYTES:
        mb = settings.BATCH_MAX_CSV_BYTES // (1024 * 1024)
        raise BatchInputError(f"The file is larger than {mb} MB. Split it into smaller batches.")
    if b"\x00" in data[:8192]:
        raise BatchInputError("This is not a CSV file (it holds binary data).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BatchInputError(
            "This file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."
        ) from None
    first = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        header = next(reader)
        while header is not None and not any(h.strip() for h in header):
            header = next(reader)
    except StopIteration:
        raise BatchInputError(
            "The file is empty. Download a template to see the columns."
        ) from None
    except csv.Error as exc:
        raise BatchInputError(f"This CSV can't be read: {exc}.") from None
    columns = [h.strip().lower().replace(" ", "_") for h in header]
    if any(not c for c in columns):
        raise BatchInputError("Every column needs a name in the first line.")
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise BatchInputError(f"Column named twice: {', '.join(dupes)}.")
    rows: list[dict[str, str]] = []
    limit = settings.BATCH_MAX_ROWS
    try:
        for record in reader:
            if not any(v.strip() for v in record):
                continue
            if len(rows) >= limit:
                raise BatchInputError(
                    f"This file has more than {limit:,} rows, the most one batch can take. "
                    "Split it into smaller batches."
                )
            row = {c: (record[i].strip() if i < len(record) else "") for i, c in enumerate(columns)}
            if len(record) > len(columns) and any(v.strip() for v in record[len(columns) :]):
                row["__extra__"] = "1"
            rows.append(row)
    except csv.Error as exc:
        raise BatchInputError(f"This CSV can't be read: {exc}.") from None
    if not rows:
        raise BatchInputError("The file has a header but no rows.")
    return columns, rows


def kind_of(columns: list[str]) -> str:
    """``prompts`` or ``products`` from the columns, or ``BatchInputError``."""
    if "prompt" in columns:
        return "prompts"
    if "image_url" in columns:
        return "products"
    raise BatchInputError(
        "Name the columns in the first line: “prompt” for generation, or “sku,image_url” for "
        "product images. Download a template to start from."
    )


def template_csv(kind: str) -> str:
    header, examples = TEMPLATES[kind]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(examples)
    return out.getvalue()


# --------------------------------------------------------------------------- validation


def batch_operations() -> list[Operation]:
    """Catalog operations a batch row can run: one input image (no mask), or a prompt."""
    ops = []
    for op in OPERATIONS.values():
        if op.key == GENERATE and op.params_from_values is not None:
            ops.append(op)
        elif op.params_from_values is None and not op.uses_mask and op.form_class is not None:
            if op.key in ("social.focal",):
                continue
            ops.append(op)
    return ops


def find_operation(name: str) -> Operation | None:
    """An operation by key (``tools.convert``) or label (“Remove background”)."""
    name = (name or "").strip()
    if not name:
        return None
    allowed = {op.key: op for op in batch_operations()}
    if name in allowed:
        return allowed[name]
    wanted = slugify(name)
    for op in allowed.values():
        if slugify(op.label) == wanted or slugify(op.key.split(".", 1)[-1]) == wanted:
            return op
    return None


_TRUE = {"1", "true", "yes", "y", "on", "x"}


def _form_data(form_class, values: dict[str, Any], *, asset=None) -> dict[str, Any]:
    """Bound data for a catalog form: its initial values, overridden by ``values``.

    Initials come from an unbound instance, so fields a form builds in ``__init__`` (an
    engine or format picker that depends on configuration) get theirs too.
    """
    unbound = form_class(asset=asset)
    data: dict[str, Any] = {}
    for name, fld in unbound.fields.items():
        initial = unbound.get_initial_for_field(fld, name)
        if initial is not None and initial != "":
            data[name] = initial
    for name, value in values.items():
        fld = unbound.fields.get(name)
        if fld is None:
            continue
        if isinstance(fld, forms.BooleanField):
            if str(value).strip().lower() in _TRUE:
                data[name] = "on"
            else:
                data.pop(name, None)
        elif isinstance(fld, forms.MultipleChoiceField) and isinstance(value, str):
            data[name] = [v.strip() for v in re.split(r"[|,]", value) if v.strip()]
        else:
            data[name] = value
    for name, fld in unbound.fields.items():
        if isinstance(fld, forms.BooleanField) and data.get(name) is False:
            data.pop(name)
    return data


def _messages(errors) -> str:
    out = []
    for key, items in errors.items():
        for message in items:
            out.append(message if key == "__all__" else f"{key}: {message}")
    return " ".join(out)


def check_url(value: str) -> str:
    """The URL if it can be fetched in principle (http/https, a host), else ``ValidationError``.

    The address is checked when it is fetched (``studio.batch.fetch``): names can change.
    """
    value = (value or "").strip()
    if not value:
        raise ValidationError("Empty image_url.")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError("Bad URL: only http:// and https:// addresses can be fetched.")
    if not parts.hostname:
        raise ValidationError("Bad URL: it names no host.")
    if len(value) > 2000:
        raise ValidationError("Bad URL: longer than 2,000 characters.")
    return value


class DryRun:
    """Validates and prices rows for one user; memoises quotes and plan checks.

    A 1,000-row file mostly repeats a few (operation, provider, model) combinations, so
    each combination is priced and checked against the plan once.
    """

    def __init__(self, *, user, default_operation: str = "", defaults: dict | None = None):
        self.user = user
        self.default_operation = default_operation
        self.defaults = dict(defaults or {})
        self._quotes: dict[tuple, Any] = {}
        self._checks: dict[tuple, str] = {}
        self._memo: dict[str, Any] = {}
        self._field_names: dict[tuple, set[str]] = {}

    def _fields(self, op: Operation, asset) -> set[str]:
        """The operation form's field names (some forms add fields in ``__init__``)."""
        key = (op.key, asset is None)
        if key not in self._field_names:
            self._field_names[key] = set(op.form_class(asset=asset).fields)
        return self._field_names[key]

    def _quote(self, op: Operation, params: dict[str, Any]):
        key = (
            op.key,
            params.get("provider") or op.provider,
            params.get("model", ""),
            params.get("tier", ""),
            op.quantity(params),
            params.get("seconds") or 0,
        )
        if key not in self._quotes:
            self._quotes[key] = job_quote(operation=op, params=params)
        return self._quotes[key]

    def _plan_error(self, op: Operation, params: dict[str, Any], inputs: list) -> str:
        limits = op.limits(params, inputs)
        quote = self._quote(op, params)
        key = (op.module, quote.provider, quote.model, tuple(sorted(limits.items())))
        if key not in self._checks:
            try:
                billing.preflight(
                    user=self.user,
                    quote=quote,
                    module=op.module,
                    provider=params.get("provider") or op.provider,
                    model=params.get("model", ""),
                    **limits,
                )
                self._checks[key] = ""
            except InsufficientCredits:
                self._checks[key] = ""  # the batch total is checked at approval
            except billing.BillingError as exc:
                self._checks[key] = exc.message
        return self._checks[key]

    def row(self, number: int, values: dict[str, str], *, asset=None) -> RowPlan:
        plan = RowPlan(number=number, values=dict(values))
        plan.values.pop("__extra__", None)
        if values.get("__extra__"):
            plan.error = "This row has more fields than the header has columns."
            return plan
        try:
            self._fill(plan, values, asset)
        except ValidationError as exc:
            plan.error = " ".join(exc.messages)
        except ProviderError as exc:
            plan.error = exc.user_message
        except billing.BillingError as exc:
            plan.error = exc.message
        return plan

    def _fill(self, plan: RowPlan, values: dict[str, str], asset) -> None:
        name = values.get("operation") or self.default_operation
        if "prompt" in values and not values.get("operation"):
            name = GENERATE
        op = find_operation(name)
        if op is None:
            raise ValidationError(
                f"Unknown operation “{name}”." if name else "Choose an operation for this row."
            )
        plan.operation = op.key
        plan.sku = values.get("sku", "")[:120]
        if op.params_from_values is not None:
            extra = sorted(k for k in values if k not in PROMPT_COLUMNS and values[k])
            if extra:
                raise ValidationError(f"Unknown column: {', '.join(extra)}.")
            if not values.get("prompt"):
                raise ValidationError("Empty prompt.")
            text = {k: v for k, v in values.items() if v}
            params = op.params_from_values(user=self.user, values=text, memo=self._memo)
            plan.slug = slugify(values["prompt"])[:60] or f"row-{plan.number}"
            inputs: list = []
        else:
            fields = self._fields(op, asset)
            extra = sorted(
                k for k in values if k not in PRODUCT_COLUMNS and k not in fields and values[k]
            )
            if extra:
                raise ValidationError(f"Unknown column for {op.label}: {', '.join(extra)}.")
            if asset is None:
                plan.image_url = check_url(values.get("image_url", ""))
                base = plan.sku or urlsplit(plan.image_url).path.rsplit("/", 1)[-1]
            else:
                plan.asset = asset
                base = plan.sku or asset.display_title
            plan.slug = slugify(base.rsplit(".", 1)[0])[:60] or f"row-{plan.number}"
            given = {k: v for k, v in values.items() if k in fields and v != ""}
            data = _form_data(op.form_class, {**self.defaults, **given}, asset=asset)
            form = op.form_class(data=data, asset=asset)
            if not form.is_valid():
                raise ValidationError(_messages(form.errors))
            inputs = [asset] if asset is not None else []
            params = op.build_params(dict(form.cleaned_data), inputs)
        plan.params = _json_params(params)
        plan.provider = params.get("provider") or op.provider or "local"
        plan.credits = self._quote(op, params).credits
        message = self._plan_error(op, params, inputs)
        if message:
            raise ValidationError(message)


def _json_params(params: dict[str, Any]) -> dict[str, Any]:
    """Params as stored on a row and a job: JSON types only (decimals and dates as text)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str | int | float | bool | list | dict | type(None)):
            out[key] = value
        else:
            out[key] = str(value)
    return out


def dry_run(
    *, user, rows: list[dict[str, str]], default_operation: str = "", defaults: dict | None = None
) -> list[RowPlan]:
    """Every row validated and priced (nothing is written)."""
    checker = DryRun(user=user, default_operation=default_operation, defaults=defaults)
    return [checker.row(i, values) for i, values in enumerate(rows, start=1)]


def get_operation_or_none(key: str) -> Operation | None:
    try:
        return get_operation(key)
    except KeyError:
        return None
