"""The board's CloudWatch source on moto: states and counts read in batched GetMetricData calls; and
in a monitoring account (responses of the documented shape: moto has no linked accounts), every
linked account's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

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


MEMBER_A, MEMBER_B = "444455556666", "777788889999"


def _listed(name: str, dimension: str, values: list[tuple[str, str]]) -> dict[str, Any]:
    """ListMetrics in a monitoring account with IncludeLinkedAccounts: one owning account per metric
    (CloudWatch API reference, ListMetrics: OwningAccounts is "a 1:1 mapping")."""
    return {
        "Metrics": [
            {"Namespace": NAMESPACE, "MetricName": name, "Dimensions": [{"Name": dimension, "Value": v}]}
            for _, v in values
        ],
        "OwningAccounts": [account for account, _ in values],
    }


def test_board_source_in_a_monitoring_account_reads_every_linked_accounts_clusters() -> None:
    # given: two members that both name a cluster "web", and one watched instance in the first
    client = boto3.client(
        "cloudwatch", region_name="eu-west-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    linked = {"Namespace": NAMESPACE, "IncludeLinkedAccounts": True}
    now = datetime.now(UTC)
    with Stubber(client) as stub:
        stub.add_response(
            "list_metrics",
            _listed("InstanceStateCode", "InstanceId", [(MEMBER_A, "i-0a1b2c3d4e5f60718")]),
            {**linked, "MetricName": "InstanceStateCode"},
        )
        stub.add_response(
            "list_metrics",
            _listed("RunningTask", "ClusterName", [(MEMBER_B, "web"), (MEMBER_A, "web")]),
            {**linked, "MetricName": "RunningTask"},
        )
        source = CloudWatchSource(client, NAMESPACE, all_accounts=True)
        source.discover()
        values = {"m0": 80.0, "m1": 6.0, "m2": 1.0, "m3": 2.0, "m4": 0.0}
        stub.add_response(
            "get_metric_data",
            {
                "MetricDataResults": [
                    {"Id": i, "Timestamps": [now], "Values": [v], "StatusCode": "Complete"}
                    for i, v in values.items()
                ]
            },
            {
                "MetricDataQueries": [
                    {
                        "Id": f"m{n}",
                        "MetricStat": {
                            "Metric": {
                                "Namespace": NAMESPACE,
                                "MetricName": name,
                                "Dimensions": [{"Name": dim, "Value": value}],
                            },
                            "Period": 1,
                            "Stat": "Maximum",
                        },
                        "ReturnData": True,
                        "AccountId": account,
                    }
                    for n, (name, dim, value, account) in enumerate(
                        [
                            ("InstanceStateCode", "InstanceId", "i-0a1b2c3d4e5f60718", MEMBER_A),
                            ("RunningTask", "ClusterName", "web", MEMBER_A),
                            ("PendingTask", "ClusterName", "web", MEMBER_A),
                            ("RunningTask", "ClusterName", "web", MEMBER_B),
                            ("PendingTask", "ClusterName", "web", MEMBER_B),
                        ]
                    )
                ],
                "StartTime": ANY,
                "EndTime": ANY,
                "ScanBy": "TimestampDescending",
            },
        )
        # when
        snapshot = source.fetch()
        stub.assert_no_pending_responses()
    # then: each account's cluster on its own row, read from its own account
    assert snapshot.clusters == {f"{MEMBER_A} web": (6, 1), f"{MEMBER_B} web": (2, 0)}
    assert snapshot.instances == {f"{MEMBER_A} i-0a1b2c3d4e5f60718": "stopped"}
