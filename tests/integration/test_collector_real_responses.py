"""Both collectors on AWS's own response shapes (botocore's recorded bodies and AWS's documented
examples, tests/fixtures/aws_responses), not moto's: old XML namespaces, every instance state,
empty NextToken, clusters without count fields or names, short service ARNs, unknown states.

A malformed item loses only itself: the rest of the answer, and the health metrics, are written.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from collector_core import ec2_budget
from collector_core.catalogue import INSTANCE_STATES, VOLUME_STATES, Collector
from collector_core.clients import client_config, ec2_client, ecs_client
from collector_core.datum import Datum
from collector_core.ec2_budget import Fleet
from collector_core.faults import Budget, Faults
from collector_core.runner import run_sample
from collector_core.sample import Sample
from collector_core.settings import Settings
from collector_core.sinks import SinkResult
from collector_core.xml_counting import install
from ec2_ebs_state.collect import FleetWatch
from ec2_ebs_state.collect import collect as collect_ec2
from ecs_counts.collect import ClusterCache
from ecs_counts.collect import collect as collect_ecs
from tests.support.aws_responses import (
    NEW_NAMESPACE,
    body,
    example,
    instance_status_item,
    paged,
    serve,
    volume_item,
    volume_status_item,
)
from tests.support.collectors import StepClock, Values, as_values, fixed_clock

LOG = logging.getLogger("test_collector_real_responses")
T0 = 1_800_000_000.0
WATCHED = ("i-0000000000000000a", "i-0000000000000000b", "i-0000000000000000c", "i-0123456789abcdef0")


def by_state(values: Values, name: str) -> dict[str, float]:
    return {dims[0][1]: v for (metric, dims), v in values.items() if metric == name}


# --- EC2 / EBS -------------------------------------------------------------------------------------


def ec2_sample(client: Any, settings: Settings) -> tuple[Values, list[str]]:
    faults = Faults(LOG)
    datums = collect_ec2(client, settings, budget=Budget(fixed_clock(T0), T0 + 5), faults=faults)
    return as_values(datums), faults.errors


def every_state_pages(**options: Any) -> list[bytes]:
    """2,003 instance statuses in pages of 1,000: every catalogue state, a code with the internal high
    byte set (272 = running), a watched instance without a code, one impaired check of each kind."""
    items = [instance_status_item(f"i-{n:017x}", "running", 16) for n in range(2003 - 12)]
    items += [
        instance_status_item(WATCHED[0], "stopping", 64),
        instance_status_item(WATCHED[1], "running", 272),
        instance_status_item(WATCHED[2], "stopped", None),
        instance_status_item("i-00000000000000001", "shutting-down", 32),
        instance_status_item("i-00000000000000002", "shutting-down", 32),
        instance_status_item("i-00000000000000003", "pending", 0),
        instance_status_item("i-00000000000000004", "terminated", 48),
        instance_status_item("i-00000000000000005", "stopped", 80),
        instance_status_item("i-00000000000000006", "running", 16, instance="impaired"),
        instance_status_item("i-00000000000000007", "running", 16, system="impaired"),
        instance_status_item("i-00000000000000008", "running", 16, instance="impaired", system="impaired"),
        instance_status_item("i-00000000000000009", "running", 16, instance="insufficient-data"),
    ]
    return paged("describe-instance-status", "instanceStatusSet", items, 1000, **options)


def volume_pages(states: list[str], **options: Any) -> list[bytes]:
    items = [volume_item(f"vol-{n:017x}", state) for n, state in enumerate(states)]
    return paged("describe-volumes", "volumeSet", items, 500, **options)


def serve_account(
    client: Any,
    statuses: list[bytes],
    volumes: list[bytes],
    volume_status: list[bytes] | None = None,
    snapshots: list[bytes] | None = None,
) -> dict[str, list[str]]:
    return {
        "DescribeInstanceStatus": serve(client, "DescribeInstanceStatus", statuses),
        "DescribeVolumes": serve(client, "DescribeVolumes", volumes),
        "DescribeVolumeStatus": serve(
            client, "DescribeVolumeStatus", volume_status or [body("describe-volume-status")]
        ),
        "DescribeSnapshots": serve(client, "DescribeSnapshots", snapshots or [body("describe-snapshots")]),
    }


@pytest.fixture(params=["botocore parse", "xml counting"])
def ec2(request: pytest.FixtureRequest) -> Any:
    """The collector's EC2 client both ways: botocore's full parse, and the handler's streaming count."""
    client = ec2_client(client_config(5))
    return install(client) if request.param == "xml counting" else client


