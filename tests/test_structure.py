"""The code's shape: no import cycles inside the apps, and studio modules that never
import each other (shared pieces live in studio.jobs or studio.platforms)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("studio", "assets", "billing", "providers", "imagestudio")
STUDIO_MODULES = ("create", "edit", "upscale", "control", "transform", "social", "tools", "batch")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found[_module_name(path)] = path
    return found


def _top_level_imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Project modules imported when ``name`` is imported (not inside functions, not
    under ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text())
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    targets: set[str] = set()

    def resolve(module: str | None, level: int) -> str:
        if level == 0:
            return module or ""
        base = package.split(".")
        base = base[: len(base) - (level - 1)]
        return ".".join(base + ([module] if module else []))

    def visit(nodes):
        for node in nodes:
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = resolve(node.module, node.level)
                targets.add(base)
                targets.update(f"{base}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If):
                test = ast.unparse(node.test)
                if "TYPE_CHECKING" not in test:
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
            elif isinstance(node, ast.ClassDef):
                visit(node.body)

    visit(tree.body)
    # A module's own parent packages are always imported before it: not a cycle.
    ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    return {t for t in targets if t in known and t != name and t not in ancestors}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _top_level_imports(path, name, known) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for v in graph:
        if v not in index:
            strong(v)
    return result


def test_no_import_cycles_between_modules():
    cycles = _cycles(_graph())
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("module", STUDIO_MODULES)
def test_a_studio_module_never_imports_another(module):
    graph = _graph()
    others = {f"studio.{m}" for m in STUDIO_MODULES if m != module}
    offenders = []
    for name, imports in graph.items():
        if name == f"studio.{module}" or name.startswith(f"studio.{module}."):
            for target in imports:
                if any(target == o or target.startswith(o + ".") for o in others):
                    offenders.append(f"{name} imports {target}")
    assert not offenders, offenders


def test_the_registry_imports_no_module():
    imports = _graph()["studio.jobs.registry"]
    assert not [t for t in imports if t.startswith("studio.")], imports


def test_assets_and_billing_know_nothing_of_studio():
    graph = _graph()
    offenders = [
        f"{name} imports {target}"
        for name, imports in graph.items()
        if name.split(".")[0] in ("assets", "billing")
        for target in imports
        if target.startswith("studio")
    ]
    assert not offenders, offenders
