"""Cold-start measurement helpers: package sizing. (Import-time parsing runs `python -X importtime`
in a subprocess: tests/integration/test_bench_cold_start.py.)"""

from __future__ import annotations

from pathlib import Path

from bench.cold_start import zipped_size


def test_cold_start_zipped_size_counts_every_file(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.py").write_text("print('x')\n" * 100)
    (tmp_path / "y.py").write_text("y = 1\n")

    zipped, raw, files = zipped_size(tmp_path)

    assert files == 2
    assert raw == 1100 + 6
    assert zipped > 0
