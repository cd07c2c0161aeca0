"""The typed deployment configuration: what `app.py` builds, validated before anything is synthesized.

Read from `highres.config.json` (or the file named by `-c configFile=...`) and then overridden key by
key with `cdk -c key=value`. Every bad value is reported as one line naming the key and what it
accepts, so a typo never becomes a half-configured stack.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collector_core import ec2_budget
from collector_core.catalogue import DEFAULT_NAMESPACE, NAMESPACE_RULE, Collector, is_custom_namespace
from collector_core.collectors import COLLECTORS
from stacks.log_retention import RETENTION_DAYS

DEFAULT_CONFIG_FILE = "highres.config.json"
STACK_NAME_PREFIX = "HighResMetrics"
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

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_CLUSTER = re.compile(r"^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/)?[A-Za-z0-9_-]{1,255}$")
_INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PARAMETER_PATH = re.compile(r"^/[A-Za-z0-9_./-]+$")


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
        return () if self.all_clusters else tuple(_cluster_name(c) for c in self.clusters)

    def powertools_layer_parameter(self, runtime: str) -> str:
        """The public SSM parameter AWS keeps with the arm64 Powertools layer ARN for `runtime`."""
        return f"/aws/service/powertools/python/arm64/{runtime}/{self.powertools_version}"


def _cluster_name(cluster: str) -> str:
    return cluster.rsplit("/", 1)[-1]


def load_config(context: Mapping[str, Any], repo_root: Path) -> DeploymentConfig:
    """Build the config from the config file (if any) overlaid with CDK context values.

    `context` may be the app's whole context: keys the CDK toolkit and feature flags set
    (`aws:cdk:...`, `@aws-cdk/...`) are passed over, but a plain key that is not a setting is a typo
    (`-c samplePeriod=5`) and stops the synth, rather than leaving the default silently in place.
    """
    _refuse_unknown_context(context)
    file_name = str(context.get("configFile", DEFAULT_CONFIG_FILE))
    path = (repo_root / file_name).resolve()
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ConfigError(f"{file_name}: not valid JSON ({error.msg} at line {error.lineno})") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{file_name}: must hold a JSON object of settings")
    elif "configFile" in context:
        raise ConfigError(f"configFile: {file_name} does not exist")
    for key in _FIELDS:
        if key in context:
            raw[key] = context[key]
    return parse_config(raw)


def _refuse_unknown_context(context: Mapping[str, Any]) -> None:
    known = context_keys()
    for key in context:
        if any(mark in key for mark in ":@/") or key in known:
            continue  # the toolkit's and the feature flags' keys always hold one of these marks
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(known)}"
        raise ConfigError(f"-c {key}: not a setting of this app; {hint}")


def parse_config(raw: Mapping[str, Any]) -> DeploymentConfig:
    """Validate a settings mapping (file keys, camelCase) into a DeploymentConfig."""
    unknown = sorted(set(raw) - set(_FIELDS) - {"$comment"})
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(_FIELDS), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(sorted(_FIELDS))}"
        raise ConfigError(f"unknown setting(s) {', '.join(unknown)}; {hint}")
    values = {_FIELDS[key][0]: _FIELDS[key][1](key, value) for key, value in raw.items() if key in _FIELDS}
    enabled = values.pop("collectors", tuple(Collector))
    periods = values.get("periods", DEFAULT_PERIODS)
    values["periods"] = {collector: period for collector, period in periods.items() if collector in enabled}
    config = DeploymentConfig(**values)
    _check_ec2_budget(config)
    if config.alarm_clusters and not config.all_clusters:
        missing = set(config.alarm_clusters) - {_cluster_name(c) for c in config.clusters}
        if missing:
            raise ConfigError(f"alarmClusters: {', '.join(sorted(missing))} not in clusters")
    return config


def _check_ec2_budget(config: DeploymentConfig) -> None:
    """Refuse an EC2/EBS collector that would use more than its share of the account's EC2 API
    refill, or whose CPU share cannot list the expected fleet within half its period."""
    period = config.periods.get(Collector.EC2_EBS_STATE)
    if period is None or config.events_mode:
        return  # events mode lists nothing per sample; the reconcile lists once a period
    fleet = ec2_budget.Fleet.of(config.expected_ec2_resources)
    share = ec2_budget.refill_share(fleet, period)
    if share > ec2_budget.MAX_REFILL_SHARE:
        slowest = next(
            (
                p
                for p in range(period, 61)
                if 60 % p == 0 and ec2_budget.refill_share(fleet, p) <= ec2_budget.MAX_REFILL_SHARE
            ),
            None,
        )
        remedy = f"a period of at least {slowest} s" if slowest else "fewer resources than any period allows"
        raise ConfigError(
            f"expectedEc2Resources: {fleet.instances:,} instances + volumes every {period} s make "
            f"{ec2_budget.calls_per_second(fleet, period):.1f} EC2 API calls/s, {share:.0%} of the account's "
            f"{ec2_budget.EC2_REFILL_PER_SECOND:.0f}/s refill (at most {ec2_budget.MAX_REFILL_SHARE:.0%}): "
            f"set samplePeriods.ec2_ebs_state to {remedy}"
        )
    if not ec2_budget.fits(fleet, config.collector_memory_mb, period):
        needed = ec2_budget.memory_needed(fleet, period)
        memory = config.collector_memory_mb
        seconds = ec2_budget.sample_seconds(fleet, memory)
        raise ConfigError(
            f"collectorMemoryMb: {memory} MB lists {fleet.instances:,} instances + volumes in "
            f"{seconds:.1f} s of CPU, more than half the {period} s EC2/EBS period: "
            + (f"give it {needed} MB" if needed else "lengthen samplePeriods.ec2_ebs_state")
        )


def _targets(key: str, value: Any) -> tuple[Target, ...]:
    items = _json_if_text(value)
    if not isinstance(items, list) or not items:
        raise ConfigError(f'{key}: give a list like [{{"account": "123456789012", "region": "eu-west-1"}}]')
    targets = []
    for item in items:
        if not isinstance(item, dict) or set(item) - {"account", "region"}:
            raise ConfigError(f"{key}: each target is an object with optional 'account' and 'region'")
        account, region = item.get("account"), item.get("region")
        if account is not None and not _ACCOUNT.match(str(account)):
            raise ConfigError(f"{key}: account {account!r} is not a 12-digit AWS account id")
        if region is not None and not _REGION.match(str(region)):
            raise ConfigError(f"{key}: region {region!r} is not an AWS region name such as eu-west-1")
        targets.append(Target(None if account is None else str(account), region))
    names = [target.stack_name for target in targets]
    if len(set(names)) != len(names):
        raise ConfigError(f"{key}: two targets give the same stack name")
    return tuple(targets)


def _clusters(key: str, value: Any) -> tuple[str, ...]:
    clusters = _string_list(key, value)
    if clusters == ("*",):
        return clusters
    if not clusters or "*" in clusters:
        raise ConfigError(f'{key}: give "*" for every cluster, or a list of cluster names or ARNs')
    for cluster in clusters:
        if not _CLUSTER.match(cluster):
            raise ConfigError(f"{key}: {cluster!r} is not an ECS cluster name or cluster ARN")
    return clusters


def _alarm_clusters(key: str, value: Any) -> tuple[str, ...]:
    return tuple(_cluster_name(c) for c in _clusters(key, value)) if value not in ([], "") else ()


def _periods(key: str, value: Any) -> dict[Collector, int]:
    given = _json_if_text(value)
    known = {collector.value: collector for collector in Collector}
    if not isinstance(given, dict) or set(given) - set(known):
        raise ConfigError(f'{key}: an object with keys among {", ".join(known)}, e.g. {{"ecs_counts": 1}}')
    periods = dict(DEFAULT_PERIODS)
    for name, seconds in given.items():
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 1 or 60 % seconds:
            raise ConfigError(f"{key}.{name}: {seconds!r} is not a divisor of 60 (1, 2, 3, 4, 5, 6, 10, ...)")
        periods[known[name]] = seconds
    return periods


def _collectors(key: str, value: Any) -> tuple[Collector, ...]:
    names = _string_list(key, value)
    known = {collector.value: collector for collector in Collector}
    unknown = [name for name in names if name not in known]
    if not names or unknown:
        raise ConfigError(f"{key}: give one or more of {', '.join(known)}")
    return tuple(known[name] for name in names)


def _choice(options: tuple[str, ...], normalise: Callable[[str], str]) -> Callable[[str, Any], str]:
    def parse(key: str, value: Any) -> str:
        text = normalise(str(value))
        if text not in options:
            raise ConfigError(f"{key}: {value!r} is not one of {', '.join(options)}")
        return text

    return parse


def _namespace(key: str, value: Any) -> str:
    if not isinstance(value, str) or not is_custom_namespace(value):
        raise ConfigError(f"{key}: {value!r} is not a custom CloudWatch namespace ({NAMESPACE_RULE})")
    return value


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise ConfigError(f"{key}: {value!r} is not true or false")


def _int_in(low: int, high: int) -> Callable[[str, Any], int]:
    def parse(key: str, value: Any) -> int:
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = low - 1
        if isinstance(value, bool) or not low <= number <= high:
            raise ConfigError(f"{key}: {value!r} is not a whole number from {low} to {high}")
        return number

    return parse


def _instance_ids(key: str, value: Any) -> tuple[str, ...]:
    ids = _string_list(key, value) if value not in ([], "") else ()
    for instance_id in ids:
        if not _INSTANCE_ID.match(instance_id):
            raise ConfigError(f"{key}: {instance_id!r} is not an EC2 instance id (i-...)")
    return ids


def _emails(key: str, value: Any) -> tuple[str, ...]:
    emails = _string_list(key, value) if value not in ([], "") else ()
    for email in emails:
        if not _EMAIL.match(email):
            raise ConfigError(f"{key}: {email!r} is not an e-mail address")
    return emails


def _version(key: str, value: Any) -> str:
    text = str(value)
    if not re.match(r"^\d+\.\d+\.\d+$", text) or not _PARAMETER_PATH.match("/" + text):
        raise ConfigError(f"{key}: {value!r} is not a Powertools release such as 3.37.0")
    return text


def _retention(key: str, value: Any) -> int:
    number = _int_in(1, 3653)(key, value)
    if number not in RETENTION_DAYS:
        raise ConfigError(
            f"{key}: {number} is not a CloudWatch Logs retention ({', '.join(map(str, RETENTION_DAYS))})"
        )
    return number


def _alarm_thresholds(key: str, value: Any) -> AlarmThresholds:
    given = _json_if_text(value)
    if not isinstance(given, dict):
        raise ConfigError(f'{key}: an object of thresholds, e.g. {{"runningTasksMin": 2}}')
    parsers: dict[str, tuple[str, Callable[[str, Any], Any]]] = {
        "pendingStuckSeconds": ("pending_stuck_seconds", _int_in(30, 3600)),
        "runningTasksMin": ("running_tasks_min", _optional(_int_in(1, 100_000))),
        "containerInstancesMin": ("container_instances_min", _optional(_int_in(1, 100_000))),
        "collectorErrorsPerSample": ("collector_errors_per_sample", _ratio),
        "droppedSampleRatio": ("dropped_sample_ratio", _ratio),
        "minSampleRatio": ("min_sample_ratio", _ratio),
        "pipelineEvaluationMinutes": ("pipeline_evaluation_minutes", _int_in(1, 60)),
        "reconcileRepairsMax": ("reconcile_repairs_max", _int_in(0, 1_000_000)),
    }
    unknown = sorted(set(given) - set(parsers))
    if unknown:
        raise ConfigError(f"{key}: unknown threshold(s) {', '.join(unknown)}; known: {', '.join(parsers)}")
    thresholds = AlarmThresholds(
        **{parsers[name][0]: parsers[name][1](f"{key}.{name}", v) for name, v in given.items()}
    )
    stuck = thresholds.pending_stuck_seconds
    if stuck % HIGH_RESOLUTION_PERIOD:
        below = max(stuck - stuck % HIGH_RESOLUTION_PERIOD, 30)
        above = stuck - stuck % HIGH_RESOLUTION_PERIOD + HIGH_RESOLUTION_PERIOD
        raise ConfigError(
            f"{key}.pendingStuckSeconds: {stuck} is not a whole number of the alarm's "
            f"{HIGH_RESOLUTION_PERIOD}-second periods; use {below} or {above}"
        )
    return thresholds


def _optional(parse: Callable[[str, Any], int]) -> Callable[[str, Any], int | None]:
    return lambda key, value: None if value is None else parse(key, value)


def _ratio(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ConfigError(f"{key}: {value!r} is not a fraction above 0 and at most 1")
    return float(value)


def _string_list(key: str, value: Any) -> tuple[str, ...]:
    """A JSON list of strings, or (from `-c key=a,b`) a comma-separated string."""
    if isinstance(value, str):
        parsed = _json_if_text(value)
        items = parsed if isinstance(parsed, list) else value.split(",")
    else:
        items = value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ConfigError(f"{key}: give a list of strings or a comma-separated string")
    return tuple(item.strip() for item in items if item.strip())


def _json_if_text(value: Any) -> Any:
    """`-c` gives strings; a string that holds JSON (a list or object) is parsed."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