def test_collector_ec2_counts_the_botocore_recorded_bodies(ec2: Any) -> None:
    # the recorded bodies as AWS sent them: one running instance, two in-use volumes, two volumes
    # whose status is ok, four completed snapshots (the collector's filter asks for pending only)
    serve_account(ec2, [body("describe-instance-status")], [body("describe-volumes")])

    values, errors = ec2_sample(ec2, Settings(period_seconds=5, watch_instance_ids=("i-78f1b94a",)))

    assert by_state(values, "InstanceCount") == dict.fromkeys(INSTANCE_STATES, 0) | {"running": 1}
    assert by_state(values, "VolumeCount") == dict.fromkeys(VOLUME_STATES, 0) | {"in-use": 2}
    assert by_state(values, "InstanceStateCode") == {"i-78f1b94a": 16}
    assert values[("ImpairedInstances", ())] == 0
    assert values[("ImpairedVolumes", ())] == 0
    assert values[("PendingSnapshots", ())] == 0
    assert errors == []


@pytest.mark.parametrize("namespace", ["http://ec2.amazonaws.com/doc/2014-06-15/", NEW_NAMESPACE])
@pytest.mark.parametrize("reverse_children", [False, True])
def test_collector_ec2_counts_every_state_across_pages_in_any_namespace_and_order(
    ec2: Any, namespace: str, reverse_children: bool
) -> None:
    options = {"namespace": namespace, "reverse_children": reverse_children}
    states = ["in-use"] * 700 + ["available"] * 290 + ["creating", "deleting", "deleted"] + ["error"] * 7
    sent = serve_account(ec2, every_state_pages(**options), volume_pages(states, **options))

    values, errors = ec2_sample(ec2, Settings(period_seconds=5, watch_instance_ids=WATCHED))

    assert by_state(values, "InstanceCount") == {
        "pending": 1,
        "running": 1991 + 1 + 4,
        "shutting-down": 2,
        "terminated": 1,
        "stopping": 1,
        "stopped": 2,
    }
    assert values[("ImpairedInstances", ())] == 3
    # 272 has the internal high byte set; an instance without a code is -1, never 255
    assert by_state(values, "InstanceStateCode") == {
        WATCHED[0]: 64,
        WATCHED[1]: 16,
        WATCHED[2]: -1,
        WATCHED[3]: -1,
    }
    assert by_state(values, "VolumeCount") == {
        "creating": 1,
        "available": 290,
        "in-use": 700,
        "deleting": 1,
        "deleted": 1,
        "error": 7,
    }
    # three instance pages and two volume pages, each asking for the token of the page before;
    # the empty <nextToken/> of the last page ends the paging
    assert [("NextToken=token-" in s, "NextToken=token-2" in s) for s in sent["DescribeInstanceStatus"]] == [
        (False, False),
        (True, False),
        (True, True),
    ]
    assert len(sent["DescribeVolumes"]) == 2
    assert errors == []


def test_collector_ec2_unknown_states_are_faults_naming_the_state(
    ec2: Any, caplog: pytest.LogCaptureFixture
) -> None:
    statuses = paged(
        "describe-instance-status",
        "instanceStatusSet",
        [
            instance_status_item("i-00000000000000001", "running", 16),
            instance_status_item("i-00000000000000002", "hibernating", 96),
            instance_status_item("i-00000000000000003", "hibernating", 96),
            instance_status_item("i-00000000000000004", None, None),
        ],
        1000,
    )
    volumes = volume_pages(["in-use", "optimizing"])
    serve_account(ec2, statuses, volumes)

    with caplog.at_level(logging.WARNING):
        values, errors = ec2_sample(ec2, Settings(period_seconds=5))

    # known states are still counted; each unknown state is one fault, logged by name
    assert by_state(values, "InstanceCount")["running"] == 1
    assert sum(by_state(values, "InstanceCount").values()) == 1
    assert by_state(values, "VolumeCount")["in-use"] == 1
    assert errors == [
        "DescribeInstanceStatus:UnknownState",
        "DescribeInstanceStatus:UnknownState",
        "DescribeVolumes:UnknownState",
    ]
    logged = " ".join(r.__dict__.get("error", "") for r in caplog.records)
    assert "2 item(s) in state 'hibernating'" in logged
    assert "1 item(s) in state ''" in logged
    assert "state 'optimizing'" in logged


def test_collector_ec2_counts_impaired_volumes_from_a_volume_status_body(ec2: Any) -> None:
    # AWS ignores no filter, but the count must stay right if one is ignored: two ok, one impaired
    items = [
        volume_status_item("vol-1", "ok"),
        volume_status_item("vol-2", "impaired"),
        volume_status_item("vol-3", "ok"),
    ]
    serve_account(
        ec2,
        [body("describe-instance-status")],
        [body("describe-volumes")],
        volume_status=paged("describe-volume-status", "volumeStatusSet", items, 2),
    )

    values, errors = ec2_sample(ec2, Settings(period_seconds=5))

    assert values[("ImpairedVolumes", ())] == 1
    assert errors == []


