"""The collector-cost benchmark's two workloads, ours next to the original design's approach: each
account built on moto, its answers recorded once and replayed (bench/replay.py), then samples run
and their calls, response bytes and client time counted. bench/collector_cost.py runs and reports them."""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.moto_account import AMI, REGION, CountingStdout, empty_volume_status, fake_aws
from bench.replay import (
    Answer,
    CallMeter,
    ClusterDescriptions,
    ListPages,
    Recorder,
    Replay,
    XmlPages,
    fixed,
    instances_in,
)
from collector_core.catalogue import (
    ACTIVE_SERVICES,
    CLUSTER_NAME,
    DEFAULT_NAMESPACE,
    INSTANCE_COUNT,
    PENDING_TASK,
    REGISTERED_CONTAINER_INSTANCES,
    RUNNING_TASK,
    Unit,
)

NAMESPACE = DEFAULT_NAMESPACE
ECS_PERIOD_S = 1
EC2_PERIOD_S = 5
# The original design's four metrics per cluster: the same names as ours.
ORIGINAL_METRICS = tuple(
    m.name for m in (RUNNING_TASK, PENDING_TASK, ACTIVE_SERVICES, REGISTERED_CONTAINER_INSTANCES)
)
LOG = logging.getLogger("bench.collector_cost")


@dataclass
class FakeClock:
    """Sampling time: advances one period per sample, so caches with a TTL behave as in a minute."""

    now: float

    def __call__(self) -> float:
        return self.now


@dataclass
class Side:
    """One approach at one size: per-sample averages over `samples` samples."""

    samples: int
    read_calls: float
    write_calls: float
    response_bytes: float
    client_ms: float
    emf_bytes: float = 0.0
    # operation -> [calls, response bytes] per sample
    operations: dict[str, list[float]] = field(default_factory=dict)

    @property
    def calls(self) -> float:
        return self.read_calls + self.write_calls


def _side(samples: int, reads: CallMeter, writes: CallMeter | None, elapsed: float, emf: int = 0) -> Side:
    return Side(
        samples,
        reads.total_calls / samples,
        (writes.total_calls if writes else 0) / samples,
        (reads.total_bytes + (writes.total_bytes if writes else 0)) / samples,
        elapsed * 1000 / samples,
        emf / samples,
        {
            op: [meter.calls[op] / samples, meter.response_bytes[op] / samples]
            for meter in (reads, writes)
            if meter
            for op in meter.calls
        },
    )


def timed_samples(samples: int, meter: CallMeter, sample: Callable[[], None]) -> Side:
    """Run `sample` `samples` times with stdout counted (the EMF sink prints), as one Side."""
    stdout = CountingStdout()
    started = time.perf_counter()
    with contextlib.redirect_stdout(stdout):
        for _ in range(samples):
            sample()
    return _side(samples, meter, None, time.perf_counter() - started, stdout.bytes)


# --- ECS ----------------------------------------------------------------------------------------------


def original_ecs_sample(ecs: Any, cloudwatch: Any, clusters: Sequence[str]) -> None:
    """The original design's sample, per cluster: DescribeClusters, then PutMetricData of 4 metrics."""
    now = datetime.now(UTC)
    for name in clusters:
        cluster = ecs.describe_clusters(clusters=[name])["clusters"][0]
        values = (
            cluster["runningTasksCount"],
            cluster["pendingTasksCount"],
            cluster["activeServicesCount"],
            cluster["registeredContainerInstancesCount"],
        )
        cloudwatch.put_metric_data(
            Namespace=NAMESPACE,
            MetricData=[
                {
                    "MetricName": metric,
                    "Dimensions": [{"Name": CLUSTER_NAME, "Value": name}],
                    "Timestamp": now,
                    "Value": value,
                    "Unit": Unit.COUNT.value,
                    "StorageResolution": 1,
                }
                for metric, value in zip(ORIGINAL_METRICS, values, strict=True)
            ],
        )


