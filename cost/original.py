"""The design this project grows from (AWS Compute Blog), priced by the same model."""

from __future__ import annotations

from typing import Any

from collector_core.settings import SinkKind
from cost import pricing
from cost.items import (
    METRICS,
    ORIGINAL_ARCHITECTURE,
    ORIGINAL_HANDLER_DURATION_MS,
    ORIGINAL_MEMORY_MB,
    ORIGINAL_METRICS,
    ORIGINAL_PERIOD_SECONDS,
    Estimate,
    monthly_item,
)
from cost.measure import (
    SampleOutput,
)
from cost.service_items import ingestion_items, lambda_items, standard_items
from cost.usage import executions_per_day


def original_asl(period_seconds: int) -> dict[str, Any]:
    """The original design's state machine: one Parallel, a hand-written Wait+Task branch per sample."""
    branches = [
        {
            "StartAt": f"Wait {offset}",
            "States": {
                f"Wait {offset}": {"Type": "Wait", "Seconds": offset, "Next": f"Collect {offset}"},
                f"Collect {offset}": {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:collect",
                    "End": True,
                },
            },
        }
        for offset in range(0, 60, period_seconds)
    ]
    return {
        "StartAt": "Sample",
        "States": {"Sample": {"Type": "Parallel", "Branches": branches, "End": True}},
    }


def estimate_original(
    period_seconds: int = ORIGINAL_PERIOD_SECONDS, duration_ms: float | None = None
) -> Estimate:
    """The AWS Compute Blog design, sampling every `period_seconds`."""
    per_day = executions_per_day("rate(1 minute)")
    invocations = per_day * 60 // period_seconds
    duration = ORIGINAL_HANDLER_DURATION_MS if duration_ms is None else duration_ms
    items = standard_items(original_asl(period_seconds), per_day)
    items += lambda_items("collector", invocations, duration, ORIGINAL_MEMORY_MB, ORIGINAL_ARCHITECTURE)
    sample = SampleOutput(log_bytes=0, log_events=0, datums=ORIGINAL_METRICS)
    # The original functions kept Lambda's default text logs.
    items += ingestion_items("collector", invocations, sample, SinkKind.API, 0, {"LogFormat": "Text"})
    items = [i for i in items if not i.name.startswith("Logs storage")]  # the blog set no retention
    items.append(
        monthly_item(
            "CloudWatch custom metrics",
            METRICS,
            ORIGINAL_METRICS,
            "metrics",
            ORIGINAL_METRICS * pricing.CUSTOM_METRIC_MONTH.usd,
            "4 metrics of one cluster",
        )
    )
    return Estimate(
        f"original design, {period_seconds} s sampling",
        items,
        {
            "period_seconds": period_seconds,
            "invocations_per_day": invocations,
            "duration_ms": duration,
            "memory_mb": ORIGINAL_MEMORY_MB,
            "architecture": ORIGINAL_ARCHITECTURE,
            "put_metric_data_calls_per_sample": 1,
        },
    )
