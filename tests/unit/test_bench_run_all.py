"""run_all: the generated part of docs/BENCHMARKS.md is replaced, the hand-written rest kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import run_all
from bench.report import table


def test_run_all_update_docs_replaces_only_the_marked_section(tmp_path: Path) -> None:
    docs = tmp_path / "BENCHMARKS.md"
    docs.write_text(f"# Benchmarks\n\nprose\n\n{run_all.BEGIN}\nold\n{run_all.END}\n\nmore prose\n")

    run_all.update_docs("new results\n", docs)

    text = docs.read_text()
    assert "old" not in text
    assert f"{run_all.BEGIN}\nnew results\n{run_all.END}" in text
    assert text.startswith("# Benchmarks\n\nprose") and text.endswith("more prose\n")


def test_run_all_rejects_unknown_benchmarks(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run_all.main(["--only", "nope"])
    assert "unknown benchmark" in capsys.readouterr().err


def test_report_table_aligns_numbers_right() -> None:
    text = table(("name", "n"), [["a", 1_000], ["bb", 2.5]])

    lines = text.splitlines()
    assert lines[0].split() == ["name", "n"]
    assert lines[2].endswith("1,000") and lines[3].endswith("2.50")


def test_cost_knobs_variants_are_valid_configurations() -> None:
    from bench.cost_knobs import VARIANTS
    from stacks.deployment_config import parse_config

    for settings, _ in VARIANTS.values():
        parse_config(settings)  # raises ConfigError on a misspelt knob
