"""Fleet alarms: one Metrics Insights alarm per per-cluster alarm kind, over every cluster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from local.alarm_evaluation import ALARM, OK, evaluate_alarm
from stacks.alarm_catalogue import AlarmSpec
from stacks.deployment_config import ConfigError, parse_config
from synthesis.synthesized import TemplateError, parse_query
from tests.infrastructure.test_policy_paths import alarms_that_cannot_notify, resolver_for
from tests.support.stacks import SynthResult, synth

THRESHOLDS = {"runningTasksMin": 2, "containerInstancesMin": 1}
START = datetime(2026, 12, 1, 22, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def every_cluster() -> SynthResult:
    return synth(alarmThresholds=THRESHOLDS)


def _fleet(result: SynthResult) -> dict[str, AlarmSpec]:
    return {a.name.split("-", 1)[1]: a for a in result.synthesized.alarms if a.query}


def test_fleet_alarms_one_per_cluster_alarm_kind_from_the_same_catalogue(every_cluster: SynthResult) -> None:
    fleet = _fleet(every_cluster)
    assert set(fleet) == {"FleetTasksStuckPending", "FleetRunningTasksLow", "FleetContainerInstancesLow"}
    stuck = fleet["FleetTasksStuckPending"]
    assert stuck.query == (
        'SELECT MIN(PendingTask) FROM SCHEMA("HighResMetrics", ClusterName) GROUP BY ClusterName'
    )
    # Metrics Insights aggregates to one minute: 180 s pending is three whole one-minute periods.
    assert (stuck.period, stuck.evaluation_periods, stuck.datapoints_to_alarm) == (60, 3, 3)
    low = fleet["FleetRunningTasksLow"]
    assert low.query.startswith("SELECT MAX(RunningTask)") and low.comparison == "LessThanThreshold"
    assert low.threshold == 2 and low.evaluation_periods == 1
    # The same runbook text as the per-cluster alarm the on-call person already knows.
    named = {a.name.split("-", 1)[1]: a for a in synth(alarmClusters=["web"]).synthesized.alarms}
    runbook = named["EcsTasksStuckPending-web"].description.split("Runbook: ")[1]
    assert stuck.description.endswith("Runbook: " + runbook)


def test_fleet_alarms_are_on_by_default_and_can_be_turned_off() -> None:
    assert set(_fleet(synth())) == {"FleetTasksStuckPending"}
    assert _fleet(synth(fleetAlarms=False)) == {}
    # Listed clusters each have their own per-cluster alarms: no fleet alarm then.
    assert _fleet(synth(clusters=["prod"])) == {}


def test_fleet_alarms_config_refuses_what_is_not_a_boolean() -> None:
    with pytest.raises(ConfigError, match=r"^fleetAlarms: 'sometimes' is not true or false$"):
        parse_config({"fleetAlarms": "sometimes"})
    assert parse_config({"fleetAlarms": "false"}).fleet_alarms is False


def test_fleet_alarms_notify_the_topic_through_its_policy(every_cluster: SynthResult) -> None:
    resolver = resolver_for(every_cluster)
    fleet_ids = [lid for lid, p in resolver.resources("AWS::CloudWatch::Alarm").items() if "Metrics" in p]
    assert len(fleet_ids) == 3
    assert alarms_that_cannot_notify(resolver) == {}


def _series(
    values: dict[str, dict[int, float]],
) -> dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[datetime, float]]]:
    return {
        ("RunningTask", (("ClusterName", cluster),)): [
            (START + timedelta(seconds=s), v) for s, v in sorted(points.items())
        ]
        for cluster, points in values.items()
    }


def test_fleet_alarm_evaluation_covers_a_cluster_created_mid_run(every_cluster: SynthResult) -> None:
    low = _fleet(every_cluster)["FleetRunningTasksLow"]
    # given: web runs 6 tasks for three minutes; "reports" appears after 70 s with 1 task
    series = _series({"web": {s: 6 for s in range(180)}, "reports": {s: 1 for s in range(70, 180)}})
    series[("RunningTask", (("ClusterName", "web"), ("ServiceName", "api")))] = [(START, 0.0)]
    # when
    verdict = evaluate_alarm(low, series, START, START + timedelta(seconds=180))
    # then: a contributor per cluster (the per-service series is not in the SCHEMA), reports alarms
    assert set(verdict.contributors) == {"web", "reports"}
    assert verdict.contributors["web"].state == OK
    assert verdict.contributors["reports"].first_alarm == START + timedelta(seconds=120)
    assert verdict.state == ALARM and verdict.first_alarm == START + timedelta(seconds=120)


def test_fleet_alarm_query_shapes_this_project_does_not_use_are_refused() -> None:
    with pytest.raises(TemplateError, match="not understood"):
        parse_query("SELECT MAX(RunningTask) FROM \"HighResMetrics\" WHERE ClusterName = 'web'")
    parsed = parse_query('SELECT AVG(X) FROM SCHEMA("My NS", A, B) GROUP BY A, B')
    assert (parsed.statistic, parsed.namespace, parsed.schema, parsed.group_by) == (
        "Average",
        "My NS",
        ("A", "B"),
        ("A", "B"),
    )


def test_fleet_alarms_cost_one_alarm_metric_per_cluster_analyzed(every_cluster: SynthResult) -> None:
    from cost import items, model
    from cost.pricing import ALARM_INSIGHTS_METRIC_MONTH

    estimate = model.estimate(every_cluster.synthesized, items.Options(clusters=7))
    (item,) = [i for i in estimate.items if i.name == "CloudWatch Metrics Insights alarms"]
    assert item.quantity_per_day == 3
    assert item.usd_per_month == pytest.approx(3 * 7 * ALARM_INSIGHTS_METRIC_MONTH.usd)
    (metric_alarms,) = [i for i in estimate.items if i.name == "CloudWatch alarms"]
    assert "Fleet" not in metric_alarms.detail
