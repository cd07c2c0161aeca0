"""EC2/EBS sample cost by parsing approach, side by side: botocore's full parse (before), botocore
with a no-op timestamp parser (its supported parser setting, as the AWS CLI uses it), and the
streaming XML count the handler installs (after); with the EC2 API budget each size uses.

Run: python -m bench.ec2_parsing [--quick] [--samples N]

The account: 1,000 instances, each with its root volume, built on moto and recorded once (moto's
own bodies); 10,000 and 30,000 repeat those items (counts scale exactly, bytes per item stay
moto's). A second fixture, AWS's recorded bodies (botocore's response-parsing fixtures, old
2014-06-15 namespace, tests/fixtures/aws_responses), repeated the same way, checks that every
approach's counts equal the full botocore parse on real material too. Samples run the real
collector (`ec2_ebs_state.collect`) and EMF sink on a replay client (bench/replay.py: no emulator,
no network); CPU is process CPU time (`time.process_time`), median of the samples, all variants
in one run so that they share the machine's load. "Asking less" (server-side filters) is reported
as calls: EC2 has no field selection, so a filter can only split the same listing.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.moto_account import AMI, REGION, CountingStdout, empty_volume_status, fake_aws
from bench.replay import Answer, CallMeter, Recorded, Recorder, Replay, XmlPages
from bench.report import table, write_result

BASE_INSTANCES = 1_000
SIZES = (1_000, 10_000, 30_000)
QUICK_SIZES = (1_000, 10_000)
SAMPLES = 3
PERIOD_S = 5
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "aws_responses"
LOG = logging.getLogger("bench.ec2_parsing")
VARIANTS = ("botocore parse (before)", "timestamps not parsed", "streaming XML count (after)")


def _no_timestamp(value: str) -> str:
    """The collector reads no timestamp: keep botocore's text instead of a dateutil datetime."""
    return value


def make_client(variant: str, replay: Replay) -> Any:
    """The replay's client for `variant` (a fresh botocore session for the parser setting, so the
    setting reaches this client only)."""
    from ec2_ebs_state.xml_counting import install

    if variant == VARIANTS[1]:
        import boto3
        import botocore.session

        session = botocore.session.get_session()
        session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_no_timestamp)
        client = boto3.Session(botocore_session=session, region_name=REGION).client(
            "ec2",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            endpoint_url=f"https://ec2.{REGION}.amazonaws.com",
        )
        replay.attach(client)
        return client
    if variant == VARIANTS[2]:
        return install(replay.client)
    return replay.client


def record_moto(instances: int) -> dict[str, Recorded]:
    import boto3
    from moto import mock_aws

    with fake_aws(), mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        recorder = Recorder(ec2)
        ec2.run_instances(ImageId=AMI, MinCount=instances, MaxCount=instances, InstanceType="t3.micro")
        ec2.describe_instance_status(IncludeAllInstances=True)
        ec2.describe_volumes()
        ec2.describe_snapshots(OwnerIds=["self"], Filters=[{"Name": "status", "Values": ["pending"]}])
        return dict(recorder.last)


def record_aws(size: int = BASE_INSTANCES) -> dict[str, Recorded]:
    """AWS's recorded bodies, their items repeated to `size` instance statuses and volumes."""
    import xml.etree.ElementTree as ET

    headers = {"Content-Type": "text/xml;charset=UTF-8"}

    count = size

    def grown(name: str, set_tag: str) -> Recorded:
        root = ET.fromstring((FIXTURES / f"botocore-ec2-{name}.xml").read_bytes())
        namespace = root.tag[1:].split("}", 1)[0]
        items = root.find(f"{{{namespace}}}{set_tag}")
        assert items is not None
        originals = list(items)
        items[:] = [originals[n % len(originals)] for n in range(count)]
        ET.register_namespace("", namespace)
        return Recorded(200, headers, ET.tostring(root, encoding="utf-8", xml_declaration=True))

    return {
        "DescribeInstanceStatus": grown("describe-instance-status", "instanceStatusSet"),
        "DescribeVolumes": grown("describe-volumes", "volumeSet"),
        "DescribeSnapshots": Recorded(
            200, headers, (FIXTURES / "botocore-ec2-describe-snapshots.xml").read_bytes()
        ),
    }


def answers(recorded: dict[str, Recorded], repeat: int) -> dict[str, Answer]:
    """Replay answers holding the recorded items `repeat` times over."""
    statuses = XmlPages(recorded["DescribeInstanceStatus"], "instanceStatusSet")
    volumes = XmlPages(recorded["DescribeVolumes"], "volumeSet")
    statuses.items = statuses.items * repeat
    volumes.items = volumes.items * repeat
    return {
        "DescribeInstanceStatus": statuses,
        "DescribeVolumes": volumes,
        "DescribeVolumeStatus": XmlPages(
            empty_volume_status(recorded["DescribeSnapshots"]), "volumeStatusSet"
        ),
        "DescribeSnapshots": XmlPages(recorded["DescribeSnapshots"], "snapshotSet"),
    }


def run_variant(variant: str, answer: dict[str, Answer], samples: int) -> dict[str, Any]:
    from collector_core.faults import Budget, Faults
    from collector_core.settings import Settings
    from collector_core.sinks import EmfSink
    from ec2_ebs_state.collect import collect

    replay = Replay("ec2", answer)
    client = make_client(variant, replay)
    meter = CallMeter().attach(client)
    sink, stdout, settings = (
        EmfSink("HighResMetrics", LOG),
        CountingStdout(),
        Settings(period_seconds=PERIOD_S),
    )
    cpu: list[float] = []
    counts: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    with contextlib.redirect_stdout(stdout):
        for _ in range(samples):
            faults = Faults(LOG)
            started = time.process_time()
            datums = collect(client, settings, budget=Budget(time.time, time.time() + 600), faults=faults)
            sink.emit(datums, int(time.time()) * 1000)
            cpu.append(time.process_time() - started)
            counts = {(d.spec.name, d.dimensions): d.value for d in datums}
            if len(faults):
                raise RuntimeError(f"{variant}: sample failed: {faults.errors}")
    return {
        "cpu_ms": statistics.median(cpu) * 1000,
        "cpu_ms_all": [c * 1000 for c in cpu],
        "calls": meter.total_calls / samples,
        "kib": meter.total_bytes / samples / 1024,
        "counts": {f"{name}{dict(dims)}": value for (name, dims), value in sorted(counts.items())},
    }


