"""The typed deployment configuration: the values one stack is built from, with their defaults.

`stacks.deployment_config` loads and checks it; every construct reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from collector_core.catalogue import DEFAULT_NAMESPACE, Collector
from collector_core.collectors import COLLECTORS
from collector_core.rules import cluster_name

STACK_NAME_PREFIX = "HighResMetrics"
ORGANIZATION_KEY = "organization"
WORKFLOW_TYPES = ("EXPRESS", "STANDARD")
SINKS = ("emf", "api")
# Which EBS snapshot notifications reach the alarm topic: failures only, every result, or none.
SNAPSHOT_NOTIFICATIONS = ("failed", "all", "off")
# Where the EC2/EBS collector gets states: "poll" lists every instance and volume each sample (API
# calls grow with the fleet); "events" keeps them from EventBridge events in DynamoDB (constant).
EC2_STATE_SOURCES = ("poll", "events")
# Seconds: the period of the alarms on one-second account metrics, the shortest a CloudWatch alarm
# takes (10, 30, then multiples of 60). Thresholds given in seconds must be whole periods of it.
HIGH_RESOLUTION_PERIOD = 10
# Each collector's own default (its record says why).
DEFAULT_PERIODS: dict[Collector, int] = {c: spec.default_period_seconds for c, spec in COLLECTORS.items()}


class ConfigError(ValueError):
    """A configuration value is wrong; the message says which key and what it accepts."""


@dataclass(frozen=True)
class Target:
    """Where one stack deploys; None means the CLI's default account or region (env-agnostic)."""

    account: str | None = None
    region: str | None = None

    @property
    def stack_name(self) -> str:
        parts = [STACK_NAME_PREFIX, self.account, self.region]
        return "-".join(part for part in parts if part)


@dataclass(frozen=True)
class AlarmThresholds:
    """What the account alarms fire on; each is documented in the README's alarm table."""

    # Tasks pending for this long (every 10-second minimum above 0) count as stuck.
    pending_stuck_seconds: int = 180
    # Floors per cluster; None means no floor alarm for that metric.
    running_tasks_min: int | None = None
    container_instances_min: int | None = None
    # Failed API calls per sample, averaged over a minute.
    collector_errors_per_sample: float = 0.2
    # Fraction of a minute's samples that started too late and were dropped.
    dropped_sample_ratio: float = 0.2
    # Fraction of a collector's expected samples per minute that must arrive.
    min_sample_ratio: float = 0.5
    # Minutes a pipeline condition must last before it pages.
    pipeline_evaluation_minutes: int = 3
    # Events mode: resources one reconcile run may repair before the event path counts as broken.
    # A healthy path repairs about nothing (a same-second tie, an event lost in the rare
    # EventBridge delivery failure); ten in one run is a pattern.
    reconcile_repairs_max: int = 10


@dataclass(frozen=True)
class OrganizationConfig:
    """The `organization` setting (parsed by stacks.organization_config): where the StackSet deploys
    and how it rolls out; the defaults are the README's."""

    organization_id: str
    organizational_units: tuple[str, ...]
    regions: tuple[str, ...]
    monitoring_account: str
    # region -> sink ARN, from the monitoring stacks' outputs; empty until they are deployed.
    sinks: Mapping[str, str] = field(default_factory=dict)
    # SELF from the management account; DELEGATED_ADMIN from a delegated administrator account.
    call_as: str = "SELF"
    # An account leaving the OUs loses the pipeline (its stacks are deleted) unless this is true.
    retain_stacks_on_account_removal: bool = False
    # A quarter of a region's accounts at a time, and stop a region once a tenth of them fail:
    # a bad release reaches few accounts before the rollout stops.
    max_concurrent_percentage: int = 25
    failure_tolerance_percentage: int = 10
    # One region after another, in the order of `regions`.
    region_concurrency: str = "SEQUENTIAL"

    @property
    def ready(self) -> bool:
        """Every region has its sink: the StackSet can be synthesized."""
        return set(self.regions) <= set(self.sinks)

    @property
    def pending_note(self) -> str | None:
        """The one line that says why only the monitoring stacks were synthesized, or None."""
        missing = [region for region in self.regions if region not in self.sinks]
        if not missing:
            return None
        return (
            f"{ORGANIZATION_KEY}.sinks: no sink ARN for {', '.join(missing)}; synthesized the monitoring "
            "stacks only. Deploy them, copy each SinkArn output into organization.sinks, then synth again."
        )


@dataclass(frozen=True)
class DeploymentConfig:
    """Everything one stack needs; one value per account/region target."""

    targets: tuple[Target, ...] = (Target(),)
    clusters: tuple[str, ...] = ("*",)
    alarm_clusters: tuple[str, ...] = ()
    periods: Mapping[Collector, int] = field(default_factory=lambda: dict(DEFAULT_PERIODS))
    workflow_type: str = "EXPRESS"
    namespace: str = DEFAULT_NAMESPACE
    sink: str = "emf"
    service_metrics: bool = False
    watch_instance_ids: tuple[str, ...] = ()
    alarms: AlarmThresholds = field(default_factory=AlarmThresholds)
    notification_emails: tuple[str, ...] = ()
    rule_enabled: bool = True
    # Metrics Insights alarms over every cluster (with clusters "*"); see alarm_catalogue.fleet_alarms.
    fleet_alarms: bool = True
    snapshot_notifications: str = "failed"
    log_retention_days: int = 14
    powertools_version: str = "3.37.0"
    # Measured: a handler peaks at ~36 MiB after import (bare boto3: 34), so 128 MB would fit;
    # 256 MB buys twice the CPU for parsing responses (sample delay) for $0.001 a day more
    # (bench/cost_knobs). With the streaming XML count it lists 10,000 instances + 10,000 volumes
    # in under half a 5 s period (bench/ec2_parsing, docs/BENCHMARKS.md).
    collector_memory_mb: int = 256
    # Instances (each with a volume) the EC2/EBS collector is expected to list: the synth checks
    # the EC2 API calls and the CPU that takes against the period and memory.
    expected_ec2_resources: int = 1000
    # Lambda's own START/END/REPORT lines are INFO-level system logs: at WARN they are not
    # written, which saves about 330 bytes of log ingestion per invocation (~100,000 a day).
    lambda_system_log_level: str = "WARN"
    # "events": EC2/EBS states from EventBridge events kept in DynamoDB, repaired by a full count
    # every `reconcile_minutes` (README "Choosing the EC2/EBS state source").
    ec2_state_source: str = "poll"
    reconcile_minutes: int = 10
    # Organization mode (stacks.organization_config): None deploys the targets above only.
    organization: OrganizationConfig | None = None

    @property
    def events_mode(self) -> bool:
        return self.ec2_state_source == "events" and Collector.EC2_EBS_STATE in self.periods

    @property
    def collectors(self) -> tuple[Collector, ...]:
        """The collectors this stack deploys (those with a sampling period)."""
        return tuple(self.periods)

    @property
    def all_clusters(self) -> bool:
        return self.clusters == ("*",)

    @property
    def clusters_with_alarms(self) -> tuple[str, ...]:
        """Per-cluster alarms need names at synth time: the listed clusters, or `alarmClusters` for `*`."""
        if self.alarm_clusters:
            return self.alarm_clusters
        return () if self.all_clusters else tuple(cluster_name(c) for c in self.clusters)

    def powertools_layer_parameter(self, runtime: str) -> str:
        """The public SSM parameter AWS keeps with the arm64 Powertools layer ARN for `runtime`."""
        return f"/aws/service/powertools/python/arm64/{runtime}/{self.powertools_version}"