def test_collector_ec2_documented_examples_with_empty_next_token(ec2: Any) -> None:
    # AWS's documented DescribeVolumes/DescribeSnapshots examples end with NextToken "": one page each
    with Stubber(ec2) as stub:
        stub.add_response("describe_instance_status", example("ec2", "DescribeInstanceStatus"))
        stub.add_response("describe_volumes", example("ec2", "DescribeVolumes"))
        stub.add_response("describe_volume_status", example("ec2", "DescribeVolumeStatus", 1))
        stub.add_response("describe_snapshots", example("ec2", "DescribeSnapshots", 1))

        values, errors = ec2_sample(
            ec2, Settings(period_seconds=5, watch_instance_ids=("i-1234567890abcdef0",))
        )
        stub.assert_no_pending_responses()

    assert by_state(values, "InstanceCount")["running"] == 1
    assert by_state(values, "VolumeCount")["in-use"] == 1
    assert by_state(values, "InstanceStateCode") == {"i-1234567890abcdef0": 16}
    assert values[("PendingSnapshots", ())] == 1
    assert errors == []


# --- ECS -------------------------------------------------------------------------------------------


@pytest.fixture
def ecs() -> Any:
    return ecs_client(client_config(1))


def ecs_sample(client: Any, settings: Settings) -> tuple[list[Datum], Faults]:
    faults = Faults(LOG)
    clock = fixed_clock(T0)
    datums = collect_ecs(
        client, settings, cache=ClusterCache(), clock=clock, budget=Budget(clock, T0 + 1), faults=faults
    )
    return datums, faults


def documented_cluster() -> dict[str, Any]:
    """AWS's DescribeClusters example: name, ARN and status, no count field at all."""
    return dict(example("ecs", "DescribeClusters")["clusters"][0])


def test_collector_ecs_cluster_without_counts_is_zero_and_without_name_is_skipped(ecs: Any) -> None:
    nameless = {"clusterArn": "arn:aws:ecs:us-east-1:012345678910:cluster/ghost", "runningTasksCount": 3}
    with Stubber(ecs) as stub:
        stub.add_response(
            "describe_clusters",
            {"clusters": [documented_cluster(), nameless, {"status": "ACTIVE"}], "failures": []},
        )
        datums, faults = ecs_sample(ecs, Settings(ecs_clusters=("default", "ghost")))

    on = (("ClusterName", "default"),)
    assert as_values(datums) == {
        ("RunningTask", on): 0,
        ("PendingTask", on): 0,
        ("ActiveServices", on): 0,
        ("RegisteredContainerInstances", on): 0,
    }
    assert faults.errors == ["DescribeClusters:MalformedItem", "DescribeClusters:MalformedItem"]


def test_collector_ecs_short_service_arns_and_a_nameless_service(ecs: Any) -> None:
    # ListServices' documented example; a second service created before 2021 has the short ARN
    listed = example("ecs", "ListServices")
    listed["serviceArns"].append("arn:aws:ecs:us-east-1:012345678910:service/legacy")
    described = example("ecs", "DescribeServices")
    good = described["services"][0]
    legacy = {**good, "serviceName": "legacy", "serviceArn": listed["serviceArns"][1], "runningCount": 2}
    nameless = {key: value for key, value in good.items() if key != "serviceName"}
    cluster = {**documented_cluster(), "activeServicesCount": 3}
    with Stubber(ecs) as stub:
        stub.add_response("describe_clusters", {"clusters": [cluster], "failures": []})
        stub.add_response("list_services", listed, {"cluster": cluster["clusterArn"], "maxResults": 100})
        stub.add_response(
            "describe_services",
            {"services": [good, legacy, nameless], "failures": []},
            {"cluster": ANY, "services": listed["serviceArns"]},
        )
        datums, faults = ecs_sample(ecs, Settings(ecs_clusters=("default",), ecs_service_metrics=True))

    values = as_values(datums)
    assert values[("ServiceRunningTask", (("ClusterName", "default"), ("ServiceName", "legacy")))] == 2
    assert (
        values[("ServiceDesiredTask", (("ClusterName", "default"), ("ServiceName", "ecs-simple-service")))]
        == 1
    )
    assert len([k for k in values if k[0] == "ServiceRunningTask"]) == 2
    # a service list with a hole falls back to the cluster's own count
    assert values[("ActiveServices", (("ClusterName", "default"),))] == 3
    assert faults.errors == ["DescribeServices:MalformedItem"]


