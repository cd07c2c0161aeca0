"""Collector cost per sample, ours next to the original design's approach, at growing account sizes.

Run: python -m bench.collector_cost [--quick]

ECS with 10/100/500 clusters (sampled every second) and EC2 with 100/1,000/10,000 instances, each
with its root volume (sampled every 5 s). Ours is the real collector code (`ecs_counts.collect`,
`ec2_ebs_state.collect`) plus its EMF sink; the original approach, reimplemented from its
description, makes one DescribeClusters and one PutMetricData (4 metrics) per cluster per sample,
and for EC2 reads a full DescribeInstances every sample.

How it is measured (see bench/replay.py): each account is built on moto and every operation's full
answer recorded once (`moto s`: what moto took to answer); then the samples run against a replay
client that serves those bytes split into the pages the requests ask for. API calls and response
bytes per sample are counted with botocore's `after-call` event, so they are deterministic;
client time is our code plus botocore (serialization, signing, XML/JSON parsing), with no emulator
and no network in it. The original approach gets fewer samples at the largest sizes (it is slow by
design); per-sample numbers are averages over the samples run, shown in `samples`.

Last, each real handler is timed in-process on moto with a small account (warm, median of 50): the
lower bound the cost model (`cost/`) uses for Lambda duration.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import math
import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.replay import (
    Answer,
    CallMeter,
    ClusterDescriptions,
    ListPages,
    Recorded,
    Recorder,
    Replay,
    XmlPages,
    fixed,
    instances_in,
)
from bench.report import median, table, write_result
from collector_core.catalogue import Collector
from collector_core.collectors import COLLECTORS
from local.handler_runner import FakeLambdaContext, pinned_handler, schedule_event

REGION = "us-east-1"
AMI = "ami-12c6146b"
NAMESPACE = "HighResMetrics"
ECS_SIZES = (10, 100, 500)
EC2_SIZES = (100, 1_000, 10_000)
ECS_PERIOD_S = 1
EC2_PERIOD_S = 5
# Samples per size: a minute of ours; fewer for the original approach where one sample makes
# hundreds of calls or parses tens of MB.
ECS_SAMPLES = {10: (60, 60), 100: (60, 20), 500: (60, 3)}
EC2_SAMPLES = {100: (12, 12), 1_000: (6, 3), 10_000: (2, 1)}
HANDLER_RUNS = 50
ORIGINAL_METRICS = ("RunningTask", "PendingTask", "ActiveServices", "RegisteredContainerInstances")
LOG = logging.getLogger("bench.collector_cost")


@contextlib.contextmanager
def fake_aws() -> Iterator[None]:
    """Credentials and region for moto and replay clients, and moto without its 1,300 default AMIs
    (each RunInstances would otherwise filter them for every instance)."""
    saved = dict(os.environ)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        MOTO_EC2_LOAD_DEFAULT_AMIS="false",
    )
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "POWERTOOLS_SERVICE_NAME"):
        os.environ.pop(name, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class _CountingStdout(io.TextIOBase):
    """Stands in for stdout while the EMF sink prints: counts the bytes, keeps nothing."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)


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
                    "Dimensions": [{"Name": "ClusterName", "Value": name}],
                    "Timestamp": now,
                    "Value": value,
                    "Unit": "Count",
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
        cache, sink, stdout = ClusterCache(), EmfSink(NAMESPACE, LOG), _CountingStdout()
        settings = Settings(period_seconds=ECS_PERIOD_S)
        started = time.perf_counter()
        with contextlib.redirect_stdout(stdout):
            for _ in range(ours_n):
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
        ours = _side(ours_n, meter, None, time.perf_counter() - started, stdout.bytes)

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


def _empty_volume_status(template: Recorded) -> Recorded:
    # moto does not implement DescribeVolumeStatus; AWS answers the collector's impaired-only filter
    # on a healthy account with an empty set.
    namespace = template.body.split(b'xmlns="', 1)[1].split(b'"', 1)[0]
    body = (
        b'<?xml version="1.0" encoding="utf-8"?>\n<DescribeVolumeStatusResponse xmlns="'
        + namespace
        + b'"><requestId>bench</requestId><volumeStatusSet/></DescribeVolumeStatusResponse>'
    )
    return Recorded(template.status, template.headers, body)


def ec2_workload(instances: int, samples: tuple[int, int]) -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from collector_core.faults import Budget, Faults
    from collector_core.settings import Settings
    from collector_core.sinks import EmfSink
    from collector_core.xml_counting import install
    from ec2_ebs_state.collect import collect

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
        "DescribeVolumeStatus": XmlPages(_empty_volume_status(last["DescribeSnapshots"]), "volumeStatusSet"),
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
        sink, stdout = EmfSink(NAMESPACE, LOG), _CountingStdout()
        settings = Settings(period_seconds=EC2_PERIOD_S)
        started = time.perf_counter()
        with contextlib.redirect_stdout(stdout):
            for _ in range(ours_n):
                faults = Faults(LOG)
                datums = collect(
                    ours_client, settings, budget=Budget(time.time, time.time() + 600), faults=faults
                )
                sink.emit(datums, int(time.time()) * 1000)
                counted = sum(d.value for d in datums if d.spec.name == "InstanceCount")
                if len(faults) or counted != instances:
                    raise RuntimeError(f"replayed EC2 sample is wrong: {faults.errors}, {counted} instances")
        ours = _side(ours_n, meter, None, time.perf_counter() - started, stdout.bytes)

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


# --- handler duration (the cost model's lower bound) -------------------------------------------------


