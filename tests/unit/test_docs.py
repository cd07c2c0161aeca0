"""The README documents what the code defines: every setting, metric and alarm."""

from __future__ import annotations

import re
from pathlib import Path

from collector_core.catalogue import ALL_METRICS, Collector
from stacks.alarm_catalogue import AwsMetricRefs, account_alarms, pipeline_alarms
from stacks.deployment_config import context_keys, parse_config

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_readme_documents_every_setting() -> None:
    for key in context_keys():
        if key != "configFile":
            assert f"`{key}`" in README, key


def test_readme_documents_every_metric() -> None:
    for spec in ALL_METRICS:
        assert f"`{spec.name}`" in README, spec.name


def test_readme_explains_every_alarm() -> None:
    config = parse_config(
        {
            "clusters": ["c"],
            "alarmThresholds": {"runningTasksMin": 1, "containerInstancesMin": 1},
            "ec2StateSource": "events",
        }
    )
    refs = AwsMetricRefs(
        "arn", {c: c.value for c in Collector}, "rule", "events-fn", "reconcile-fn", "event-failures"
    )
    for spec in account_alarms(config) + pipeline_alarms(config, refs):
        generic = re.sub(r"-(c|ecs_counts|ec2_ebs_state)$", "", spec.alarm_id)
        assert re.search(rf"`{generic}(-<(cluster|collector)>)?`", README), spec.alarm_id


def test_readme_first_screen_gives_the_two_commands() -> None:
    first_screen = "\n".join(README.splitlines()[:20])
    assert "make demo" in first_screen and "make test" in first_screen
