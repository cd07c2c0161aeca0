"""The operator's tools point down only: ops/ and tools/ import neither CDK (stacks/, aws_cdk),
the emulator (local/) nor the cost model (cost/), so an operator's install needs none of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("stacks", "aws_cdk", "local", "cost", "bench")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


MODULES = sorted([*ROOT.glob("ops/**/*.py"), *ROOT.glob("tools/*.py")])


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ROOT)) for p in MODULES])
def test_ops_module_imports_nothing_above_it(path: Path) -> None:
    above = sorted(name for name in _imports(path) if name.split(".")[0] in FORBIDDEN)
    assert above == [], f"{path.relative_to(ROOT)} imports {', '.join(above)}"
