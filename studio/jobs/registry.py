"""The catalog registry: every operation the studio can run, as data.

Modules fill it in from their ``operations.py`` when the app is ready (see
``studio.apps``); this module imports none of them. Views render an operation's
``form_class``; the pipeline turns the cleaned data into a ``ProviderRequest``; billing
prices it by ``key`` (or ``price_key``) and ``quantity``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from assets.models import register_source
from providers.base import Capability


@dataclass(frozen=True)
class Module:
    """A studio module as users see it: a name in the navigation and a group of actions."""

    key: str
    label: str
    order: int
    description: str = ""
    # The module's own page ("studio:create"); it is listed in the navigation.
    url_name: str = ""
    # The module's page for one image (takes the image's public id), linked from the image.
    asset_url_name: str = ""
    # Heading of the module's operations in an image's action menu ("" = not listed).
    action_label: str = ""
    # The template of the module's page for one image (``jobs.views.module_page``); it
    # extends "jobs/module_page.html". Empty: that page as it is.
    page_template: str = ""
    # The module has no operations of its own but runs other modules' (e.g. batches); it
    # is listed all the same.
    runs_others: bool = False


@dataclass(frozen=True)
class Operation:
    key: str
    module: str
    label: str
    verb: str  # the submit button's word: "Resize"
    progress_message: str  # "Resizing…"
    capability: Capability
    form_class: type
    description: str = ""
    provider: str = "local"
    # "image": one or more new assets; "analysis": results stored on the input asset.
    output: str = "image"
    # How many billable units a job's params make (variations, renditions, …).
    quantity: Callable[[dict[str, Any]], int] = field(default=lambda params: 1)
    # Optional hooks: extra params from the input assets when the job is created, and a
    # step run by the worker before the provider call (e.g. detect a focal point once).
    expand_params: Callable[[dict[str, Any], list], dict[str, Any]] | None = None
    prepare: Callable[..., dict[str, Any]] | None = None
    # The page that hosts the form (it must define an "op-form" partial), and extra
    # context that page needs.
    template: str = ""
    page_context: Callable[[Any], dict[str, Any]] | None = None
    model: str = ""  # a fixed model of the provider, when the operation has one
    # Called after a successful job with (job, inputs, created assets).
    on_success: Callable[..., None] | None = None
    # Price table key, when it is not the operation's own key.
    price_key: str = ""
    # Replaces the single provider call (e.g. variations in parallel with fallback).
    runner: Callable[..., Any] | None = None
    uses_mask: bool = False  # the job's "mask" file (white = change) goes to the provider
    # Turns the stored mask into the one the provider gets (e.g. grown and feathered by the
    # job's params): ``(mask bytes, params) -> mask bytes``.
    prepare_mask: Callable[[bytes, dict[str, Any]], bytes] | None = None
    # The runner also gets the job's private input files by role (``files={...}``): a style
    # image or a speech recording uploaded with the form.
    runner_takes_files: bool = False
    # Plan limits this job touches, as billing.preflight keyword arguments, from the
    # job's params and its input assets.
    limits: Callable[[dict[str, Any], list], dict[str, Any]] = field(
        default=lambda params, inputs: {}
    )
    # Listed in an image's action menu (operations with a page of their own are not).
    in_actions: bool = True
    # For operations whose page builds params itself (no catalog form): job params from
    # one row of plain text values, ``(user=, values=, memo=) -> params`` (``memo``: a dict
    # shared by the rows of one batch, for lookups they have in common); raises
    # ValidationError. Lets a batch run the operation.
    params_from_values: Callable[..., dict[str, Any]] | None = None

    def build_params(self, cleaned: dict[str, Any], inputs: list | None = None) -> dict[str, Any]:
        """JSON-safe provider params from cleaned form data (empty values dropped)."""
        params = {k: v for k, v in cleaned.items() if v not in (None, "")}
        if self.expand_params is not None:
            params = self.expand_params(params, inputs or [])
        return params


_MODULES: dict[str, Module] = {}
_OPERATIONS: dict[str, Operation] = {}
# Read-only view for callers that iterate the catalog.
OPERATIONS = _OPERATIONS


def register_module(module: Module) -> Module:
    """Add a module (idempotent for the same definition); returns it."""
    existing = _MODULES.get(module.key)
    if existing is not None and existing != module:
        raise ValueError(f"Module {module.key!r} is already registered differently")
    _MODULES[module.key] = module
    register_source(module.key, module.label)
    return module


def register(*operations: Operation) -> None:
    """Add operations to the catalog. Their module must be registered first."""
    for op in operations:
        if op.module not in _MODULES:
            raise ValueError(f"Operation {op.key!r} names unknown module {op.module!r}")
        _OPERATIONS[op.key] = op


def unregister(key: str) -> None:
    """Remove an operation (benchmarks and tests that register their own)."""
    _OPERATIONS.pop(key, None)


def get_operation(key: str) -> Operation:
    """Return the operation registered under ``key``; ``KeyError`` if there is none."""
    return _OPERATIONS[key]


def operations(module: str | None = None) -> list[Operation]:
    """Registered operations, all or one module's, in registration order."""
    return [op for op in _OPERATIONS.values() if module is None or op.module == module]


def modules() -> list[Module]:
    """Modules that have at least one operation (or run others'), in display order."""
    used = {op.module for op in _OPERATIONS.values()}
    return sorted(
        (m for m in _MODULES.values() if m.key in used or m.runs_others), key=lambda m: m.order
    )


def get_module(key: str) -> Module:
    """The registered module ``key``; ``KeyError`` if there is none."""
    return _MODULES[key]


def module_labels() -> Iterable[tuple[str, str]]:
    """(key, label) of every module with operations, for choices and filters."""
    return [(m.key, m.label) for m in modules()]
