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
import math
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bench.collector_workloads import (
    EC2_PERIOD_S,
    ECS_PERIOD_S,
    Side,
    ec2_workload,
    ecs_workload,
    original_ecs_sample,
)
from bench.moto_account import AMI, REGION, CountingStdout, fake_aws
from bench.report import median, table, write_result
from collector_core.catalogue import Collector
from collector_core.collectors import COLLECTORS
from local.handler_runner import FakeLambdaContext, pinned_handler, schedule_event

__all__ = ["ec2_workload", "ecs_workload", "main"]

ECS_SIZES = (10, 100, 500)
EC2_SIZES = (100, 1_000, 10_000)
# Samples per size: a minute of ours; fewer for the original approach where one sample makes
# hundreds of calls or parses tens of MB.
ECS_SAMPLES = {10: (60, 60), 100: (60, 20), 500: (60, 3)}
EC2_SAMPLES = {100: (12, 12), 1_000: (6, 3), 10_000: (2, 1)}
HANDLER_RUNS = 50


# --- handler duration (the cost model's lower bound) -------------------------------------------------


def _time_handler(handler: str, runs: int) -> float:
    now = int(time.time())
    minute = datetime.fromtimestamp(now - now % 60, UTC)
    event = schedule_event(minute, 7)
    with pinned_handler(handler, now=minute.timestamp() + 7.05) as module:
        durations = []
        with contextlib.redirect_stdout(CountingStdout()):
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
