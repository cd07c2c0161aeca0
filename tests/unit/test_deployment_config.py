"""Deployment configuration: defaults, overrides from `-c`, and one-line errors for bad values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collector_core import env_names
from collector_core.catalogue import Collector
from collector_core.settings import SettingsError, load_settings
from stacks.deployment_config import ConfigError, Target, load_config, parse_config

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_defaults_sample_ecs_every_second_and_ec2_every_five() -> None:
    config = parse_config({})
    assert config.periods == {Collector.ECS_COUNTS: 1, Collector.EC2_EBS_STATE: 5}
    assert config.workflow_type == "EXPRESS" and config.sink == "emf" and config.all_clusters
    assert config.targets == (Target(),) and config.targets[0].stack_name == "HighResMetrics"


def test_repo_config_file_is_valid() -> None:
    config = load_config({}, REPO_ROOT)
    assert config.namespace == "HighResMetrics"


def test_context_overrides_file_values(tmp_path: Path) -> None:
    (tmp_path / "my.json").write_text(json.dumps({"clusters": ["a"], "workflowType": "STANDARD"}))
    config = load_config(
        {"configFile": "my.json", "clusters": "b,c", "samplePeriods": '{"ec2_ebs_state": 10}'}, tmp_path
    )
    assert config.clusters == ("b", "c")
    assert config.workflow_type == "STANDARD"
    assert config.periods[Collector.EC2_EBS_STATE] == 10 and config.periods[Collector.ECS_COUNTS] == 1


def test_targets_name_stacks_predictably() -> None:
    config = parse_config(
        {"targets": [{"account": "123456789012", "region": "eu-west-1"}, {"region": "us-east-1"}]}
    )
    assert [t.stack_name for t in config.targets] == [
        "HighResMetrics-123456789012-eu-west-1",
        "HighResMetrics-us-east-1",
    ]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"samplePeriods": {"ecs_counts": 7}}, "samplePeriods.ecs_counts: 7 is not a divisor of 60"),
        ({"samplePeriods": {"lambda": 1}}, "samplePeriods: an object with keys among"),
        ({"workflowType": "fast"}, "workflowType: 'fast' is not one of EXPRESS, STANDARD"),
        ({"sink": "kinesis"}, "sink: 'kinesis' is not one of emf, api"),
        ({"clusters": ["prod", "*"]}, 'clusters: give "*" for every cluster'),
        ({"clusters": ["bad name!"]}, "is not an ECS cluster name or cluster ARN"),
        ({"targets": [{"account": "12345"}]}, "is not a 12-digit AWS account id"),
        ({"targets": [{"region": "Mars"}]}, "is not an AWS region name"),
        ({"targets": [{}, {}]}, "two targets give the same stack name"),
        ({"namespace": "AWS/ECS"}, "is not a custom CloudWatch namespace"),
        ({"notificationEmails": ["nobody"]}, "'nobody' is not an e-mail address"),
        ({"watchInstanceIds": ["web-1"]}, "is not an EC2 instance id"),
        ({"logRetentionDays": 10}, "10 is not a CloudWatch Logs retention"),
        ({"alarmThresholds": {"pendingStuck": 5}}, "unknown threshold(s) pendingStuck"),
        ({"alarmThresholds": {"minSampleRatio": 2}}, "minSampleRatio: 2 is not a fraction"),
        ({"clusters": ["a"], "alarmClusters": ["b"]}, "alarmClusters: b not in clusters"),
        ({"cluster": "a"}, "unknown setting(s) cluster"),
        ({"ruleEnabled": "maybe"}, "ruleEnabled: 'maybe' is not true or false"),
        ({"namespace": ":Foo"}, "not starting with 'AWS/' or ':'"),
        ({"namespace": "Team\u00e9"}, "is not a custom CloudWatch namespace"),
        ({"namespace": "x" * 256}, "is not a custom CloudWatch namespace"),
        ({"alarmThresholds": {"pendingStuckSeconds": 45}}, "45 is not a whole number of the alarm's"),
        ({"nameSpace": "Foo"}, "unknown setting(s) nameSpace; did you mean namespace?"),
        ({"ec2StateSource": "stream"}, "ec2StateSource: 'stream' is not one of poll, events"),
        ({"reconcileMinutes": 0}, "reconcileMinutes: 0 is not a whole number from 1 to 1440"),
        ({"alarmThresholds": {"reconcileRepairsMax": -1}}, "reconcileRepairsMax: -1 is not a whole number"),
    ],
)
def test_bad_settings_give_one_line_errors(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(settings)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_or_broken_config_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nothere\.json does not exist"):
        load_config({"configFile": "nothere.json"}, tmp_path)
    (tmp_path / "broken.json").write_text("{nope")
    with pytest.raises(ConfigError, match=r"broken\.json: not valid JSON"):
        load_config({"configFile": "broken.json"}, tmp_path)


def test_collectors_setting_chooses_what_is_deployed() -> None:
    assert parse_config({"collectors": "ecs_counts"}).periods == {Collector.ECS_COUNTS: 1}
    with pytest.raises(ConfigError, match="collectors: give one or more of ecs_counts, ec2_ebs_state"):
        parse_config({"collectors": ["ecs", "ec2"]})


def test_pending_stuck_seconds_names_the_two_values_the_alarm_can_honour() -> None:
    with pytest.raises(ConfigError, match=r"use 40 or 50$"):
        parse_config({"alarmThresholds": {"pendingStuckSeconds": 45}})
    assert parse_config({"alarmThresholds": {"pendingStuckSeconds": 50}}).alarms.pending_stuck_seconds == 50


@pytest.mark.parametrize("namespace", ["My Team/High Res", "a:b", "ops#1", "x" * 255])
def test_namespace_rule_is_cloudwatchs_and_the_collectors_agree(namespace: str) -> None:
    # given a namespace CloudWatch accepts (spaces included)
    config = parse_config({"namespace": namespace})
    # then the collectors' runtime settings accept the same value the stack sets
    settings = load_settings({env_names.METRICS_NAMESPACE: config.namespace}, Collector.ECS_COUNTS)
    assert settings.namespace == namespace


@pytest.mark.parametrize("namespace", [":Foo", "AWS/Mine", "tab\there", ""])
def test_namespace_refused_by_the_stack_is_refused_by_the_collectors(namespace: str) -> None:
    with pytest.raises(ConfigError):
        parse_config({"namespace": namespace})
    if namespace:  # an empty variable means the default namespace to the collectors
        with pytest.raises(SettingsError):
            load_settings({env_names.METRICS_NAMESPACE: namespace}, Collector.ECS_COUNTS)


def test_unknown_context_key_names_the_closest_setting() -> None:
    with pytest.raises(
        ConfigError, match=r"^-c samplePeriod: not a setting of this app; did you mean samplePeriods\?$"
    ):
        load_config({"samplePeriod": "5"}, REPO_ROOT)


def test_context_keys_of_the_cdk_toolkit_and_feature_flags_are_not_ours_to_refuse() -> None:
    context = {
        "aws:cdk:enable-path-metadata": True,
        "aws:cdk:bundling-stacks": ["**"],
        "@aws-cdk/core:newStyleStackSynthesis": True,
        "namespace": "Mine",
    }
    assert load_config(context, REPO_ROOT).namespace == "Mine"


def test_ec2_api_budget_refuses_a_fleet_too_large_for_its_period() -> None:
    # 10,000 instances + 10,000 volumes every 5 s: 32 calls a sample, 6.4/s, 32% of the 20/s refill
    with pytest.raises(ConfigError) as error:
        parse_config({"expectedEc2Resources": 10_000})
    message = str(error.value)
    assert message.startswith(
        "expectedEc2Resources: 10,000 instances + volumes every 5 s make 6.4 EC2 API calls/s"
    )
    assert "32% of the account's 20/s refill (at most 25%)" in message
    assert message.endswith("set samplePeriods.ec2_ebs_state to a period of at least 10 s")
    assert "\n" not in message


def test_ec2_api_budget_accepts_the_same_fleet_at_a_longer_period_or_without_the_collector() -> None:
    config = parse_config({"expectedEc2Resources": 10_000, "samplePeriods": {"ec2_ebs_state": 10}})
    assert config.expected_ec2_resources == 10_000
    parse_config({"expectedEc2Resources": 10_000, "collectors": ["ecs_counts"]})
    assert parse_config({}).expected_ec2_resources == 1000


def test_ec2_state_source_defaults_to_poll_and_events_mode_lifts_the_listing_budget() -> None:
    assert parse_config({}).ec2_state_source == "poll"
    assert not parse_config({}).events_mode
    # 100,000 instances every second: no listing per sample in events mode, so nothing to refuse
    config = parse_config(
        {"ec2StateSource": "EVENTS", "expectedEc2Resources": 100_000, "samplePeriods": {"ec2_ebs_state": 1}}
    )
    assert config.events_mode and config.reconcile_minutes == 10
    assert not parse_config({"ec2StateSource": "events", "collectors": ["ecs_counts"]}).events_mode


def test_ec2_cpu_budget_names_the_memory_a_fleet_needs() -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(
            {"expectedEc2Resources": 30_000, "samplePeriods": {"ec2_ebs_state": 20}, "collectorMemoryMb": 128}
        )
    message = str(error.value)
    # 30,000 + 30,000: about 1.05 s of CPU on a full vCPU, 14.5 s on 128 MB's share
    assert message.startswith("collectorMemoryMb: 128 MB lists 30,000 instances + volumes in 14.5 s of CPU")
    assert message.endswith("more than half the 20 s EC2/EBS period: give it 192 MB")
