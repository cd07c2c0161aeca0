"""CloudWatch's M-out-of-N evaluation, offline, on hand-made series."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collector_core.catalogue import RUNNING_TASK
from collector_core.insights import insights_query
from local.alarm_evaluation import ALARM, INSUFFICIENT, OK, evaluate, evaluate_alarm
from stacks.alarm_catalogue import AlarmSpec, Comparison, Missing

START = datetime(2026, 11, 22, 2, 0, 0, tzinfo=UTC)


def _alarm(**overrides: Any) -> AlarmSpec:
    alarm = AlarmSpec(
        alarm_id="a",
        namespace="HighResMetrics",
        metric_name="PendingTask",
        dimensions={},
        statistic="Minimum",
        period=10,
        comparison=Comparison.GREATER,
        threshold=0.0,
        evaluation_periods=3,
        datapoints_to_alarm=3,
        missing=Missing.NOT_BREACHING,
        summary="",
        runbook="",
    )
    return dataclasses.replace(alarm, **overrides)


def _series(values: dict[int, float]) -> list[tuple[datetime, float]]:
    return [(START + timedelta(seconds=s), v) for s, v in sorted(values.items())]


def test_alarm_fires_when_m_of_n_periods_breach() -> None:
    # pending from second 10 to 49: periods [10,20) [20,30) [30,40) [40,50) breach
    points = _series({s: 5 if 10 <= s < 50 else 0 for s in range(60)})
    verdict = evaluate(_alarm(), points, START, START + timedelta(seconds=60))
    assert verdict.first_alarm == START + timedelta(seconds=40)
    assert verdict.state == OK, "the last window [30,60) holds two OK periods"


def test_minimum_ignores_a_spike_that_does_not_last_the_period() -> None:
    points = _series({s: 5 if s % 10 != 9 else 0 for s in range(60)})
    verdict = evaluate(_alarm(), points, START, START + timedelta(seconds=60))
    assert not verdict.would_alarm


def test_datapoints_to_alarm_below_n() -> None:
    points = _series({s: 5 if 20 <= s < 40 else 0 for s in range(60)})
    verdict = evaluate(_alarm(datapoints_to_alarm=2), points, START, START + timedelta(seconds=60))
    assert verdict.first_alarm == START + timedelta(seconds=40)


@pytest.mark.parametrize(
    ("treat", "state"),
    [("breaching", ALARM), ("notBreaching", OK), ("missing", INSUFFICIENT), ("ignore", INSUFFICIENT)],
)
def test_missing_data_is_treated_as_configured(treat: str, state: str) -> None:
    alarm = _alarm(statistic="SampleCount", comparison=Comparison.LESS, threshold=30, missing=Missing(treat))
    verdict = evaluate(alarm, [], START, START + timedelta(seconds=60))
    assert verdict.state == state


def test_sample_count_counts_samples_per_period() -> None:
    alarm = _alarm(statistic="SampleCount", comparison=Comparison.LESS, threshold=8, period=10)
    every_second = _series({s: 1.0 for s in range(60)})
    every_other = _series({s: 1.0 for s in range(0, 60, 2)})
    assert not evaluate(alarm, every_second, START, START + timedelta(seconds=60)).would_alarm
    assert evaluate(alarm, every_other, START, START + timedelta(seconds=60)).would_alarm


def test_windows_longer_than_the_run_are_not_judged() -> None:
    alarm = _alarm(period=60, evaluation_periods=3, missing=Missing.BREACHING)
    verdict = evaluate(alarm, [], START, START + timedelta(seconds=60))
    assert verdict.evaluations == 0 and verdict.state == "not evaluated"
    assert verdict.window_seconds == 180


def test_monitoring_query_groups_by_source_account_and_cluster() -> None:
    # given: the same cluster name in two source accounts, labelled as the OAM stand-in labels
    # them, and a series with an extra dimension that SCHEMA(ns, ClusterName) must not match
    query = insights_query("MAX", RUNNING_TASK, "HighResMetrics", by_account=True)
    assert query.endswith("GROUP BY AWS.AccountId, ClusterName")
    alarm = _alarm(
        metric_name="RunningTask",
        statistic="Maximum",
        period=60,
        comparison=Comparison.LESS,
        threshold=4.0,
        evaluation_periods=1,
        datapoints_to_alarm=1,
        query=query,
    )
    series = {
        ("RunningTask", (("AWS.AccountId", "111111111111"), ("ClusterName", "batch"))): _series(
            {0: 3, 30: 3}
        ),
        ("RunningTask", (("AWS.AccountId", "222222222222"), ("ClusterName", "batch"))): _series(
            {0: 6, 30: 6}
        ),
        (
            "RunningTask",
            (("AWS.AccountId", "333333333333"), ("ClusterName", "batch"), ("Service", "x")),
        ): _series({0: 1}),
    }
    # when
    verdict = evaluate_alarm(alarm, series, START, START + timedelta(seconds=60))
    # then: a contributor per account and cluster; only the one under the floor is in ALARM
    assert sorted(verdict.contributors) == ["111111111111,batch", "222222222222,batch"]
    assert verdict.contributors["111111111111,batch"].state == ALARM
    assert verdict.contributors["222222222222,batch"].state == OK
    assert verdict.state == ALARM