class _Sink:
    def __init__(self) -> None:
        self.written: list[Datum] = []

    def emit(self, datums: Any, timestamp_ms: int) -> SinkResult:
        self.written += datums
        return SinkResult(len(datums))


def test_collector_ecs_nameless_cluster_still_writes_the_rest_and_health(ecs: Any) -> None:
    sample = Sample.from_event({"time": "2026-11-22T02:15:00Z", "offset": 3})
    started = sample.second.timestamp() + 0.01
    sink = _Sink()
    with Stubber(ecs) as stub:
        stub.add_response(
            "describe_clusters", {"clusters": [{"clusterArn": "x"}, documented_cluster()], "failures": []}
        )

        def collect(budget: Budget, faults: Faults) -> list[Datum]:
            return collect_ecs(
                ecs,
                Settings(ecs_clusters=("default",)),
                cache=ClusterCache(),
                clock=fixed_clock(started),
                budget=budget,
                faults=faults,
            )

        summary = run_sample(
            sample,
            started,
            collector=Collector.ECS_COUNTS,
            settings=Settings(ecs_clusters=("default",)),
            sink=sink,
            collect=collect,
            clock=fixed_clock(started),
            logger=LOG,
        )

    names = {d.spec.name: d.value for d in sink.written}
    assert names["RunningTask"] == 0
    assert names["CollectorErrors"] == 1
    assert summary.errors == ["DescribeClusters:MalformedItem"]


def test_collector_ec2_predicts_and_reports_a_sample_that_cannot_finish(
    ec2: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # given a container whose last sample listed 10,000 instances and 10,000 volumes, at 128 MB
    serve_account(ec2, [body("describe-instance-status")], [body("describe-volumes")])
    fleet = FleetWatch(last=Fleet(10_000, 10_000))
    small = Settings(period_seconds=5, memory_mb=128)

    # when three samples run: the first two at 128 MB, then one with the memory it asked for
    with caplog.at_level(logging.WARNING):
        faults = Faults(LOG)
        collect_ec2(ec2, small, budget=Budget(fixed_clock(T0), T0 + 5), faults=faults, fleet=fleet)
        fleet.last = Fleet(10_000, 10_000)  # the served account is small: keep the large fleet
        collect_ec2(ec2, small, budget=Budget(fixed_clock(T0), T0 + 5), faults=Faults(LOG), fleet=fleet)
        fleet.last = Fleet(10_000, 10_000)
        collect_ec2(
            ec2,
            Settings(period_seconds=5, memory_mb=512),
            budget=Budget(fixed_clock(T0), T0 + 5),
            faults=Faults(LOG),
            fleet=fleet,
        )

    # then one line (not one per sample), naming the fleet and the memory that fits; no fault counted
    reports = [r for r in caplog.records if r.getMessage() == "EC2/EBS sample cannot finish in its period"]
    assert len(reports) == 1
    line = reports[0].__dict__
    assert (line["instances"], line["volumes"], line["memory_mb"], line["period_s"]) == (
        10_000,
        10_000,
        128,
        5,
    )
    assert line["memory_needed_mb"] == ec2_budget.memory_needed(Fleet(10_000, 10_000), 5)
    assert 128 < line["memory_needed_mb"] <= 512
    assert line["predicted_cpu_s"] > 2.5
    assert faults.errors == []
    # the sample itself still ran, and the watch now holds what it listed
    assert fleet.last == Fleet(1, 2)


def test_collector_ec2_reports_on_the_next_sample_after_one_cut_short(
    ec2: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # given a fresh container (no fleet known) and 5 pages of instance statuses, at 128 MB and 1 s
    items = [instance_status_item(f"i-{n:017x}", "running", 16) for n in range(5000)]
    serve_account(
        ec2, paged("describe-instance-status", "instanceStatusSet", items, 1000), [body("describe-volumes")]
    )
    fleet, settings = FleetWatch(), Settings(period_seconds=1, memory_mb=128)

    # when the first sample's budget stops the paging after 2 pages, and a second sample follows
    first = Faults(LOG)
    collect_ec2(ec2, settings, budget=Budget(StepClock(T0, 0.4), T0 + 1), faults=first, fleet=fleet)
    with caplog.at_level(logging.WARNING):
        collect_ec2(ec2, settings, budget=Budget(fixed_clock(T0), T0 + 1), faults=Faults(LOG), fleet=fleet)

    # then the cut-short listing was a fault, and what it saw was enough to predict the next one
    assert "DescribeInstanceStatus:DeadlineExceeded" in first.errors
    reports = [
        r.__dict__ for r in caplog.records if r.getMessage() == "EC2/EBS sample cannot finish in its period"
    ]
    assert len(reports) == 1
    assert reports[0]["instances"] >= 2000
    assert fleet.last == Fleet(5000, 2)
