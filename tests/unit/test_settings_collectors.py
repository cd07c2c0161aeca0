"""Collector settings: defaults, parsing, and one clear error per bad variable."""

from __future__ import annotations

import pytest

from collector_core import env_names
from collector_core.catalogue import DEFAULT_NAMESPACE, Collector
from collector_core.settings import ALL_CLUSTERS, Settings, SettingsError, SinkKind, load_settings

ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/web"


def test_settings_defaults_per_collector() -> None:
    ecs = load_settings({}, Collector.ECS_COUNTS)
    ec2 = load_settings({}, Collector.EC2_EBS_STATE)

    assert ecs == Settings(DEFAULT_NAMESPACE, SinkKind.EMF, 1, (ALL_CLUSTERS,), False, ())
    assert ecs.discover_clusters
    assert ec2.period_seconds == 5


def test_settings_parse_every_variable() -> None:
    env = {
        env_names.METRICS_NAMESPACE: " Team/HighRes ",
        env_names.METRICS_SINK: "API",
        env_names.SAMPLE_PERIOD_SECONDS: "10",
        env_names.ECS_CLUSTERS: f"web, {ARN},web,,batch",
        env_names.ECS_SERVICE_METRICS: "True",
        env_names.WATCH_INSTANCE_IDS: "i-0123456789abcdef0, i-12345678",
    }

    settings = load_settings(env, Collector.ECS_COUNTS)

    assert settings == Settings(
        namespace="Team/HighRes",
        sink=SinkKind.API,
        period_seconds=10,
        ecs_clusters=("web", ARN, "batch"),
        ecs_service_metrics=True,
        watch_instance_ids=("i-0123456789abcdef0", "i-12345678"),
    )
    assert not settings.discover_clusters


def test_settings_empty_values_mean_defaults() -> None:
    env = {
        env_names.METRICS_NAMESPACE: "",
        env_names.METRICS_SINK: "",
        env_names.SAMPLE_PERIOD_SECONDS: " ",
        env_names.ECS_SERVICE_METRICS: "",
        env_names.WATCH_INSTANCE_IDS: "",
    }

    assert load_settings(env, Collector.EC2_EBS_STATE) == Settings(period_seconds=5)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        (env_names.METRICS_NAMESPACE, "AWS/ECS"),
        (env_names.METRICS_NAMESPACE, "bad|name"),
        (env_names.METRICS_SINK, "stdout"),
        (env_names.SAMPLE_PERIOD_SECONDS, "7"),
        (env_names.SAMPLE_PERIOD_SECONDS, "0"),
        (env_names.SAMPLE_PERIOD_SECONDS, "1.5"),
        (env_names.SAMPLE_PERIOD_SECONDS, "-1"),
        (env_names.ECS_CLUSTERS, ""),
        (env_names.ECS_CLUSTERS, "*,web"),
        (env_names.ECS_CLUSTERS, "web cluster"),
        (env_names.ECS_CLUSTERS, "arn:aws:ecs:us-east-1:123:cluster/web"),
        (env_names.ECS_SERVICE_METRICS, "yes please"),
        (env_names.WATCH_INSTANCE_IDS, "i-123,web"),
    ],
)
def test_settings_bad_value_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({variable: value}, Collector.ECS_COUNTS)

    message = str(raised.value)
    assert isinstance(raised.value, ValueError)
    assert raised.value.variable == variable
    assert message.startswith(f"{variable}={value!r} is not allowed: ")
    assert "\n" not in message


def test_settings_period_error_lists_allowed_values() -> None:
    with pytest.raises(SettingsError, match=r"\(1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60\)"):
        load_settings({env_names.SAMPLE_PERIOD_SECONDS: "45"}, Collector.EC2_EBS_STATE)


def test_settings_memory_comes_from_lambda_and_is_absent_elsewhere() -> None:
    assert load_settings({env_names.LAMBDA_MEMORY_MB: "256"}, Collector.EC2_EBS_STATE).memory_mb == 256
    assert load_settings({}, Collector.EC2_EBS_STATE).memory_mb is None
    assert load_settings({env_names.LAMBDA_MEMORY_MB: "lots"}, Collector.EC2_EBS_STATE).memory_mb is None


def test_settings_state_source_events_needs_its_table() -> None:
    from collector_core.settings import StateSource

    assert load_settings({}, Collector.EC2_EBS_STATE).ec2_state_source is StateSource.POLL
    events = load_settings(
        {env_names.EC2_STATE_SOURCE: "events", env_names.STATE_TABLE_NAME: "t"}, Collector.EC2_EBS_STATE
    )
    assert (events.ec2_state_source, events.state_table) == (StateSource.EVENTS, "t")
    with pytest.raises(SettingsError, match="STATE_TABLE_NAME"):
        load_settings({env_names.EC2_STATE_SOURCE: "events"}, Collector.EC2_EBS_STATE)
    with pytest.raises(SettingsError, match="EC2_STATE_SOURCE='stream'"):
        load_settings({env_names.EC2_STATE_SOURCE: "stream"}, Collector.EC2_EBS_STATE)