def measure(
    recorded: dict[str, Recorded], sizes: Sequence[int], samples: int, base: int = BASE_INSTANCES
) -> list[dict[str, Any]]:
    """Every variant at every size (a multiple of the `base` items recorded), counts compared with
    the full botocore parse's."""
    rows = []
    variants = VARIANTS
    for size in sizes:
        answer = answers(recorded, size // base)
        with fake_aws():
            # untimed: the replay builds each page's bytes on first request (the bench's cost)
            run_variant(variants[-1], answer, 1)
            results = {variant: run_variant(variant, answer, samples) for variant in variants}
        before = results[variants[0]]
        for result in results.values():
            result["counts_identical"] = result["counts"] == before["counts"]
        rows.append({"resources": size, "variants": results})
    return rows


def budget_rows(sizes: Sequence[int], period_s: int) -> list[list[Any]]:
    from collector_core.ec2_budget import Fleet, calls_per_sample, calls_per_second, refill_share

    rows = []
    for size in sizes:
        fleet = Fleet.of(size)
        per_state = calls_per_sample(fleet) - 1 + 6  # a DescribeVolumes listing per catalogue state
        rows.append(
            [
                size,
                calls_per_sample(fleet),
                calls_per_second(fleet, period_s),
                refill_share(fleet, period_s),
                per_state,
            ]
        )
    return rows


def _rows(measured: list[dict[str, Any]], period_s: int) -> list[list[Any]]:
    from collector_core.ec2_budget import EC2_REFILL_PER_SECOND

    rows = []
    for row in measured:
        before = row["variants"][VARIANTS[0]]["cpu_ms"]
        for variant, r in row["variants"].items():
            rows.append(
                [
                    row["resources"],
                    variant,
                    r["calls"],
                    r["kib"],
                    r["cpu_ms"],
                    before / r["cpu_ms"],
                    r["calls"] / period_s / EC2_REFILL_PER_SECOND,
                    r["counts_identical"],
                ]
            )
    return rows


HEADERS = (
    "resources",
    "approach",
    "calls",
    "KiB",
    "CPU ms",
    "x faster",
    "EC2 refill share",
    "counts = full parse",
)


def memory_rows(cpu_s: dict[int, float]) -> list[list[Any]]:
    """From measured CPU: the wall time at 256 MB and the memory whose vCPU share keeps the CPU of a
    sample within half of each period ("-": not even a full vCPU, 1,769 MB, does)."""
    from collector_core.ec2_budget import CPU_SHARE_OF_PERIOD, LAMBDA_MB_PER_VCPU

    def needed(cpu: float, period: int) -> int | str:
        mb = cpu * LAMBDA_MB_PER_VCPU / (period * CPU_SHARE_OF_PERIOD)
        return "-" if mb > LAMBDA_MB_PER_VCPU else max(128, math.ceil(mb / 64) * 64)

    return [
        [size, cpu * 1000, cpu * LAMBDA_MB_PER_VCPU / 256 * 1000, *[needed(cpu, p) for p in (5, 10, 15)]]
        for size, cpu in cpu_s.items()
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.ec2_parsing", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES} only")
    parser.add_argument("--samples", type=int, default=SAMPLES, help="samples per variant and size (median)")
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else SIZES
    moto = record_moto(BASE_INSTANCES)
    measured = measure(moto, sizes, args.samples)
    print(
        f"EC2/EBS sample by parsing approach (moto's bodies; N instances + N volumes; period {PERIOD_S} s; "
        f"CPU = process time, median of {args.samples})"
    )
    print(table(HEADERS, _rows(measured, PERIOD_S)))
    aws = measure(record_aws(), sizes[:1], args.samples)
    print(
        f"\nSame on AWS's recorded bodies (botocore fixtures, 2014-06-15 namespace), "
        f"{sizes[0]:,} + {sizes[0]:,}"
    )
    print(table(HEADERS, _rows(aws, PERIOD_S)))
    print(
        f"\nEC2 API budget at a {PERIOD_S} s period (one non-mutating bucket refills 20/s; the synth refuses "
        "more than 25%); last column: calls if volumes were listed per state with server-side filters"
    )
    print(
        table(
            ("resources", "calls/sample", "calls/s", "refill share", "per-state filters"),
            budget_rows(SIZES, PERIOD_S),
        )
    )
    after = {row["resources"]: row["variants"][VARIANTS[2]]["cpu_ms"] / 1000 for row in measured}
    print("\nAfter, CPU per sample and the memory a sample needs to spend at most half its period on CPU")
    print(
        table(
            ("resources", "CPU ms (1 vCPU)", "ms at 256 MB", "MB for 5 s", "MB for 10 s", "MB for 15 s"),
            memory_rows(after),
        )
    )
    identical = all(r["counts_identical"] for row in measured + aws for r in row["variants"].values())
    print(f"\ncounts identical to the full botocore parse on every fixture and size: {identical}")
    write_result("ec2_parsing", {"moto": measured, "aws": aws, "period_s": PERIOD_S, "identical": identical})
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
