"""ECS collector logic against moto (counts, faults) and Stubber (pagination and batch sizes)."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto.ecs.models import ecs_backends

from collector_core.clients import client_config, ecs_client
from collector_core.faults import Budget, Faults
from collector_core.settings import Settings
from ecs_counts.collect import ClusterCache, collect
from tests.support.collectors import (
    ACCOUNT,
    REGION,
    StepClock,
    Values,
    as_values,
    count_calls,
    fail_operation,
    fake_aws,
    fixed_clock,
    time_out_operation,
)

LOG = logging.getLogger("test_collector_ecs")
T0 = 1_800_000_000.0
WEB_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/web"


@pytest.fixture
def ecs(aws: None) -> Any:
    return ecs_client(client_config(1))


def run(
    ecs: Any, settings: Settings, *, cache: ClusterCache | None = None, clock: Any = None
) -> tuple[Values, list[str]]:
    """One sample's ECS datums as {(name, dimensions): value}, and its error strings."""
    clock = clock or fixed_clock(T0)
    faults = Faults(LOG)
    budget = Budget(clock, clock() + 1)
    datums = collect(ecs, settings, cache=cache or ClusterCache(), clock=clock, budget=budget, faults=faults)
    return as_values(datums), faults.errors


def cluster_values(name: str, running: int, pending: int, active: int, instances: int) -> Values:
    on = (("ClusterName", name),)
    return {
        ("RunningTask", on): running,
        ("PendingTask", on): pending,
        ("ActiveServices", on): active,
        ("RegisteredContainerInstances", on): instances,
    }


def service_values(cluster: str, service: str, running: int, pending: int, desired: int) -> Values:
    on = (("ClusterName", cluster), ("ServiceName", service))
    return {
        ("ServiceRunningTask", on): running,
        ("ServicePendingTask", on): pending,
        ("ServiceDesiredTask", on): desired,
    }


def build_account(ecs: Any) -> None:
    """web: 1 container instance, 3 running tasks, services api (2 pending) and worker (3 running);
    batch: empty."""
    ec2 = boto3.client("ec2", region_name=REGION)
    ecs.create_cluster(clusterName="web")
    ecs.create_cluster(clusterName="batch")
    ecs.register_task_definition(
        family="app", containerDefinitions=[{"name": "app", "image": "x", "memory": 64}]
    )
    instance_id = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0][
        "InstanceId"
    ]
    ecs.register_container_instance(
        cluster="web", instanceIdentityDocument=json.dumps({"instanceId": instance_id})
    )
    ecs.run_task(cluster="web", taskDefinition="app", count=3)
    ecs.create_service(cluster="web", serviceName="api", taskDefinition="app", desiredCount=2)
    ecs.create_service(cluster="web", serviceName="worker", taskDefinition="app", desiredCount=0)
    # moto: updating desiredCount makes that many tasks "running" at once
    ecs.update_service(cluster="web", service="worker", desiredCount=3)


def report_active_services(cluster: str, count: int) -> None:
    """moto leaves activeServicesCount at 0 whatever services exist; AWS fills it. Set it to what
    AWS would report, in moto's own model, so DescribeClusters returns it."""
    ecs_backends[ACCOUNT][REGION].clusters[cluster].active_services_count = count


def test_collector_ecs_counts_each_configured_cluster(ecs: Any) -> None:
    build_account(ecs)
    report_active_services("web", 2)

    # configured by name and by ARN: web is still counted once
    values, errors = run(ecs, Settings(ecs_clusters=("web", "batch", WEB_ARN)))

    # running: 3 tasks run directly + 3 of the worker service; pending: the api service's 2
    assert values == {**cluster_values("web", 6, 2, 2, 1), **cluster_values("batch", 0, 0, 0, 0)}
    assert errors == []


