"""The board's CloudWatch source on moto: states and counts read in batched GetMetricData calls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from ops.board.sources import METRICS_PER_CALL, CloudWatchSource

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
