"""Where the board's numbers come from: CloudWatch's one-second metrics, or the demo's emulator.

In an organization's monitoring account the board can show every member's clusters and instances
(`all_accounts`): ListMetrics with IncludeLinkedAccounts returns the source accounts' metrics with
their OwningAccounts, one account per metric, and each GetMetricData query names the account it
reads (MetricDataQuery.AccountId; CloudWatch API reference, both operations).

CloudWatch bills GetMetricData per metric requested ($0.01 per 1,000, `collector_core.prices`), so one
refresh asks for every metric it needs in as few calls as the API allows (500 metrics a call)
and the board shows what the refreshes have cost so far and cost per hour at the current rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Protocol

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


class Wanted(NamedTuple):
    """One metric a refresh reads; `account` only in a monitoring account, for a source account's."""

    name: str
    dims: dict[str, str]
    account: str | None = None


class Found(NamedTuple):
    """A dimension value ListMetrics returned, and the account owning it (None: this account)."""

    account: str | None
    value: str

    @property
    def label(self) -> str:
        return self.value if self.account is None else f"{self.account} {self.value}"


def latest_values(cloudwatch: Any, namespace: str, metrics: list[Wanted], now: datetime) -> dict[int, float]:
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
                        "MetricName": wanted.name,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in wanted.dims.items()],
                    },
                    "Period": 1,
                    "Stat": "Maximum",
                },
                "ReturnData": True,
                **({"AccountId": wanted.account} if wanted.account else {}),
            }
            for i, wanted in enumerate(batch)
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


def listed_dimension_values(
    cloudwatch: Any, namespace: str, metric_name: str, dimension: str, *, all_accounts: bool = False
) -> list[Found]:
    """The values of `dimension` that `metric_name` has in `namespace` (ListMetrics, paginated),
    with `all_accounts` those of every source account linked to this monitoring account too."""
    found: set[Found] = set()
    linked = {"IncludeLinkedAccounts": True} if all_accounts else {}
    for page in cloudwatch.get_paginator("list_metrics").paginate(
        Namespace=namespace, MetricName=metric_name, **linked
    ):
        owners = page.get("OwningAccounts") or []
        for n, metric in enumerate(page["Metrics"]):
            dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            if set(dims) == {dimension}:
                account = owners[n] if all_accounts and n < len(owners) else None
                found.add(Found(account, dims[dimension]))
    return sorted(found, key=lambda f: (f.account or "", f.value))


class CloudWatchSource:
    """Watched instances (InstanceStateCode) and cluster counts, from the stack's namespace; with
    `all_accounts` (a monitoring account) every linked account's, each cluster labelled with its
    account (two members may name a cluster alike)."""

    def __init__(self, cloudwatch: Any, namespace: str, *, all_accounts: bool = False) -> None:
        self.cloudwatch, self.namespace, self.all_accounts = cloudwatch, namespace, all_accounts
        self.instances: list[Found] = []
        self.clusters: list[Found] = []

    def discover(self) -> None:
        """Which instances and clusters have metrics (ListMetrics: billed per request, not per metric)."""
        self.instances = listed_dimension_values(
            self.cloudwatch,
            self.namespace,
            cat.INSTANCE_STATE_CODE.name,
            cat.INSTANCE_ID,
            all_accounts=self.all_accounts,
        )
        self.clusters = listed_dimension_values(
            self.cloudwatch,
            self.namespace,
            cat.RUNNING_TASK.name,
            cat.CLUSTER_NAME,
            all_accounts=self.all_accounts,
        )

    def fetch(self) -> Snapshot:
        now = datetime.now(UTC)
        metrics = [
            Wanted(cat.INSTANCE_STATE_CODE.name, {cat.INSTANCE_ID: i.value}, i.account)
            for i in self.instances
        ]
        metrics += cluster_metrics(self.clusters)
        values = latest_values(self.cloudwatch, self.namespace, metrics, now)
        instances = {
            instance.label: STATE_OF_CODE.get(int(values[i]), "unknown") if i in values else "no data"
            for i, instance in enumerate(self.instances)
        }
        offset = len(self.instances)
        return Snapshot(instances, cluster_counts(self.clusters, values, offset), len(metrics), now)


def cluster_metrics(clusters: Iterable[Found]) -> list[Wanted]:
    return [
        Wanted(spec.name, {cat.CLUSTER_NAME: cluster.value}, cluster.account)
        for cluster in clusters
        for spec in (cat.RUNNING_TASK, cat.PENDING_TASK)
    ]


def cluster_counts(
    clusters: list[Found], values: dict[int, float], offset: int
) -> dict[str, tuple[int, int]]:
    return {
        cluster.label: (
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