def test_collector_ecs_per_service_metrics_and_active_services_from_the_services(ecs: Any) -> None:
    build_account(ecs)

    values, errors = run(ecs, Settings(ecs_clusters=("web",), ecs_service_metrics=True))

    # ActiveServices counts the ACTIVE services described, although moto reports activeServicesCount 0
    assert values == {
        **cluster_values("web", 6, 2, 2, 1),
        **service_values("web", "api", 0, 2, 2),
        **service_values("web", "worker", 3, 0, 3),
    }
    assert errors == []


def test_collector_ecs_star_discovers_clusters_and_caches_the_list(ecs: Any) -> None:
    build_account(ecs)
    calls = count_calls(ecs)
    cache = ClusterCache(ttl_seconds=60)

    first, _ = run(ecs, Settings(), cache=cache, clock=fixed_clock(T0))
    ecs.create_cluster(clusterName="late")
    cached, _ = run(ecs, Settings(), cache=cache, clock=fixed_clock(T0 + 59))
    relisted, errors = run(ecs, Settings(), cache=cache, clock=fixed_clock(T0 + 60))

    assert {dims for _, dims in first} == {(("ClusterName", "web"),), (("ClusterName", "batch"),)}
    assert cached == first
    assert (("ClusterName", "late"),) in {dims for _, dims in relisted}
    assert (calls["ListClusters"], calls["DescribeClusters"]) == (2, 3)
    assert errors == []


def test_collector_ecs_missing_cluster_loses_only_its_metrics(ecs: Any) -> None:
    build_account(ecs)
    report_active_services("web", 2)

    values, errors = run(ecs, Settings(ecs_clusters=("web", "ghost")))

    assert values == cluster_values("web", 6, 2, 2, 1)
    assert errors == ["DescribeClusters:MISSING"]


def test_collector_ecs_throttled_list_services_keeps_cluster_metrics(ecs: Any) -> None:
    build_account(ecs)
    report_active_services("web", 2)
    fail_operation(ecs, "ListServices", "ThrottlingException")

    values, errors = run(ecs, Settings(ecs_clusters=("web", "batch"), ecs_service_metrics=True))

    # no per-service metric, ActiveServices falls back to DescribeClusters' count
    assert values == {**cluster_values("web", 6, 2, 2, 1), **cluster_values("batch", 0, 0, 0, 0)}
    assert errors == ["ListServices:ThrottlingException", "ListServices:ThrottlingException"]


def test_collector_ecs_timed_out_describe_services_keeps_cluster_metrics(ecs: Any) -> None:
    build_account(ecs)
    report_active_services("web", 2)
    time_out_operation(ecs, "DescribeServices")

    values, errors = run(ecs, Settings(ecs_clusters=("web",), ecs_service_metrics=True))

    assert values == cluster_values("web", 6, 2, 2, 1)
    assert errors == ["DescribeServices:ReadTimeout"]


def test_collector_ecs_denied_describe_clusters_emits_nothing_and_says_why(ecs: Any) -> None:
    build_account(ecs)
    fail_operation(ecs, "DescribeClusters", "AccessDeniedException")

    values, errors = run(ecs, Settings(ecs_clusters=("web", "batch")))

    assert values == {}
    assert errors == ["DescribeClusters:AccessDeniedException"]


def test_collector_ecs_failed_list_clusters_reuses_the_last_list(ecs: Any) -> None:
    build_account(ecs)
    cache = ClusterCache(ttl_seconds=60)
    run(ecs, Settings(), cache=cache, clock=fixed_clock(T0))
    fail_operation(ecs, "ListClusters", "AccessDeniedException")

    values, errors = run(ecs, Settings(), cache=cache, clock=fixed_clock(T0 + 120))

    assert {dims for _, dims in values} == {(("ClusterName", "web"),), (("ClusterName", "batch"),)}
    assert errors == ["ListClusters:AccessDeniedException"]


