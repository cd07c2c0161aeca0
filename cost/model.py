"""The estimate: the template's usage and the measured samples, priced item by item."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from collector_core import catalogue as cat
from collector_core import env_names
from collector_core.catalogue import Collector, Group, MetricSpec
from collector_core.collectors import COLLECTORS, collector_of_handler, metrics_of
from collector_core.settings import Settings, SinkKind, load_settings
from cost import pricing
from cost.items import (
    ALARMS,
    BYTES_PER_GB,
    COMPUTE,
    DAYS_PER_MONTH,
    EXECUTION_DATA_BYTES_PER_BRANCH,
    FIXED,
    INGESTION,
    LAMBDA_PLATFORM_LOG,
    LOG_EVENT_OVERHEAD_BYTES,
    METRICS,
    ORCHESTRATION,
    Estimate,
    EstimateError,
    Item,
    Options,
    monthly_item,
)
from cost.measure import (
    SampleOutput,
    measure_sample,
)
from cost.operations import fleet_rule_and_board_items
from cost.usage import Branch, executions_per_day, sampler_branches, state_transitions
from synthesis.synthesized import Synthesized


def log_bytes(events: float, message_bytes: float) -> float:
    return message_bytes + events * LOG_EVENT_OVERHEAD_BYTES


def express_memory_mb(definition_bytes: int, input_bytes: int, branches: int) -> int:
    """Billed memory: 50 MB + definition + execution data x Parallel/Map steps, in 64 MB chunks
    (the Step Functions pricing page's formula; each branch counted as a step, to err high)."""
    used = pricing.SFN_EXPRESS_BASE_MEMORY_MB + (
        definition_bytes + (input_bytes + EXECUTION_DATA_BYTES_PER_BRANCH * branches) * branches
    ) / (1024 * 1024)
    chunk = pricing.SFN_EXPRESS_MEMORY_CHUNK_MB
    return math.ceil(used / chunk) * chunk


def _express_items(
    synthesized: Synthesized, per_day: float, last_task_s: float, branches: list[Branch]
) -> list[Item]:
    last_offset = max(b.offset for b in branches)
    increment = pricing.SFN_EXPRESS_DURATION_INCREMENT_MS / 1000
    duration_s = math.ceil((last_offset + last_task_s) / increment) * increment
    definition_bytes = len(synthesized.state_machine.definition.encode())
    input_bytes = len(json.dumps(synthesized.rule_input("2026-11-22T00:00:00Z")))
    memory_mb = express_memory_mb(definition_bytes, input_bytes, len(branches))
    gb_seconds = per_day * duration_s * memory_mb / 1024
    gb_hours_month = gb_seconds * DAYS_PER_MONTH / 3600
    duration_usd = pricing.tiered_cost(gb_hours_month, pricing.SFN_EXPRESS_GB_HOUR_TIERS) / DAYS_PER_MONTH
    return [
        Item(
            "Step Functions Express requests",
            ORCHESTRATION,
            per_day,
            "executions",
            per_day * pricing.SFN_EXPRESS_REQUEST.usd,
        ),
        Item(
            "Step Functions Express duration",
            ORCHESTRATION,
            gb_seconds,
            "GB-s",
            duration_usd,
            f"{duration_s:.1f} s per execution (last branch at {last_offset} s + its task) x {memory_mb} MB "
            f"billed (50 MB + {definition_bytes / 1024:.0f} KiB definition + payloads, in 64 MB chunks)",
        ),
    ]


def standard_items(definition: Mapping[str, Any], per_day: float, note: str = "") -> list[Item]:
    transitions = state_transitions(definition["States"], definition["StartAt"])
    return [
        Item(
            "Step Functions Standard state transitions",
            ORCHESTRATION,
            transitions * per_day,
            "transitions",
            transitions * per_day * pricing.SFN_STANDARD_TRANSITION.usd,
            f"{transitions} per execution, counted from the ASL (one per state entered){note}",
        )
    ]


def lambda_items(
    collector: str, invocations: float, duration_ms: float, memory_mb: int, architecture: str
) -> list[Item]:
    increment = pricing.LAMBDA_DURATION_INCREMENT_MS
    billed_ms = math.ceil(duration_ms / increment) * increment
    gb_seconds = invocations * billed_ms / 1000 * memory_mb / 1024
    return [
        Item(
            f"Lambda requests ({collector})",
            COMPUTE,
            invocations,
            "invocations",
            invocations * pricing.LAMBDA_REQUEST.usd,
        ),
        Item(
            f"Lambda compute ({collector})",
            COMPUTE,
            gb_seconds,
            "GB-s",
            gb_seconds * pricing.LAMBDA_GB_SECOND[architecture].usd,
            f"{billed_ms:.0f} ms billed x {memory_mb} MB {architecture}",
        ),
    ]


def platform_log(logging_config: Mapping[str, Any]) -> tuple[str, int, int]:
    """(kind, bytes, events) the Lambda platform logs per invocation under a LoggingConfig."""
    if logging_config.get("LogFormat", "Text") != "JSON":
        kind = "Text"
    elif logging_config.get("SystemLogLevel", "INFO") in ("WARN", "ERROR", "FATAL"):
        kind = "JSON>=WARN"
    else:
        kind = "JSON"
    return (kind, *LAMBDA_PLATFORM_LOG[kind])


def ingestion_items(
    collector: str,
    invocations: float,
    sample: SampleOutput,
    sink: SinkKind,
    retention_days: int,
    logging_config: Mapping[str, Any],
) -> list[Item]:
    kind, platform_bytes, platform_events = platform_log(logging_config)
    events = invocations * (sample.log_events + platform_events)
    handler_bytes = sample.log_bytes if sink is SinkKind.EMF else 0
    bytes_per_day = log_bytes(events, invocations * (handler_bytes + platform_bytes))
    gb = bytes_per_day / BYTES_PER_GB
    what = "EMF documents" if sink is SinkKind.EMF else "no EMF (api sink)"
    platform = (
        "no platform lines (JSON, system level WARN)" if not platform_events else f"{kind} platform lines"
    )
    items = [
        Item(
            f"Logs ingestion ({collector})",
            INGESTION,
            gb,
            "GB",
            gb * pricing.LOGS_INGESTION_GB.usd,
            f"{bytes_per_day / invocations:.0f} B per sample: {what} {handler_bytes} B measured + "
            f"{platform} {platform_bytes} B + {LOG_EVENT_OVERHEAD_BYTES} B per event",
        ),
        Item(
            f"Logs storage ({collector})",
            INGESTION,
            gb * retention_days,
            "GB stored",
            gb * retention_days * pricing.LOGS_STORAGE_GB_MONTH.usd / DAYS_PER_MONTH,
            f"{retention_days}-day retention, uncompressed size (an upper bound)",
        ),
    ]
    if sink is SinkKind.API:
        calls = invocations * sample.put_metric_data_calls()
        items.append(
            Item(
                f"PutMetricData ({collector})",
                INGESTION,
                calls,
                "requests",
                calls * pricing.PUT_METRIC_DATA_REQUEST.usd,
                f"{sample.datums} datums per sample, up to 1,000 per call",
            )
        )
    return items


def dimension_cardinality(
    dimension: str, spec: MetricSpec, settings: Settings, clusters: int, services_per_cluster: int
) -> int:
    """How many values `dimension` takes for `spec` in this deployment."""
    if dimension == cat.CLUSTER_NAME:
        return clusters if settings.discover_clusters else len(settings.ecs_clusters)
    if dimension == cat.SERVICE_NAME:
        return services_per_cluster if settings.ecs_service_metrics else 0
    if dimension == cat.STATE:
        return len(cat.INSTANCE_STATES if spec.group is Group.EC2 else cat.VOLUME_STATES)
    if dimension == cat.INSTANCE_ID:
        return len(settings.watch_instance_ids)
    if dimension == cat.COLLECTOR:
        return 1  # each collector publishes its own health metrics under its own name
    raise EstimateError(f"the cost model does not know how many values dimension {dimension} takes")


def metric_streams(
    collectors: Mapping[Collector, Settings],
    clusters: int,
    services_per_cluster: int,
    events_mode: bool = False,
) -> dict[str, int]:
    """Distinct metric streams (name + dimension values) each catalogue metric publishes."""
    counts: dict[str, int] = {}
    for collector, settings in collectors.items():
        for spec in metrics_of(collector):
            if spec.group is Group.EC2_EVENTS and not events_mode:
                continue  # StateRepairs: the reconcile job of events mode only
            streams = 1
            for dimension in spec.dimensions:
                streams *= dimension_cardinality(dimension, spec, settings, clusters, services_per_cluster)
            if streams:
                counts[spec.name] = counts.get(spec.name, 0) + streams
    return counts


EVENTS_PACKAGE = "ec2_state_events."
EVENTS_ENVIRONMENT = {"EC2_STATE_SOURCE", "STATE_TABLE_NAME"}


def events_items(
    synthesized: Synthesized, options: Options, per_day: float, branches: list[Branch]
) -> list[Item]:
    """Events mode's table, event function and reconcile job (cost.events_mode's request model)."""
    from cost import events_mode

    ec2 = [b for b in branches if synthesized.functions[b.function].handler.startswith("ec2_ebs_state.")]
    period = max(1, round(60 / len(ec2))) if ec2 else 60
    minutes = next(
        (
            int(p["ScheduleExpression"].split("(")[1].split()[0])
            for lid, p in synthesized.event_rules().items()
            if "ScheduleExpression" in p
        ),
        10,
    )
    scenario = events_mode.Scenario(options.ec2_resources, options.daily_churn, period, minutes)
    cost = events_mode.events_cost(scenario)
    detail = (
        f"{options.ec2_resources:,} instances + volumes, {options.daily_churn:.0%} daily churn; {cost.note}"
    )
    return [
        Item(f"{name} (events mode)", COMPUTE if "function" in name else INGESTION, 0, "", usd, detail)
        for name, usd in cost.items.items()
        if not name.startswith("Collector")  # the collector's own requests are counted above
    ]


def _account_items(
    synthesized: Synthesized, options: Options, settings_of: Mapping[Collector, Settings], events_mode: bool
) -> list[Item]:
    """What the account pays per month whatever the sampling: metrics, alarms, dashboard, key."""
    items: list[Item] = []
    streams = metric_streams(settings_of, options.clusters, options.services_per_cluster, events_mode)
    total_streams = sum(streams.values())
    items.append(
        monthly_item(
            "CloudWatch custom metrics",
            METRICS,
            total_streams,
            "metrics",
            pricing.tiered_cost(total_streams, pricing.CUSTOM_METRIC_MONTH_TIERS),
            ", ".join(f"{name} {n}" for name, n in streams.items()),
        )
    )
    alarms = [a for a in synthesized.alarms if not a.query]  # query alarms: their own item
    high = sum(1 for a in alarms if a.period < 60)
    items.append(
        monthly_item(
            "CloudWatch alarms",
            ALARMS,
            len(alarms),
            "alarms",
            high * pricing.ALARM_HIGH_RESOLUTION_MONTH.usd
            + (len(alarms) - high) * pricing.ALARM_STANDARD_MONTH.usd,
            f"{high} high-resolution (period < 60 s), {len(alarms) - high} standard",
        )
    )
    items += fleet_rule_and_board_items(synthesized, options)
    dashboards = len(synthesized.resources("AWS::CloudWatch::Dashboard"))
    items.append(
        monthly_item(
            "CloudWatch dashboard",
            FIXED,
            dashboards,
            "dashboards",
            dashboards * pricing.DASHBOARD_MONTH.usd,
            "free if the account has fewer than 3 other dashboards",
        )
    )
    keys = len(synthesized.resources("AWS::KMS::Key"))
    items.append(
        monthly_item(
            "KMS key (alarm topic)",
            FIXED,
            keys,
            "keys",
            keys * pricing.KMS_KEY_MONTH.usd,
            "rotation adds $1/month per rotated backing key from the second year",
        )
    )
    return items


def estimate(synthesized: Synthesized, options: Options) -> Estimate:
    """The itemized daily cost of the synthesized stack."""
    rule = synthesized.schedule_rule
    per_day = executions_per_day(rule["schedule"]) if rule["state"] == "ENABLED" else 0.0
    branches = sampler_branches(synthesized)
    functions = synthesized.functions
    retention = max(
        (int(p.get("RetentionInDays", 0)) for p in synthesized.resources("AWS::Logs::LogGroup").values()),
        default=0,
    )
    items: list[Item] = []
    durations: dict[str, float] = {}
    settings_of: dict[Collector, Settings] = {}
    samples: dict[str, dict[str, Any]] = {}
    functions_used: list[dict[str, Any]] = []
    collectors = {lid: spec for lid, spec in functions.items() if not spec.handler.startswith(EVENTS_PACKAGE)}
    for logical_id, spec in sorted(collectors.items()):
        collector = collector_of_handler(spec.handler)
        # Events mode publishes the same datums as poll mode, so the sample is measured polling
        # (moto has no state table for it); the table's own cost is itemized below.
        environment = {k: v for k, v in spec.environment.items() if k not in EVENTS_ENVIRONMENT}
        if options.sink:
            environment[env_names.METRICS_SINK] = options.sink
        settings = load_settings(environment, collector)
        settings_of[collector] = settings
        duration_ms = options.durations_ms.get(collector, COLLECTORS[collector].measured_duration_ms)
        durations[logical_id] = duration_ms
        per_minute = sum(1 for b in branches if b.function == logical_id)
        invocations = per_minute * per_day
        sample = measure_sample(
            spec.handler,
            tuple(sorted(environment.items())),
            options.clusters,
            options.services_per_cluster,
        )
        samples[collector.value] = {
            **asdict(sample),
            "per_minute": per_minute,
            "duration_ms": duration_ms,
            "sink": settings.sink.value,
        }
        functions_used.append(
            {
                "collector": collector.value,
                "invocations_per_day": invocations,
                "memory_mb": spec.memory_mb,
                "architecture": spec.architecture,
            }
        )
        items += lambda_items(collector.value, invocations, duration_ms, spec.memory_mb, spec.architecture)
        logging_config = synthesized.resources("AWS::Lambda::Function")[logical_id].get("LoggingConfig", {})
        samples[collector.value]["platform_log"] = platform_log(logging_config)[0]
        items += ingestion_items(
            collector.value, invocations, sample, settings.sink, retention, logging_config
        )
    machine = synthesized.state_machine
    last = max(branches, key=lambda b: b.offset)
    if machine.workflow_type == "EXPRESS":
        items[:0] = _express_items(synthesized, per_day, durations[last.function] / 1000, branches)
    else:
        items[:0] = standard_items(
            json.loads(machine.definition), per_day, "; a lost sample adds 1 for its Pass state"
        )
    items.append(
        Item(
            "EventBridge schedule",
            ORCHESTRATION,
            per_day,
            "events",
            per_day * pricing.EVENTBRIDGE_SCHEDULED_EVENT.usd,
        )
    )

    events_mode = bool(synthesized.resources("AWS::DynamoDB::Table"))
    if events_mode:
        items += events_items(synthesized, options, per_day, branches)
    items += _account_items(synthesized, options, settings_of, events_mode)
    items.append(
        Item("SNS alarm notifications", FIXED, 0, "publishes", 0.0, "a handful a month: under $0.01")
    )
    return Estimate(
        "this pipeline",
        items,
        {
            "clusters": options.clusters,
            "services_per_cluster": options.services_per_cluster,
            "workflow_type": machine.workflow_type,
            "executions_per_day": per_day,
            "branches": len(branches),
            "samples": samples,
            "functions": functions_used,
            "duration_ms_is_lower_bound": not options.durations_ms,
            "log_retention_days": retention,
            "free_tiers": "not applied",
            "region": pricing.REGION,
        },
    )
