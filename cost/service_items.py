"""Each AWS service's line items from usage numbers: Step Functions (Express duration and
requests, Standard transitions), Lambda requests and compute, CloudWatch Logs ingestion and
storage, PutMetricData. The estimate (cost.model) and the original design (cost.original) share them."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from collector_core.settings import SinkKind
from cost import pricing
from cost.items import (
    BYTES_PER_GB,
    COMPUTE,
    DAYS_PER_MONTH,
    EXECUTION_DATA_BYTES_PER_BRANCH,
    INGESTION,
    LAMBDA_PLATFORM_LOG,
    LOG_EVENT_OVERHEAD_BYTES,
    ORCHESTRATION,
    Item,
)
from cost.measure import SampleOutput
from cost.usage import Branch, state_transitions
from local.synthesized import Synthesized


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


def express_items(
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
