"""Cold-start measurement helpers: import-time parsing and package sizing."""

from __future__ import annotations

from pathlib import Path

from bench.cold_start import import_time_us, zipped_size


def test_cold_start_import_time_is_the_modules_cumulative_time(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text("import json\nimport decimal\n")

    cumulative, slowest = import_time_us("pkg.handler", str(tmp_path))

    assert cumulative > 0  # the module's own line was found (import_time_us raises otherwise)
    assert len(slowest) == 5


def test_cold_start_zipped_size_counts_every_file(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.py").write_text("print('x')\n" * 100)
    (tmp_path / "y.py").write_text("y = 1\n")

    zipped, raw, files = zipped_size(tmp_path)

    assert files == 2
    assert raw == 1100 + 6
    assert zipped > 0
