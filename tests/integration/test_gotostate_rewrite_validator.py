"""gotostate's rewritten definitions pass AWS's ASL validator (asl-validator, run as a subprocess)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ops.gotostate.rewrite import rewrite_definition
from tests.unit.test_gotostate_rewrite import JSONATA_MACHINE, JSONPATH_MACHINE

_ASL_VALIDATOR = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "asl-validator"


@pytest.mark.skipif(not _ASL_VALIDATOR.exists(), reason="asl-validator comes with `make setup` (npm ci)")
def test_rewrite_output_passes_asl_validator(tmp_path: Path) -> None:
    collided = json.loads(json.dumps(JSONPATH_MACHINE))
    collided["States"]["GoToState"] = {"Type": "Pass", "Next": "Parallel"}
    collided["StartAt"] = "GoToState"
    rewritten = {
        "jsonpath.json": rewrite_definition(JSONPATH_MACHINE, "Parallel 2", ["x", "y"]),
        "collided.json": rewrite_definition(collided, "Iterate"),
        "jsonata.json": rewrite_definition(JSONATA_MACHINE, "Use", ["count"]),
    }
    arguments: list[str] = []
    for name, definition in rewritten.items():
        (tmp_path / name).write_text(json.dumps(definition))
        arguments += ["--json-path", str(tmp_path / name)]

    checked = subprocess.run(
        [str(_ASL_VALIDATOR), *arguments], capture_output=True, text=True, timeout=60, check=False
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
