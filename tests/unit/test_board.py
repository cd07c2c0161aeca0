"""The board's drawing: fixed cells, 80x24, the running cost. (Its CloudWatch source is tested on
moto in tests/integration/test_board_source.py; its item in the cost estimate in
tests/infrastructure/test_board_cost.py.)"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rich.console import Console

from collector_core.prices import GET_METRIC_DATA_METRIC
from ops.board.sources import Snapshot
from ops.board.view import COLOURS, Board


def _snapshot(states: dict[str, str], clusters: int = 3, metrics: int = 10) -> Snapshot:
    counts = {f"cluster-{n:02d}": (n, n % 2) for n in range(clusters)}
    return Snapshot(states, counts, metrics, datetime(2026, 12, 1, 22, 40, tzinfo=UTC))


def _lines(board: Board, width: int, height: int) -> list[str]:
    console = Console(width=width, height=height, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(board.render(width, height))
    return console.export_text().rstrip("\n").split("\n")


def test_board_cells_keep_their_place_and_new_instances_are_appended() -> None:
    board = Board(5)
    board.update(_snapshot({"i-b": "running", "i-a": "stopped"}))
    board.update(_snapshot({"i-c": "pending", "i-a": "running", "i-b": "stopping"}))
    assert board.positions == ["i-b", "i-a", "i-c"]
    assert {COLOURS[s] for s in ("stopped", "pending", "running", "stopping")} == {
        "red",
        "green",
        "blue",
        "yellow",
    }


@pytest.mark.parametrize(("width", "height"), [(80, 24), (40, 12), (200, 60)])
def test_board_fits_the_terminal_it_is_drawn_on(width: int, height: int) -> None:
    board = Board(5)
    board.update(_snapshot({f"i-{n:04d}": "running" for n in range(500)}, clusters=30))
    lines = _lines(board, width, height)
    assert len(lines) <= height
    assert max(len(line) for line in lines) <= width
    assert any("instances not shown" in line for line in lines) == (width * height < 500 * 3 + 1000)


def test_board_shows_what_its_refreshes_cost() -> None:
    board = Board(refresh_seconds=5)
    for _ in range(3):
        board.update(_snapshot({"i-a": "running"}, metrics=100))
    # 100 metrics every 5 s: 72,000 metrics an hour at $0.01 per 1,000.
    assert board.cost_per_hour == pytest.approx(72_000 * GET_METRIC_DATA_METRIC.usd) == pytest.approx(0.72)
    assert board.cost_so_far == pytest.approx(300 * 0.01 / 1000)
    text = "\n".join(_lines(board, 80, 24))
    assert "GetMetricData: 100 metrics/refresh, 300 so far ($0.0030), $0.720/hour" in text
