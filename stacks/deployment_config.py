"""Loads the deployment configuration: the config file overlaid with CDK context, each key parsed
(`stacks.config_values`), then the checks across keys (the EC2 API and CPU budget, alarm clusters).

Read from `highres.config.json` (or the file named by `-c configFile=...`) and then overridden key by
key with `cdk -c key=value`. Every bad value is reported as one line naming the key and what it
accepts, so a typo never becomes a half-configured stack.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from collector_core import ec2_budget
from collector_core.catalogue import Collector
from collector_core.rules import cluster_name
from stacks import config_values as parsers
from stacks import organization_config
from stacks.config_model import (
    DEFAULT_PERIODS,
    EC2_STATE_SOURCES,
    HIGH_RESOLUTION_PERIOD,
    ORGANIZATION_KEY,
    SINKS,
    SNAPSHOT_NOTIFICATIONS,
    WORKFLOW_TYPES,
    AlarmThresholds,
    ConfigError,
    DeploymentConfig,
    Target,
)

# What the rest of the project imports from here: the typed config and its error.
__all__ = [
    "HIGH_RESOLUTION_PERIOD",
    "AlarmThresholds",
    "ConfigError",
    "DeploymentConfig",
    "Target",
    "context_keys",
    "load_config",
    "parse_config",
]

DEFAULT_CONFIG_FILE = "highres.config.json"


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
        missing = set(config.alarm_clusters) - {cluster_name(c) for c in config.clusters}
        if missing:
            raise ConfigError(f"alarmClusters: {', '.join(sorted(missing))} not in clusters")
    if config.organization:
        organization_config.check_targets(config.organization, tuple(t.account for t in config.targets))
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
        slowest = ec2_budget.shortest_period(fleet, at_least=period)
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


_FIELDS: dict[str, tuple[str, Callable[[str, Any], Any]]] = {
    "targets": ("targets", parsers.targets),
    "clusters": ("clusters", parsers.clusters),
    "alarmClusters": ("alarm_clusters", parsers.alarm_clusters),
    "samplePeriods": ("periods", parsers.periods),
    "workflowType": ("workflow_type", parsers.choice(WORKFLOW_TYPES, str.upper)),
    "namespace": ("namespace", parsers.namespace),
    "sink": ("sink", parsers.choice(SINKS, str.lower)),
    "serviceMetrics": ("service_metrics", parsers.flag),
    "watchInstanceIds": ("watch_instance_ids", parsers.instance_ids),
    "alarmThresholds": ("alarms", parsers.alarm_thresholds),
    "notificationEmails": ("notification_emails", parsers.emails),
    "ruleEnabled": ("rule_enabled", parsers.flag),
    "fleetAlarms": ("fleet_alarms", parsers.flag),
    "snapshotNotifications": ("snapshot_notifications", parsers.choice(SNAPSHOT_NOTIFICATIONS, str.lower)),
    "logRetentionDays": ("log_retention_days", parsers.retention),
    "powertoolsVersion": ("powertools_version", parsers.version),
    "collectorMemoryMb": ("collector_memory_mb", parsers.int_in(128, 10240)),
    "expectedEc2Resources": ("expected_ec2_resources", parsers.int_in(0, 1_000_000)),
    "collectors": ("collectors", parsers.collectors),
    "lambdaSystemLogLevel": ("lambda_system_log_level", parsers.choice(("DEBUG", "INFO", "WARN"), str.upper)),
    "ec2StateSource": ("ec2_state_source", parsers.choice(EC2_STATE_SOURCES, str.lower)),
    # At most a day: a missed event must heal within a reconcile period.
    "reconcileMinutes": ("reconcile_minutes", parsers.int_in(1, 1440)),
    ORGANIZATION_KEY: ("organization", organization_config.organization),
}


def context_keys() -> list[str]:
    """The CDK context keys `load_config` reads (`-c key=value`)."""
    return ["configFile", *_FIELDS]
