"""bench/ec2_events: an events-mode sample's calls are the same at 1,000 and 100,000 resources."""

from __future__ import annotations

import pytest

from bench.ec2_events import measure_calls
from tests.support.collectors import fake_aws


def test_bench_ec2_events_calls_per_sample_are_constant(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_aws(monkeypatch)
    small, large = measure_calls(1_000), measure_calls(100_000)
    assert (
        small
        == large
        == {
            "Query": 1,
            "DescribeInstanceStatus": 2,
            "DescribeVolumeStatus": 1,
            "DescribeSnapshots": 1,
        }
    )
