"""Collector configuration: the environment the stack sets, parsed once per container.

Logic never reads `os.environ`; the handler calls `load_settings(os.environ, collector)` at cold
start and passes the typed result down. A bad value stops the container with one line naming the
variable and what it accepts, instead of a sample that quietly publishes the wrong thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from collector_core import env_names
from collector_core.catalogue import DEFAULT_NAMESPACE, NAMESPACE_RULE, Collector, is_custom_namespace
from collector_core.collectors import COLLECTORS
from collector_core.rules import ALLOWED_PERIODS, is_cluster, is_instance_id

ALL_CLUSTERS = "*"
# Every variable `load_settings` reads: a runtime built from them is rebuilt when one changes.
SETTINGS_VARIABLES: tuple[str, ...] = (
    env_names.METRICS_NAMESPACE,
    env_names.METRICS_SINK,
    env_names.SAMPLE_PERIOD_SECONDS,
    env_names.ECS_CLUSTERS,
    env_names.ECS_SERVICE_METRICS,
    env_names.WATCH_INSTANCE_IDS,
    env_names.LAMBDA_MEMORY_MB,
    env_names.EC2_STATE_SOURCE,
    env_names.STATE_TABLE_NAME,
)


class SettingsError(ValueError):
    """An environment variable holds a value the collectors cannot use."""

    def __init__(self, variable: str, value: str, allowed: str) -> None:
        super().__init__(f"{variable}={value!r} is not allowed: {allowed}")
        self.variable = variable


class StateSource(StrEnum):
    """Where the EC2/EBS collector gets states: listing them (poll) or the events table (events)."""

    POLL = "poll"
    EVENTS = "events"


class SinkKind(StrEnum):
    """Where datums go: EMF log lines (CloudWatch extracts them) or direct PutMetricData calls."""

    EMF = "emf"
    API = "api"


@dataclass(frozen=True)
class Settings:
    """Everything a collector needs to know about its deployment."""

    namespace: str = DEFAULT_NAMESPACE
    sink: SinkKind = SinkKind.EMF
    period_seconds: int = 1
    # (ALL_CLUSTERS,) means every cluster of the account and region, discovered with ListClusters.
    ecs_clusters: tuple[str, ...] = (ALL_CLUSTERS,)
    ecs_service_metrics: bool = False
    watch_instance_ids: tuple[str, ...] = ()
    # The function's memory (MB) when running in Lambda: CPU comes in proportion to it.
    memory_mb: int | None = None
    ec2_state_source: StateSource = StateSource.POLL
    state_table: str = ""  # the events table (events mode only)

    @property
    def discover_clusters(self) -> bool:
        return self.ecs_clusters == (ALL_CLUSTERS,)


def load_settings(env: Mapping[str, str], collector: Collector) -> Settings:
    """Parse the collector's environment; raises SettingsError on the first bad value."""
    return Settings(
        namespace=_namespace(env.get(env_names.METRICS_NAMESPACE)),
        sink=_sink(env.get(env_names.METRICS_SINK)),
        period_seconds=_period(
            env.get(env_names.SAMPLE_PERIOD_SECONDS), COLLECTORS[collector].default_period_seconds
        ),
        ecs_clusters=_clusters(env.get(env_names.ECS_CLUSTERS)),
        ecs_service_metrics=_flag(env_names.ECS_SERVICE_METRICS, env.get(env_names.ECS_SERVICE_METRICS)),
        watch_instance_ids=_instance_ids(env.get(env_names.WATCH_INSTANCE_IDS)),
        memory_mb=_memory(env.get(env_names.LAMBDA_MEMORY_MB)),
        **_state_source(env),
    )


def _state_source(env: Mapping[str, str]) -> dict[str, Any]:
    raw = env.get(env_names.EC2_STATE_SOURCE) or StateSource.POLL.value
    try:
        source = StateSource(raw.strip().lower())
    except ValueError:
        raise SettingsError(env_names.EC2_STATE_SOURCE, raw, "'poll' or 'events'") from None
    table = (env.get(env_names.STATE_TABLE_NAME) or "").strip()
    if source is StateSource.EVENTS and not table:
        raise SettingsError(env_names.STATE_TABLE_NAME, "", "the events table's name (events mode)")
    return {"ec2_state_source": source, "state_table": table}


def _memory(raw: str | None) -> int | None:
    """Lambda's own variable; outside Lambda (tests, the demo) there is none and nothing is predicted."""
    value = (raw or "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def _namespace(raw: str | None) -> str:
    if raw is None or not raw.strip():
        return DEFAULT_NAMESPACE
    value = raw.strip()
    if not is_custom_namespace(value):
        raise SettingsError(env_names.METRICS_NAMESPACE, raw, NAMESPACE_RULE)
    return value


def _sink(raw: str | None) -> SinkKind:
    value = (raw or SinkKind.EMF.value).strip().lower()
    try:
        return SinkKind(value)
    except ValueError:
        raise SettingsError(env_names.METRICS_SINK, raw or "", "'emf' or 'api'") from None


def _period(raw: str | None, default: int) -> int:
    if raw is None or not raw.strip():
        return default
    value = raw.strip()
    if not value.isdigit() or int(value) not in ALLOWED_PERIODS:
        allowed = ", ".join(str(p) for p in ALLOWED_PERIODS)
        raise SettingsError(env_names.SAMPLE_PERIOD_SECONDS, raw, f"whole seconds dividing 60 ({allowed})")
    return int(value)


def _items(raw: str) -> tuple[str, ...]:
    """Comma-separated items, blanks dropped, duplicates removed, order kept."""
    return tuple(dict.fromkeys(item.strip() for item in raw.split(",") if item.strip()))


def _clusters(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return (ALL_CLUSTERS,)
    items = _items(raw)
    allowed = "'*' or comma-separated ECS cluster names or ARNs"
    if items == (ALL_CLUSTERS,):
        return items
    if not items or any(not is_cluster(c) for c in items):
        raise SettingsError(env_names.ECS_CLUSTERS, raw, allowed)
    return items


def _flag(variable: str, raw: str | None) -> bool:
    value = (raw or "false").strip().lower()
    if value in ("true", "false"):
        return value == "true"
    raise SettingsError(variable, raw or "", "'true' or 'false'")


def _instance_ids(raw: str | None) -> tuple[str, ...]:
    items = _items(raw or "")
    if any(not is_instance_id(i) for i in items):
        raise SettingsError(env_names.WATCH_INSTANCE_IDS, raw or "", "comma-separated instance ids (i-...)")
    return items
