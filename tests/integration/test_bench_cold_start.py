"""Cold-start measurement helpers: the import time of a module, read from `python -X importtime` run
in a fresh subprocess."""

from __future__ import annotations

from pathlib import Path

from bench.cold_start import import_time_us


def test_cold_start_import_time_is_the_modules_cumulative_time(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text("import json\nimport decimal\n")

    cumulative, slowest = import_time_us("pkg.handler", str(tmp_path))

    assert cumulative > 0  # the module's own line was found (import_time_us raises otherwise)
    assert len(slowest) == 5
