"""The board's data and drawing: batched GetMetricData, fixed cells, 80x24, the running cost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from rich.console import Console

from collector_core.prices import GET_METRIC_DATA_METRIC
from ops.board.sources import METRICS_PER_CALL, CloudWatchSource, Snapshot
from ops.board.view import COLOURS, Board

NAMESPACE = "HighResMetrics"


@pytest.fixture
def cloudwatch(aws: None) -> Iterator[Any]:
    yield boto3.client("cloudwatch", region_name="us-east-1")


def _put(cloudwatch: Any, name: str, dims: dict[str, str], value: float, ago_s: int = 2) -> None:
    cloudwatch.put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                "Timestamp": datetime.now(UTC) - timedelta(seconds=ago_s),
                "Value": value,
                "StorageResolution": 1,
            }
        ],
    )


def test_board_source_reads_states_and_counts_in_batched_calls(cloudwatch: Any) -> None:
    # given: 600 watched instances (two GetMetricData calls' worth with the clusters) and 2 clusters
    instances = [f"i-{n:017x}" for n in range(600)]
    for n, instance in enumerate(instances):
        _put(cloudwatch, "InstanceStateCode", {"InstanceId": instance}, [16, 80, 0, 64][n % 4])
    _put(cloudwatch, "InstanceStateCode", {"InstanceId": instances[0]}, 64, ago_s=8)  # older value
    for cluster, running, pending in (("web", 6, 12), ("batch", 3, 0)):
        _put(cloudwatch, "RunningTask", {"ClusterName": cluster}, running)
        _put(cloudwatch, "PendingTask", {"ClusterName": cluster}, pending)
    _put(cloudwatch, "RunningTask", {"ClusterName": "web", "ServiceName": "api"}, 99)
    calls: list[int] = []
    cloudwatch.meta.events.register(
        "before-parameter-build.monitoring.GetMetricData",
        lambda params, **_: calls.append(len(params["MetricDataQueries"])),
    )
    source = CloudWatchSource(cloudwatch, NAMESPACE)
    # when
    source.discover()
    snapshot = source.fetch()
    # then
    assert calls == [METRICS_PER_CALL, 604 - METRICS_PER_CALL]
    assert snapshot.metrics_requested == 604
    assert snapshot.instances[instances[0]] == "running", "the newest value wins"
    assert [snapshot.instances[i] for i in instances[1:4]] == ["stopped", "pending", "stopping"]
    assert snapshot.clusters == {"batch": (3, 0), "web": (6, 12)}


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


def test_board_usage_in_the_cost_estimate() -> None:
    from cost import items, model
    from tests.stack_helpers import synth

    synthesized = synth().synthesized
    without = model.estimate(synthesized, items.Options(clusters=3))
    assert not [i for i in without.items if i.name.startswith("Live board")]
    # 8 hours a day, 20 watched instances + 3 clusters x 2 counts, every 5 s: 149,760 metrics a day.
    board = model.estimate(synthesized, items.Options(clusters=3, board_hours_per_day=8, board_instances=20))
    (item,) = [i for i in board.items if i.name == "Live board (GetMetricData)"]
    assert item.quantity_per_day == pytest.approx(26 * 8 * 3600 / 5) == pytest.approx(149_760)
    assert item.usd_per_day == pytest.approx(1.4976)