def ecs_workload(clusters: int, samples: tuple[int, int]) -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from collector_core.faults import Budget, Faults
    from collector_core.settings import Settings
    from collector_core.sinks import EmfSink
    from ecs_counts.collect import ClusterCache, collect

    names = [f"cluster-{i:04d}" for i in range(clusters)]
    with fake_aws(), mock_aws():
        ecs = boto3.client("ecs", region_name=REGION)
        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        recorder, cw_recorder = Recorder(ecs), Recorder(cloudwatch)
        for name in names:
            ecs.create_cluster(clusterName=name)
        started = time.perf_counter()
        arns = [a for page in ecs.get_paginator("list_clusters").paginate() for a in page["clusterArns"]]
        described = []
        for start in range(0, len(arns), 100):
            described += ecs.describe_clusters(clusters=arns[start : start + 100])["clusters"]
        moto_s = time.perf_counter() - started
        cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=[{"MetricName": "m", "Value": 1}])
        answers: dict[str, Answer] = {
            "ListClusters": ListPages(recorder.last["ListClusters"], arns),
            "DescribeClusters": ClusterDescriptions(recorder.last["DescribeClusters"], described),
        }
        put = fixed(cw_recorder.last["PutMetricData"])

    with fake_aws():
        # ours: one simulated minute, the cluster list cached as in a Lambda container
        replay = Replay("ecs", answers)
        meter = CallMeter().attach(replay.client)
        ours_n, theirs_n = samples
        clock = FakeClock(time.time())
        cache, sink = ClusterCache(), EmfSink(NAMESPACE, LOG)
        settings = Settings(period_seconds=ECS_PERIOD_S)

        def sample() -> None:
            faults = Faults(LOG)
            datums = collect(
                replay.client,
                settings,
                cache=cache,
                clock=clock,
                budget=Budget(clock, clock() + 60),
                faults=faults,
            )
            sink.emit(datums, int(clock()) * 1000)
            clock.now += ECS_PERIOD_S
            if len(faults) or len(datums) != 4 * clusters:
                raise RuntimeError(f"replayed ECS sample is wrong: {faults.errors}, {len(datums)} datums")

        ours = timed_samples(ours_n, meter, sample)

        replay = Replay("ecs", answers)
        reads = CallMeter().attach(replay.client)
        cw_replay = Replay("cloudwatch", {"PutMetricData": put})
        writes = CallMeter().attach(cw_replay.client)
        started = time.perf_counter()
        for _ in range(theirs_n):
            original_ecs_sample(replay.client, cw_replay.client, names)
        theirs = _side(theirs_n, reads, writes, time.perf_counter() - started)
    return {"clusters": clusters, "moto_s": moto_s, "ours": ours.__dict__, "original": theirs.__dict__}


# --- EC2 ----------------------------------------------------------------------------------------------


def original_ec2_sample(ec2: Any) -> Counter[str]:
    """The original approach to instance state: every instance, every sample, from DescribeInstances."""
    states: Counter[str] = Counter()
    for page in ec2.get_paginator("describe_instances").paginate(PaginationConfig={"PageSize": 1000}):
        for reservation in page["Reservations"]:
            for instance in reservation["Instances"]:
                states[instance["State"]["Name"]] += 1
    return states


def ec2_workload(instances: int, samples: tuple[int, int]) -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from collector_core.faults import Budget, Faults
    from collector_core.settings import Settings
    from collector_core.sinks import EmfSink
    from ec2_ebs_state.collect import collect
    from ec2_ebs_state.xml_counting import install

    with fake_aws(), mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        recorder = Recorder(ec2)
        remaining = instances
        while remaining:
            batch = min(1000, remaining)  # one reservation per 1,000: DescribeInstances pages of 1,000
            ec2.run_instances(ImageId=AMI, MinCount=batch, MaxCount=batch, InstanceType="t3.micro")
            remaining -= batch
        started = time.perf_counter()
        ec2.describe_instance_status(IncludeAllInstances=True)
        ec2.describe_volumes()
        ec2.describe_snapshots(OwnerIds=["self"], Filters=[{"Name": "status", "Values": ["pending"]}])
        ec2.describe_instances()
        moto_s = time.perf_counter() - started
        last = recorder.last
    answers: dict[str, Answer] = {
        "DescribeInstanceStatus": XmlPages(last["DescribeInstanceStatus"], "instanceStatusSet"),
        "DescribeVolumes": XmlPages(last["DescribeVolumes"], "volumeSet"),
        "DescribeVolumeStatus": XmlPages(empty_volume_status(last["DescribeSnapshots"]), "volumeStatusSet"),
        "DescribeSnapshots": XmlPages(last["DescribeSnapshots"], "snapshotSet"),
        "DescribeInstances": XmlPages(last["DescribeInstances"], "reservationSet", weight=instances_in),
    }
    ours_n, theirs_n = samples
    with fake_aws():
        # One untimed sample first: the replay builds (and keeps) each page's bytes on first request,
        # which is the bench's cost, not the collector's.
        warm = install(Replay("ec2", answers).client)
        collect(
            warm,
            Settings(period_seconds=EC2_PERIOD_S),
            budget=Budget(time.time, time.time() + 600),
            faults=Faults(LOG),
        )
        replay = Replay("ec2", answers)
        # as the handler builds it: the two large listings counted from their XML
        ours_client = install(replay.client)
        meter = CallMeter().attach(ours_client)
        sink = EmfSink(NAMESPACE, LOG)
        settings = Settings(period_seconds=EC2_PERIOD_S)

        def sample() -> None:
            faults = Faults(LOG)
            datums = collect(
                ours_client, settings, budget=Budget(time.time, time.time() + 600), faults=faults
            )
            sink.emit(datums, int(time.time()) * 1000)
            counted = sum(d.value for d in datums if d.spec.name == INSTANCE_COUNT.name)
            if len(faults) or counted != instances:
                raise RuntimeError(f"replayed EC2 sample is wrong: {faults.errors}, {counted} instances")

        ours = timed_samples(ours_n, meter, sample)

        replay = Replay("ec2", answers)
        reads = CallMeter().attach(replay.client)
        started = time.perf_counter()
        for _ in range(theirs_n):
            if sum(original_ec2_sample(replay.client).values()) != instances:
                raise RuntimeError("replayed DescribeInstances lost instances")
        theirs = _side(theirs_n, reads, None, time.perf_counter() - started)
    return {
        "instances": instances,
        "volumes": instances,
        "moto_s": moto_s,
        "ours": ours.__dict__,
        "original": theirs.__dict__,
    }
