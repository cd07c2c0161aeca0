"""Layers point down: the product's imports, read from its source with `ast` (nothing is imported).

The product is app.py and the packages stacks/, synthesis/, local/, cost/, bench/, ops/, tools/
and each Lambda package under lambdas/ (the asset root, so `collector_core.x` is a module there).
Every import counts, the ones under `if TYPE_CHECKING:` and inside functions too: a circle a
reader has to follow is a circle whether or not Python executes it at import time.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDAS = REPO_ROOT / "lambdas"
PACKAGE_DIRS = ("stacks", "synthesis", "local", "cost", "bench", "ops", "tools")
# Packages that must work without the demo's package: the product's synth, stacks and cost model,
# and the operator's tools. bench/ sits above local/: its sampling-accuracy benchmark measures the
# pipeline run on the emulator, as the end-to-end tests do.
BELOW_LOCAL = ("app", "stacks", "synthesis", "cost", "ops", "tools")
CDK = {"aws_cdk", "constructs", "cdk_nag"}

Graph = dict[str, set[str]]


def product_files() -> dict[str, Path]:
    """Module name -> source file of every product module."""
    files = {"app": REPO_ROOT / "app.py"}
    roots = [(REPO_ROOT, REPO_ROOT / d) for d in PACKAGE_DIRS]
    roots += [(LAMBDAS, d) for d in sorted(LAMBDAS.iterdir()) if d.is_dir() and d.name != "__pycache__"]
    for root, folder in roots:
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    return files


def imported_names(path: Path, module: str) -> set[str]:
    """Every dotted name `path` imports (for `from a import b`: `a.b` and `a`)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against this module's package
                package = module.split(".")
                package = package[: len(package) - node.level + (1 if is_package else 0)]
                base = ".".join([*package, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def module_graph(files: dict[str, Path]) -> Graph:
    """Module -> the product modules it imports by name (a package's __init__ when the name is one)."""
    graph: Graph = {}
    for module, path in files.items():
        targets = {_resolve(name, files) for name in imported_names(path, module)}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def _resolve(name: str, files: dict[str, Path]) -> str | None:
    """The product module a dotted name refers to: the longest prefix that is one, or None."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in files:
            return candidate
    return None


def package_of(module: str) -> str:
    """The room a module belongs to: its top-level package (app.py is `app`)."""
    return module.split(".", maxsplit=1)[0]


def package_graph(modules: Graph) -> Graph:
    graph: Graph = {}
    for module, targets in modules.items():
        graph.setdefault(package_of(module), set()).update(
            package_of(t) for t in targets if package_of(t) != package_of(module)
        )
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


@cache
def product_modules() -> Graph:
    return module_graph(product_files())


def importers_of(graph: Graph, target_package: str, sources: Iterable[str]) -> list[str]:
    """`module -> module` for each import of `target_package` by a module of `sources`."""
    return sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if package_of(module) in sources
        for target in targets
        if package_of(target) == target_package
    )


def test_import_layers_no_module_imports_itself_in_a_circle() -> None:
    assert cycles(product_modules()) == []


def test_import_layers_no_circle_among_the_product_packages() -> None:
    """Passes once lambdas/ec2_ebs_state and lambdas/ec2_state_events no longer import each other."""
    assert cycles(package_graph(product_modules())) == []


def test_import_layers_synth_cost_stacks_and_ops_import_nothing_from_local() -> None:
    assert importers_of(product_modules(), "local", BELOW_LOCAL) == []


def test_import_layers_operator_tools_know_no_cdk_and_no_stacks() -> None:
    offending = sorted(
        f"{module} -> {name}"
        for module, path in product_files().items()
        if package_of(module) in {"ops", "tools"}
        for name in imported_names(path, module)
        if name.split(".")[0] in {*CDK, "stacks", "synthesis"}
    )
    assert offending == []


def test_import_layers_lambdas_import_no_cdk_and_nothing_of_the_project_outside_lambdas() -> None:
    lambda_packages = {d.name for d in LAMBDAS.iterdir() if (d / "__init__.py").exists()}
    offending = sorted(
        f"{module} -> {name}"
        for module, path in product_files().items()
        if package_of(module) in lambda_packages
        for name in imported_names(path, module)
        if name.split(".")[0] in {*CDK, *PACKAGE_DIRS, "app"}
    )
    assert offending == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set(), "c": {"a", "b"}}, []),
    ],
)
def test_import_layers_cycle_finder_finds_circles(graph: Graph, expected: list[list[str]]) -> None:
    assert cycles(graph) == expected


def test_import_layers_a_real_circle_in_source_is_found(tmp_path: Path) -> None:
    # given: two modules that import each other, one of them only for typing
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "run.py").write_text("from pkg.report import show\n")
    (tmp_path / "pkg" / "report.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.run import Result\n"
    )
    (tmp_path / "pkg" / "plain.py").write_text("from . import run\n")
    files = {
        "pkg": tmp_path / "pkg" / "__init__.py",
        **{f"pkg.{p.stem}": p for p in (tmp_path / "pkg").glob("[!_]*.py")},
    }

    # when
    graph = module_graph(files)

    # then
    assert cycles(graph) == [["pkg.report", "pkg.run"]]
    assert graph["pkg.plain"] == {"pkg.run", "pkg"}