def _time_handler(handler: str, runs: int) -> float:
    now = int(time.time())
    minute = datetime.fromtimestamp(now - now % 60, UTC)
    event = schedule_event(minute, 7)
    with pinned_handler(handler, now=minute.timestamp() + 7.05) as module:
        durations = []
        with contextlib.redirect_stdout(_CountingStdout()):
            module.handler(event, FakeLambdaContext())  # cold: clients, cluster list
            for _ in range(runs):
                started = time.perf_counter()
                summary = module.handler(event, FakeLambdaContext())
                durations.append(time.perf_counter() - started)
    if summary["errors"] or summary["dropped"]:
        raise RuntimeError(f"{handler} sample failed on moto: {summary}")
    return median(durations) * 1000


def handler_durations(runs: int = HANDLER_RUNS) -> dict[str, float]:
    """Warm in-process duration of each handler on moto, small account (3 clusters, 10 instances)."""
    import boto3
    from moto import mock_aws

    with fake_aws(), mock_aws():
        ecs = boto3.client("ecs", region_name=REGION)
        for name in ("web", "batch", "payments"):
            ecs.create_cluster(clusterName=name)
        boto3.client("ec2", region_name=REGION).run_instances(ImageId=AMI, MinCount=10, MaxCount=10)
        result = {
            "ecs_counts": _time_handler(COLLECTORS[Collector.ECS_COUNTS].handler, runs),
            "ec2_ebs_state": _time_handler(COLLECTORS[Collector.EC2_EBS_STATE].handler, runs),
        }
        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        original_ecs_sample(ecs, cloudwatch, ["web"])
        durations = []
        for _ in range(runs):
            started = time.perf_counter()
            original_ecs_sample(ecs, cloudwatch, ["web"])
            durations.append(time.perf_counter() - started)
        result["original"] = median(durations) * 1000
    return result


# --- report ---------------------------------------------------------------------------------------------


def _ratio(theirs: float, ours: float) -> float | None:
    return theirs / ours if ours else None


def _rows(results: Sequence[dict[str, Any]], size_key: str) -> list[list[Any]]:
    rows = []
    for r in results:
        ours, theirs = Side(**r["ours"]), Side(**r["original"])
        rows.append(
            [
                r[size_key],
                ours.calls,
                theirs.calls,
                _ratio(theirs.calls, ours.calls),
                ours.response_bytes / 1024,
                theirs.response_bytes / 1024,
                _ratio(theirs.response_bytes, ours.response_bytes),
                ours.client_ms,
                theirs.client_ms,
                _ratio(theirs.client_ms, ours.client_ms),
                ours.emf_bytes,
                r["moto_s"],
                f"{ours.samples}/{theirs.samples}",
            ]
        )
    return rows


HEADERS = (
    "calls ours",
    "calls orig",
    "x",
    "KiB ours",
    "KiB orig",
    "x",
    "client ms ours",
    "client ms orig",
    "x",
    "EMF B ours",
    "moto s",
    "samples",
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.collector_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the two smaller sizes only")
    args = parser.parse_args(argv)
    ecs_sizes = ECS_SIZES[:2] if args.quick else ECS_SIZES
    ec2_sizes = EC2_SIZES[:2] if args.quick else EC2_SIZES

    ecs = [ecs_workload(n, ECS_SAMPLES[n]) for n in ecs_sizes]
    print(f"ECS, per sample (period {ECS_PERIOD_S} s; calls include PutMetricData for the original)")
    print(table(("clusters", *HEADERS), _rows(ecs, "clusters")))
    ec2 = [ec2_workload(n, EC2_SAMPLES[n]) for n in ec2_sizes]
    print(
        f"\nEC2/EBS, per sample (period {EC2_PERIOD_S} s; ours also reads volumes, volume status, snapshots)"
    )
    print(table(("instances", *HEADERS), _rows(ec2, "instances")))
    print("\nEC2 instance state alone, per sample: DescribeInstanceStatus (ours) vs DescribeInstances (orig)")
    rows = []
    for r in ec2:
        ours_calls, ours_bytes = r["ours"]["operations"]["DescribeInstanceStatus"]
        theirs_calls, theirs_bytes = r["original"]["operations"]["DescribeInstances"]
        rows.append(
            [
                r["instances"],
                ours_calls,
                theirs_calls,
                ours_bytes / 1024,
                theirs_bytes / 1024,
                theirs_bytes / ours_bytes,
            ]
        )
    print(table(("instances", "calls ours", "calls orig", "KiB ours", "KiB orig", "bytes x"), rows))
    durations = handler_durations()
    print(
        f"\nHandler in-process on moto, small account, warm, median of {HANDLER_RUNS}: "
        + ", ".join(f"{name} {ms:.2f} ms" for name, ms in durations.items())
        + " (the cost model's lower bound: no network, no cold start)"
    )
    largest = ec2[-1]
    ours_ms = largest["ours"]["client_ms"]
    verdict = {
        "ecs_calls_grow_with_pages": all(
            math.isclose(r["ours"]["read_calls"], math.ceil(r["clusters"] / 100) * (1 + 1 / 60), rel_tol=0.05)
            for r in ecs
        ),
        "ec2_client_ms_at_largest": ours_ms,
        "ec2_client_within_period_at_largest": ours_ms < EC2_PERIOD_S * 1000,
    }
    print(
        "ECS calls per sample grow with pages of 100 clusters, not with clusters: "
        f"{verdict['ecs_calls_grow_with_pages']}; EC2 client time at {largest['instances']:,} instances: "
        f"{ours_ms:,.0f} ms of the {EC2_PERIOD_S * 1000:,} ms period."
    )
    write_result(
        "collector_cost",
        {"ecs": ecs, "ec2": ec2, "handler_duration_ms": durations, "verdict": verdict},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
