"""Where the board's numbers come from: CloudWatch's one-second metrics, or the demo's emulator.

CloudWatch bills GetMetricData per metric requested ($0.01 per 1,000, `collector_core.prices`), so one
refresh asks for every metric it needs in as few calls as the API allows (500 metrics a call)
and the board shows what the refreshes have cost so far and cost per hour at the current rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from collector_core import catalogue as cat

# GetMetricData takes at most 500 metrics per call (GetMetricData API reference).
METRICS_PER_CALL = 500
# How far back a refresh looks for the latest one-second value: a collector's sample lands a
# second or two after its scheduled second, and a 5-second collector writes every 5 s.
LOOKBACK = timedelta(seconds=20)
# EC2's instance state codes, as the collector publishes them in InstanceStateCode.
STATE_OF_CODE = {
    0: "pending",
    16: "running",
    32: "shutting-down",
    48: "terminated",
    64: "stopping",
    80: "stopped",
    -1: "not found",
}


@dataclass(frozen=True)
class Snapshot:
    """One refresh: instance id -> state, cluster -> (running, pending), metrics requested."""

    instances: dict[str, str]
    clusters: dict[str, tuple[int, int]]
    metrics_requested: int
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


class Source(Protocol):
    def fetch(self) -> Snapshot: ...


def latest_values(
    cloudwatch: Any, namespace: str, metrics: list[tuple[str, dict[str, str]]], now: datetime
) -> dict[int, float]:
    """The newest value of each metric (index -> value), batched METRICS_PER_CALL to a call."""
    latest: dict[int, float] = {}
    for first in range(0, len(metrics), METRICS_PER_CALL):
        batch = metrics[first : first + METRICS_PER_CALL]
        queries = [
            {
                "Id": f"m{first + i}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": name,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                    },
                    "Period": 1,
                    "Stat": "Maximum",
                },
                "ReturnData": True,
            }
            for i, (name, dims) in enumerate(batch)
        ]
        token: str | None = None
        while True:
            page = cloudwatch.get_metric_data(
                MetricDataQueries=queries,
                StartTime=now - LOOKBACK,
                EndTime=now,
                ScanBy="TimestampDescending",
                **({"NextToken": token} if token else {}),
            )
            for result in page["MetricDataResults"]:
                index = int(result["Id"][1:])
                if result.get("Values") and index not in latest:
                    latest[index] = float(result["Values"][0])
            token = page.get("NextToken")
            if not token:
                break
    return latest


def listed_dimension_values(cloudwatch: Any, namespace: str, metric_name: str, dimension: str) -> list[str]:
    """The values of `dimension` that `metric_name` has in `namespace` (ListMetrics, paginated)."""
    values: set[str] = set()
    for page in cloudwatch.get_paginator("list_metrics").paginate(
        Namespace=namespace, MetricName=metric_name
    ):
        for metric in page["Metrics"]:
            dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            if set(dims) == {dimension}:
                values.add(dims[dimension])
    return sorted(values)


class CloudWatchSource:
    """Watched instances (InstanceStateCode) and cluster counts, from the stack's namespace."""

    def __init__(self, cloudwatch: Any, namespace: str) -> None:
        self.cloudwatch, self.namespace = cloudwatch, namespace
        self.instance_ids: list[str] = []
        self.cluster_names: list[str] = []

    def discover(self) -> None:
        """Which instances and clusters have metrics (ListMetrics: billed per request, not per metric)."""
        self.instance_ids = listed_dimension_values(
            self.cloudwatch, self.namespace, cat.INSTANCE_STATE_CODE.name, cat.INSTANCE_ID
        )
        self.cluster_names = listed_dimension_values(
            self.cloudwatch, self.namespace, cat.RUNNING_TASK.name, cat.CLUSTER_NAME
        )

    def fetch(self) -> Snapshot:
        now = datetime.now(UTC)
        metrics = [(cat.INSTANCE_STATE_CODE.name, {cat.INSTANCE_ID: i}) for i in self.instance_ids]
        metrics += cluster_metrics(self.cluster_names)
        values = latest_values(self.cloudwatch, self.namespace, metrics, now)
        instances = {
            instance: STATE_OF_CODE.get(int(values[i]), "unknown") if i in values else "no data"
            for i, instance in enumerate(self.instance_ids)
        }
        offset = len(self.instance_ids)
        return Snapshot(instances, cluster_counts(self.cluster_names, values, offset), len(metrics), now)


def cluster_metrics(clusters: Iterable[str]) -> list[tuple[str, dict[str, str]]]:
    return [
        (spec.name, {cat.CLUSTER_NAME: cluster})
        for cluster in clusters
        for spec in (cat.RUNNING_TASK, cat.PENDING_TASK)
    ]


def cluster_counts(clusters: list[str], values: dict[int, float], offset: int) -> dict[str, tuple[int, int]]:
    return {
        cluster: (
            int(values.get(offset + 2 * n, 0)),
            int(values.get(offset + 2 * n + 1, 0)),
        )
        for n, cluster in enumerate(clusters)
    }


class EmulatorSource:
    """The demo's board: instance states straight from the emulated EC2 (the demo watches no
    instance ids, which are only known after seeding), cluster counts from the emulated CloudWatch
    exactly as the CloudWatch source reads them."""

    def __init__(self, ec2: Any, cloudwatch: Any, namespace: str) -> None:
        self.ec2, self.cloudwatch, self.namespace = ec2, cloudwatch, namespace

    def fetch(self) -> Snapshot:
        now = datetime.now(UTC)
        instances = {
            i["InstanceId"]: i["State"]["Name"]
            for page in self.ec2.get_paginator("describe_instances").paginate()
            for reservation in page["Reservations"]
            for i in reservation["Instances"]
        }
        clusters = listed_dimension_values(
            self.cloudwatch, self.namespace, cat.RUNNING_TASK.name, cat.CLUSTER_NAME
        )
        metrics = cluster_metrics(clusters)
        values = latest_values(self.cloudwatch, self.namespace, metrics, now)
        return Snapshot(instances, cluster_counts(clusters, values, 0), len(metrics), now)
