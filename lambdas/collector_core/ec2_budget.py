"""What one EC2/EBS sample costs in EC2 API calls and in CPU, from the fleet size: one place for the
numbers the collector (to predict a sample that cannot finish), the synth (to refuse a config that
would eat the account's EC2 API budget) and the benchmark (to report both) use.

API budget (AWS, "Request throttling for the Amazon EC2 API", read 2026-12-01): EC2 throttles per
account and region with token buckets; a non-mutating action's bucket holds 100 tokens and refills
20 per second. AWS evaluates each API on its own bucket; the collector's calls are budgeted against
one bucket's refill all together, which is conservative, and leaves the rest of the account's tools
(consoles, autoscalers, Terraform) the other three quarters.

CPU: a Lambda function gets CPU in proportion to its memory, one vCPU at 1,769 MB (Lambda
"Configuring function memory"). The per-resource client CPU is the benchmark's (bench/ec2_parsing,
docs/BENCHMARKS.md) on one EPYC core with the streaming XML count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from collector_core.rules import ALLOWED_PERIODS

# API maxima per page (DescribeVolumes takes at most 500, the others 1,000).
INSTANCE_STATUS_PAGE_SIZE = 1000
VOLUME_PAGE_SIZE = 500
VOLUME_STATUS_PAGE_SIZE = 1000
SNAPSHOT_PAGE_SIZE = 1000
# DescribeVolumeStatus (impaired only) and DescribeSnapshots (pending only): one page in practice.
FILTERED_CALLS_PER_SAMPLE = 2

EC2_BUCKET_TOKENS = 100
EC2_REFILL_PER_SECOND = 20.0
# The largest share of that refill a configuration may plan to use (synth refuses more).
MAX_REFILL_SHARE = 0.25

LAMBDA_MB_PER_VCPU = 1769
LAMBDA_MAX_MB = 10240
# Client CPU seconds per listed instance, per listed volume and per call on one core, fitted to
# bench/ec2_parsing with the streaming count (1,000 + 1,000: 31-37 ms, 10,000 + 10,000: 285-359 ms,
# 32 calls, on the shared 2-core bench machine under load; instance statuses are ~60% of it, their
# items being the larger): requests, signing, parsing and the EMF sink included. They predict the
# upper end (10,000: 352 ms; 30,000: 1.05 s against 0.74-1.14 s measured).
CPU_S_PER_INSTANCE = 20e-6
CPU_S_PER_VOLUME = 12e-6
CPU_S_PER_CALL = 1e-3
# A sample should use at most this share of its period on CPU: the rest is network round trips
# (one per page, tens of ms each) and jitter.
CPU_SHARE_OF_PERIOD = 0.5


@dataclass(frozen=True)
class Fleet:
    """How many instances and volumes a sample lists."""

    instances: int
    volumes: int

    @classmethod
    def of(cls, resources: int) -> Fleet:
        """`resources` instances, each with one volume (the benchmark's and the config's shape)."""
        return cls(resources, resources)


def calls_per_sample(fleet: Fleet) -> int:
    """EC2 API calls of one sample: a page per 1,000 instance statuses and per 500 volumes (an
    empty listing is still one call), plus the two filtered calls."""
    return (
        max(1, math.ceil(fleet.instances / INSTANCE_STATUS_PAGE_SIZE))
        + max(1, math.ceil(fleet.volumes / VOLUME_PAGE_SIZE))
        + FILTERED_CALLS_PER_SAMPLE
    )


def calls_per_second(fleet: Fleet, period_seconds: int) -> float:
    return calls_per_sample(fleet) / period_seconds


def refill_share(fleet: Fleet, period_seconds: int) -> float:
    """The share of one EC2 non-mutating bucket's refill (20/s) the collector uses."""
    return calls_per_second(fleet, period_seconds) / EC2_REFILL_PER_SECOND


def shortest_period(fleet: Fleet, at_least: int = 1) -> int | None:
    """The shortest sampling period (from `at_least` up) within MAX_REFILL_SHARE; None when none is."""
    fitting = (p for p in ALLOWED_PERIODS if p >= at_least and refill_share(fleet, p) <= MAX_REFILL_SHARE)
    return next(fitting, None)


def cpu_seconds(fleet: Fleet) -> float:
    """Client CPU seconds of one sample on one full vCPU."""
    return (
        fleet.instances * CPU_S_PER_INSTANCE
        + fleet.volumes * CPU_S_PER_VOLUME
        + calls_per_sample(fleet) * CPU_S_PER_CALL
    )


def sample_seconds(fleet: Fleet, memory_mb: int) -> float:
    """Wall seconds of CPU one sample takes in a function of `memory_mb` (its share of a vCPU)."""
    return cpu_seconds(fleet) * LAMBDA_MB_PER_VCPU / min(memory_mb, LAMBDA_MB_PER_VCPU)


def fits(fleet: Fleet, memory_mb: int, period_seconds: int) -> bool:
    return sample_seconds(fleet, memory_mb) <= period_seconds * CPU_SHARE_OF_PERIOD


def memory_needed(fleet: Fleet, period_seconds: int) -> int | None:
    """The least memory (MB, rounded up to 64) whose CPU share lists `fleet` within the period's
    CPU share; None when even a full vCPU cannot (a single-threaded sample gains nothing above
    1,769 MB): then only a longer period helps."""
    budget = period_seconds * CPU_SHARE_OF_PERIOD
    needed = cpu_seconds(fleet) * LAMBDA_MB_PER_VCPU / budget
    if needed > LAMBDA_MB_PER_VCPU:
        return None
    return max(128, math.ceil(needed / 64) * 64)