# File/context key -> (DeploymentConfig field, parser).
_FIELDS: dict[str, tuple[str, Callable[[str, Any], Any]]] = {
    "targets": ("targets", _targets),
    "clusters": ("clusters", _clusters),
    "alarmClusters": ("alarm_clusters", _alarm_clusters),
    "samplePeriods": ("periods", _periods),
    "workflowType": ("workflow_type", _choice(WORKFLOW_TYPES, str.upper)),
    "namespace": ("namespace", _namespace),
    "sink": ("sink", _choice(SINKS, str.lower)),
    "serviceMetrics": ("service_metrics", _bool),
    "watchInstanceIds": ("watch_instance_ids", _instance_ids),
    "alarmThresholds": ("alarms", _alarm_thresholds),
    "notificationEmails": ("notification_emails", _emails),
    "ruleEnabled": ("rule_enabled", _bool),
    "fleetAlarms": ("fleet_alarms", _bool),
    "snapshotNotifications": ("snapshot_notifications", _choice(SNAPSHOT_NOTIFICATIONS, str.lower)),
    "logRetentionDays": ("log_retention_days", _retention),
    "powertoolsVersion": ("powertools_version", _version),
    "collectorMemoryMb": ("collector_memory_mb", _int_in(128, 10240)),
    "expectedEc2Resources": ("expected_ec2_resources", _int_in(0, 1_000_000)),
    "collectors": ("collectors", _collectors),
    "lambdaSystemLogLevel": ("lambda_system_log_level", _choice(("DEBUG", "INFO", "WARN"), str.upper)),
    "ec2StateSource": ("ec2_state_source", _choice(EC2_STATE_SOURCES, str.lower)),
    # At most a day: a missed event must heal within a reconcile period.
    "reconcileMinutes": ("reconcile_minutes", _int_in(1, 1440)),
}


def context_keys() -> list[str]:
    """The CDK context keys `load_config` reads (`-c key=value`)."""
    return ["configFile", *_FIELDS]
