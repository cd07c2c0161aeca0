"""End to end in events mode: a minute on the emulator with EC2/EBS states kept from state events.

The emulator is the event bus (moto's EC2 sends no events): the scenario's instance stop is
announced with a delivery delay, out of order (stopping arrives after stopped) and twice (stopped
is delivered again). The EC2/EBS collector samples every second from the table's counters.
"""

from __future__ import annotations

import pytest

from local.demo_account import (
    EVENT_LAG_SAMPLES,
    expected_instance_counts,
    expected_instance_counts_from_events,
)
from local.demo_run import RunResult, run, synthesize

pytestmark = pytest.mark.e2e
STATE_CHANGE_SECOND = 45


@pytest.fixture(scope="module")
def minute(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    synthesized = synthesize(tmp_path_factory.mktemp("cdk.out"), ec2_state_source="events")
    return run(1, synthesized, inject_fault=False)


def _by_second(result: RunResult, name: str, **dims: str) -> dict[int, float]:
    key = (name, tuple(sorted(dims.items())))
    return {int((when - result.start).total_seconds()): value for when, value in result.series[key]}


def test_e2e_events_minute_succeeds_and_samples_ec2_every_second(minute: RunResult) -> None:
    assert minute.statuses == ["SUCCEEDED"]
    assert minute.sample_periods["ec2_ebs_state"] == 1
    seconds = set(_by_second(minute, "InstanceCount", State="running"))
    assert len(seconds) >= 55, "on an idle machine nearly every one-second sample is on time"


def test_e2e_events_counts_equal_the_accounts_truth_every_second(minute: RunResult) -> None:
    for state in ("pending", "running", "stopping", "stopped", "shutting-down", "terminated"):
        values = _by_second(minute, "InstanceCount", State=state)
        for second, value in values.items():
            if STATE_CHANGE_SECOND <= second <= STATE_CHANGE_SECOND + EVENT_LAG_SAMPLES:
                # EC2 has changed, its event is on the way (1.5 s): a sample that ran late on this
                # loaded machine may already see it, one that ran early not yet
                announced = expected_instance_counts_from_events(second)[state]
                assert value in (announced, expected_instance_counts(second)[state]), (state, second)
            else:
                assert value == expected_instance_counts(second)[state], (state, second)
    # the late stopping and the duplicate stopped changed nothing after the first delivery
    assert {v for s, v in _by_second(minute, "InstanceCount", State="stopping").items()} == {0}
    assert _by_second(minute, "InstanceCount", State="stopped")[59] == 2


def test_e2e_events_volumes_and_snapshots_match_poll_mode(minute: RunResult) -> None:
    assert set(_by_second(minute, "VolumeCount", State="error").values()) == {1}
    assert set(_by_second(minute, "VolumeCount", State="creating").values()) == {1}
    assert set(_by_second(minute, "ImpairedVolumes").values()) == {1}
    assert set(_by_second(minute, "PendingSnapshots").values()) == {1}


def test_e2e_events_the_event_function_saw_every_delivery(minute: RunResult) -> None:
    applied = [i.result for i in minute.invocations if i.function.startswith("Ec2StateEventsEventFunction")]
    assert [r["applied"] if r else None for r in applied] == [True, False, False]