def test_collector_ecs_stops_calling_when_the_period_is_used_up(ecs: Any) -> None:
    build_account(ecs)
    report_active_services("web", 2)
    calls = count_calls(ecs)
    # every clock reading advances 1 s against a 1 s budget: DescribeClusters starts in time,
    # ListServices would start after the period
    clock = StepClock(T0, 1.0)

    faults = Faults(LOG)
    datums = collect(
        ecs,
        Settings(ecs_clusters=("web", "batch"), ecs_service_metrics=True),
        cache=ClusterCache(),
        clock=clock,
        budget=Budget(clock, T0 + 1),
        faults=faults,
    )

    assert as_values(datums) == {**cluster_values("web", 6, 2, 2, 1), **cluster_values("batch", 0, 0, 0, 0)}
    assert faults.errors == ["ListServices:DeadlineExceeded"]
    assert calls == {"DescribeClusters": 1}


# --- pagination and batch sizes, with recorded responses ----------------------------------------


def cluster(i: int) -> dict[str, Any]:
    return {
        "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/c{i}",
        "clusterName": f"c{i}",
        "status": "ACTIVE",
        "runningTasksCount": i,
        "pendingTasksCount": 1,
        "activeServicesCount": 2,
        "registeredContainerInstancesCount": 0,
    }


def test_collector_ecs_pages_list_clusters_and_describes_100_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_aws(monkeypatch)
    ecs = boto3.client("ecs", region_name=REGION)
    arns = [cluster(i)["clusterArn"] for i in range(150)]
    with Stubber(ecs) as stub:
        stub.add_response(
            "list_clusters", {"clusterArns": arns[:100], "nextToken": "t1"}, {"maxResults": 100}
        )
        stub.add_response(
            "list_clusters", {"clusterArns": arns[100:]}, {"maxResults": 100, "nextToken": "t1"}
        )
        stub.add_response(
            "describe_clusters",
            {"clusters": [cluster(i) for i in range(100)], "failures": []},
            {"clusters": arns[:100]},
        )
        stub.add_response(
            "describe_clusters",
            {"clusters": [cluster(i) for i in range(100, 150)], "failures": []},
            {"clusters": arns[100:]},
        )

        values, errors = run(ecs, Settings())

        stub.assert_no_pending_responses()
    assert len(values) == 150 * 4
    assert values[("RunningTask", (("ClusterName", "c149"),))] == 149
    assert errors == []


def test_collector_ecs_pages_list_services_and_describes_10_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_aws(monkeypatch)
    ecs = boto3.client("ecs", region_name=REGION)
    arns = [f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/c0/s{i}" for i in range(25)]

    def services(batch: range) -> list[dict[str, Any]]:
        return [
            {
                "serviceName": f"s{i}",
                "status": "DRAINING" if i == 0 else "ACTIVE",
                "runningCount": i,
                "pendingCount": 0,
                "desiredCount": i,
            }
            for i in batch
        ]

    with Stubber(ecs) as stub:
        stub.add_response(
            "describe_clusters", {"clusters": [cluster(0)], "failures": []}, {"clusters": ["c0"]}
        )
        stub.add_response(
            "list_services",
            {"serviceArns": arns[:20], "nextToken": "t1"},
            {"cluster": cluster(0)["clusterArn"], "maxResults": 100},
        )
        stub.add_response(
            "list_services",
            {"serviceArns": arns[20:]},
            {"cluster": cluster(0)["clusterArn"], "maxResults": 100, "nextToken": "t1"},
        )
        for start, stop in ((0, 10), (10, 20), (20, 25)):
            stub.add_response(
                "describe_services",
                {"services": services(range(start, stop)), "failures": []},
                {"cluster": ANY, "services": arns[start:stop]},
            )

        values, errors = run(ecs, Settings(ecs_clusters=("c0",), ecs_service_metrics=True))

        stub.assert_no_pending_responses()
    assert values[("ActiveServices", (("ClusterName", "c0"),))] == 24  # s0 is DRAINING
    assert values[("ServiceDesiredTask", (("ClusterName", "c0"), ("ServiceName", "s24")))] == 24
    assert len(values) == 4 + 25 * 3
    assert errors == []
