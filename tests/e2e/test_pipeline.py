"""End to end: the synthesized template run for one real minute on the embedded emulator.

The same run as `make demo`: the ASL, functions and alarms come from the template, the collectors
are the real handlers, the metrics are read back from the emulated CloudWatch at one second.
"""

from __future__ import annotations

from collections import Counter

import pytest

from local.demo_account import CLUSTERS, expected_cluster_counts, expected_instance_counts
from local.demo_run import FAULT_OFFSET, RunResult, run, synthesize

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def minute(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    synthesized = synthesize(tmp_path_factory.mktemp("cdk.out"))
    return run(1, synthesized)


def _by_second(result: RunResult, name: str, **dims: str) -> dict[int, float]:
    key = (name, tuple(sorted(dims.items())))
    return {int((when - result.start).total_seconds()): value for when, value in result.series[key]}


def _offsets(result: RunResult, function_prefix: str) -> Counter[int]:
    return Counter(i.event["offset"] for i in result.invocations if i.function.startswith(function_prefix))


def test_e2e_minute_succeeds_although_one_sample_failed(minute: RunResult) -> None:
    assert minute.statuses == ["SUCCEEDED"]
    assert minute.outputs[0]["lost"] == 1
    (failed,) = [i for i in minute.invocations if i.error]
    assert failed.event["offset"] == FAULT_OFFSET and "AccessDenied" in failed.error


def test_e2e_every_collector_ran_at_every_offset(minute: RunResult) -> None:
    assert _offsets(minute, "CollectorsEcsCounts") == Counter(range(60))
    assert _offsets(minute, "CollectorsEc2EbsState") == Counter(range(0, 60, 5))
    for invocation in minute.invocations:
        assert invocation.event["time"] == minute.start.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_e2e_data_points_carry_their_scheduled_seconds(minute: RunResult) -> None:
    for (name, _), points in minute.series.items():
        for when, _value in points:
            offset = (when - minute.start).total_seconds()
            assert offset == int(offset) and 0 <= offset < 60, f"{name} at {when}"
    ec2_seconds = set(_by_second(minute, "InstanceCount", State="running"))
    assert ec2_seconds <= set(range(0, 60, 5))


def test_e2e_every_sample_is_written_or_accounted_for(minute: RunResult) -> None:
    written = set(_by_second(minute, "RunningTask", ClusterName="web"))
    dropped = {s for s, v in _by_second(minute, "SamplesDropped", Collector="ecs_counts").items() if v}
    errors = _by_second(minute, "CollectorErrors", Collector="ecs_counts")
    assert errors[FAULT_OFFSET] == 1
    assert not written & (dropped | {FAULT_OFFSET})
    assert written | dropped | {FAULT_OFFSET} == set(range(60))
    # What each sample promises however loaded the machine (a 2-core machine shared by several
    # runs drops a few more): an invocation that ran in its period wrote its own scheduled second,
    # once; one that started too late wrote SamplesDropped there instead, and nothing else.
    ecs = [i for i in minute.invocations if i.function.startswith("CollectorsEcsCounts")]
    on_time = {i.event["offset"] for i in ecs if i.result and not i.result["dropped"] and i.result["emitted"]}
    late = {i.event["offset"] for i in ecs if i.result and i.result["dropped"]}
    assert written == on_time
    assert dropped == late
    points = minute.series[("RunningTask", (("ClusterName", "web"),))]
    assert len(points) == len(on_time), "one data point per sample that ran, each in its own second"
    delays = _by_second(minute, "SampleDelay", Collector="ecs_counts")
    assert set(delays) == set(range(60)), "every sample says how late it started, the failed one too"


def test_e2e_ecs_values_follow_the_account_through_the_scenario(minute: RunResult) -> None:
    for cluster in CLUSTERS:
        for metric in ("RunningTask", "PendingTask", "ActiveServices", "RegisteredContainerInstances"):
            for second, value in _by_second(minute, metric, ClusterName=cluster).items():
                assert value == expected_cluster_counts(second)[cluster][metric], (cluster, metric, second)
    pending = _by_second(minute, "PendingTask", ClusterName="web")
    assert max(pending.values()) == 12, "the burst was seen"
    assert pending[max(pending)] == 0, "and it drained"


def test_e2e_ec2_and_ebs_values_follow_the_account(minute: RunResult) -> None:
    for state, expected_at in (("running", 5), ("stopped", 1)):
        values = _by_second(minute, "InstanceCount", State=state)
        assert values, state
        for second, value in values.items():
            assert value == expected_instance_counts(second)[state], (state, second)
        assert values.get(40) == expected_at
    assert set(_by_second(minute, "VolumeCount", State="error").values()) == {1}
    assert set(_by_second(minute, "ImpairedVolumes").values()) == {1}
    assert set(_by_second(minute, "PendingSnapshots").values()) == {1}
    assert set(_by_second(minute, "InstanceCount", State="terminated").values()) == {0}


def test_e2e_alarm_verdicts_follow_m_out_of_n(minute: RunResult) -> None:
    fired = {v.alarm.alarm_id for v in minute.verdicts if v.would_alarm}
    assert {"EbsVolumesInError", "EbsVolumesImpaired", "EcsRunningTasksLow-batch"} <= fired
    # web had tasks pending for 20 s: not the 30 s the demo's stuck-pending alarm needs.
    assert "EcsTasksStuckPending-web" not in fired
    assert "Ec2InstancesImpaired" not in fired
    unevaluated = {v.alarm.alarm_id for v in minute.verdicts if v.evaluations == 0}
    assert any(name.startswith("PipelineNoSamples") for name in unevaluated), "3-minute alarms need 3 minutes"


def test_e2e_every_alarm_watches_a_metric_the_collectors_emitted(minute: RunResult) -> None:
    """Catalogue, collectors and the stack's alarms agree on namespace, names and dimensions."""
    emitted = set(minute.series)
    assert minute.verdicts, "the demo stack has alarms on its own namespace"
    for verdict in minute.verdicts:
        alarm = verdict.alarm
        assert alarm.namespace == minute.namespace
        if alarm.query:  # a fleet alarm: some series of its metric with exactly its GROUP BY dimensions
            keys = {(name, tuple(k for k, _ in dims)) for name, dims in emitted}
            assert (alarm.metric_name, alarm.group_by) in keys, f"{alarm.name}: no series for its query"
            continue
        key = (alarm.metric_name, tuple(sorted((k, str(v)) for k, v in alarm.dimensions.items())))
        assert key in emitted, f"{alarm.name} watches {key}, which no collector emitted"
