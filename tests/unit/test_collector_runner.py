"""The sample runner shared by both handlers: drop, health datums, summary, and when to raise."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from botocore.exceptions import ClientError

from collector_core.catalogue import RUNNING_TASK, Collector
from collector_core.datum import Datum, datum
from collector_core.faults import Budget, DeadlineExceededError, Faults
from collector_core.runner import Collect, SampleFailedError, Summary, run_sample
from collector_core.sample import Sample
from collector_core.settings import Settings
from collector_core.sinks import SinkResult
from tests.support.collectors import fixed_clock

LOG = logging.getLogger("test_collector_runner")
SAMPLE = Sample.from_event({"time": "2026-11-22T02:15:00Z", "offset": 30})
SECOND = SAMPLE.second.timestamp()


@dataclass
class FakeSink:
    errors: tuple[str, ...] = ()
    written: list[Datum] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)

    def emit(self, datums: Sequence[Datum], timestamp_ms: int) -> SinkResult:
        self.timestamps.append(timestamp_ms)
        if self.errors:
            return SinkResult(0, self.errors)
        self.written += datums
        return SinkResult(len(datums))

    def values(self) -> dict[str, float]:
        return {d.spec.name: d.value for d in self.written}


def throttled(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, operation)


def run(collect: Collect, sink: FakeSink, delay: float = 0.2, period: int = 1) -> Summary:
    return run_sample(
        SAMPLE,
        SECOND + delay,
        collector=Collector.ECS_COUNTS,
        settings=Settings(period_seconds=period),
        sink=sink,
        collect=collect,
        clock=fixed_clock(SECOND + delay),
        logger=LOG,
    )


def one_cluster(budget: Budget, faults: Faults) -> list[Datum]:
    return [datum(RUNNING_TASK, 4, ClusterName="web")]


def test_collector_runner_writes_data_and_health_at_the_sample_second() -> None:
    sink = FakeSink()

    summary = run(one_cluster, sink, delay=0.2)

    assert sink.values() == {"RunningTask": 4, "SampleDelay": 200, "CollectorErrors": 0, "SamplesDropped": 0}
    assert sink.timestamps == [SAMPLE.timestamp_ms]
    assert [d.dimensions for d in sink.written[1:]] == [(("Collector", "ecs_counts"),)] * 3
    assert summary.as_dict() == {"emitted": 4, "errors": [], "dropped": False}


def test_collector_runner_counts_faults_and_keeps_the_rest() -> None:
    def partly(budget: Budget, faults: Faults) -> list[Datum]:
        faults.record("ListServices", throttled("ListServices"), "web")
        faults.record("DescribeServices", throttled("DescribeServices"), "web")
        return one_cluster(budget, faults)

    sink = FakeSink()
    summary = run(partly, sink)

    assert sink.values()["CollectorErrors"] == 2
    assert summary.errors == ["ListServices:ThrottlingException", "DescribeServices:ThrottlingException"]


def test_collector_runner_gives_collect_one_period_from_the_start() -> None:
    deadlines: list[float] = []

    def record(budget: Budget, faults: Faults) -> list[Datum]:
        deadlines.append(budget.deadline)
        return one_cluster(budget, faults)

    run(record, FakeSink(), delay=0.3, period=5)

    assert deadlines == [SECOND + 0.3 + 5]


@pytest.mark.parametrize(("delay", "period"), [(1.001, 1), (5.5, 5), (-1.2, 1)])
def test_collector_runner_drops_a_sample_outside_its_period(delay: float, period: int) -> None:
    sink = FakeSink()
    collected: list[int] = []

    def collect(budget: Budget, faults: Faults) -> list[Datum]:
        collected.append(1)
        return []

    summary = run(collect, sink, delay=delay, period=period)

    assert collected == []
    assert sink.values() == {"SamplesDropped": 1, "SampleDelay": round(delay * 1000)}
    assert sink.timestamps == [SAMPLE.timestamp_ms]
    assert summary == Summary(emitted=2, errors=[], dropped=True)


def test_collector_runner_nothing_to_collect_is_not_a_failure() -> None:
    sink = FakeSink()

    summary = run(lambda budget, faults: [], sink)

    assert summary.as_dict() == {"emitted": 3, "errors": [], "dropped": False}


def test_collector_runner_raises_after_writing_health_when_every_call_failed() -> None:
    def denied(budget: Budget, faults: Faults) -> list[Datum]:
        faults.record("ListClusters", DeadlineExceededError("ListClusters"))
        return []

    sink = FakeSink()
    with pytest.raises(
        SampleFailedError, match=r"2026-11-22T02:15:30\+00:00 wrote no metrics: ListClusters:Deadline"
    ):
        run(denied, sink)

    assert sink.values() == {"SampleDelay": 200, "CollectorErrors": 1, "SamplesDropped": 0}


def test_collector_runner_raises_when_the_sink_wrote_nothing() -> None:
    sink = FakeSink(errors=("PutMetricData:ThrottlingException",))

    with pytest.raises(SampleFailedError) as raised:
        run(one_cluster, sink)

    assert raised.value.summary == Summary(0, ["PutMetricData:ThrottlingException"], False)
