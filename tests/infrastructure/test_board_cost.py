"""The live board's item in the cost estimate of the synthesized stack."""

from __future__ import annotations

import pytest

from cost import items, model
from tests.support.stacks import synth


def test_board_usage_in_the_cost_estimate() -> None:
    synthesized = synth().synthesized
    without = model.estimate(synthesized, items.Options(clusters=3))
    assert not [i for i in without.items if i.name.startswith("Live board")]
    # 8 hours a day, 20 watched instances + 3 clusters x 2 counts, every 5 s: 149,760 metrics a day.
    board = model.estimate(synthesized, items.Options(clusters=3, board_hours_per_day=8, board_instances=20))
    (item,) = [i for i in board.items if i.name == "Live board (GetMetricData)"]
    assert item.quantity_per_day == pytest.approx(26 * 8 * 3600 / 5) == pytest.approx(149_760)
    assert item.usd_per_day == pytest.approx(1.4976)
