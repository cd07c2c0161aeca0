"""The collector-cost benchmark's machinery: recorded answers re-paged, calls and bytes counted."""

from __future__ import annotations

import pytest

from bench import collector_cost
from bench.replay import CallMeter, Recorded, Replay, XmlPages

_NS = "http://ec2.amazonaws.com/doc/2016-11-15"


def _status_response(instances: int) -> Recorded:
    items = "".join(
        f"<item><instanceId>i-{n:017x}</instanceId><instanceState><code>16</code><name>running</name>"
        "</instanceState></item>"
        for n in range(instances)
    )
    body = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<DescribeInstanceStatusResponse xmlns="{_NS}">'
        f"<requestId>r</requestId><instanceStatusSet>{items}</instanceStatusSet></DescribeInstanceStatusResponse>"
    )
    return Recorded(200, {"Content-Type": "text/xml"}, body.encode())


def test_replay_serves_recorded_items_in_the_pages_requested() -> None:
    # given 25 recorded instance statuses
    replay = Replay("ec2", {"DescribeInstanceStatus": XmlPages(_status_response(25), "instanceStatusSet")})
    meter = CallMeter().attach(replay.client)

    # when a paginator asks for pages of 10
    pages = list(
        replay.client.get_paginator("describe_instance_status").paginate(PaginationConfig={"PageSize": 10})
    )

    # then botocore parsed three pages holding every item once
    assert [len(p["InstanceStatuses"]) for p in pages] == [10, 10, 5]
    assert len({s["InstanceId"] for p in pages for s in p["InstanceStatuses"]}) == 25
    assert meter.calls == {"DescribeInstanceStatus": 3}
    assert meter.total_bytes > 25 * 100


def test_collector_cost_ecs_calls_grow_with_pages_not_clusters() -> None:
    result = collector_cost.ecs_workload(clusters=3, samples=(2, 2))
    ours, original = result["ours"], result["original"]

    # ours: one DescribeClusters per sample, ListClusters once for both samples (cached)
    assert ours["read_calls"] == pytest.approx((2 + 1) / 2)
    assert ours["write_calls"] == 0
    assert ours["emf_bytes"] > 0
    # the original: a DescribeClusters and a PutMetricData per cluster
    assert original["read_calls"] == 3
    assert original["write_calls"] == 3


def test_collector_cost_ec2_reads_one_page_per_api_for_a_small_account() -> None:
    result = collector_cost.ec2_workload(instances=5, samples=(1, 1))
    ours, original = result["ours"], result["original"]

    assert set(ours["operations"]) == {
        "DescribeInstanceStatus",
        "DescribeVolumes",
        "DescribeVolumeStatus",
        "DescribeSnapshots",
    }
    assert ours["read_calls"] == 4
    assert original["operations"]["DescribeInstances"][0] == 1
    # instance state alone: DescribeInstances sends several times the bytes of DescribeInstanceStatus
    assert (
        original["operations"]["DescribeInstances"][1] > 3 * ours["operations"]["DescribeInstanceStatus"][1]
    )
