"""The estimate: the template's usage and the measured samples, priced item by item (the items
themselves: cost.service_items per service, cost.account_items per account, events mode below)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from collector_core import env_names
from collector_core.catalogue import Collector
from collector_core.collectors import COLLECTORS, collector_of_handler
from collector_core.settings import Settings, load_settings
from cost import pricing
from cost.account_items import account_items
from cost.items import (
    COMPUTE,
    FIXED,
    INGESTION,
    ORCHESTRATION,
    Estimate,
    Item,
    Options,
)
from cost.measure import measure_sample
from cost.service_items import express_items, ingestion_items, lambda_items, platform_log, standard_items
from cost.usage import Branch, executions_per_day, sampler_branches
from local.synthesized import Synthesized

EC2 = Collector.EC2_EBS_STATE

# Events mode's own functions (not collectors) and the variables that point a collector at its table.
EVENTS_PACKAGE = "ec2_state_events."
EVENTS_ENVIRONMENT = {env_names.EC2_STATE_SOURCE, env_names.STATE_TABLE_NAME}


def events_items(
    synthesized: Synthesized, options: Options, per_day: float, branches: list[Branch]
) -> list[Item]:
    """Events mode's table, event function and reconcile job (cost.events_mode's request model)."""
    from cost import events_mode

    ec2 = [b for b in branches if collector_of_handler(synthesized.functions[b.function].handler) is EC2]
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
        items[:0] = express_items(synthesized, per_day, durations[last.function] / 1000, branches)
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
    items += account_items(synthesized, options, settings_of, events_mode)
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
