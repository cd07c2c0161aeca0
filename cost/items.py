"""The bill's shape: items, estimates, and the constants every part of the model shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from collector_core.catalogue import Collector

REPO_ROOT = Path(__file__).resolve().parents[1]

DAYS_PER_MONTH = 730 / 24  # AWS bills a month as 730 hours
SECONDS_PER_DAY = 86_400
BYTES_PER_GB = 1e9  # decimal GB: the larger count of the two readings, so never an underestimate

# The original design's handler (one DescribeClusters + one PutMetricData), timed the way each
# collector's `measured_duration_ms` was (collector_core.collectors).
ORIGINAL_HANDLER_DURATION_MS = 2.1
# What a real invocation adds to the lower bound: one to a few HTTPS round trips to regional
# endpoints (~10-30 ms each from Lambda). Shown as a sensitivity line, never added silently.
SENSITIVITY_EXTRA_MS = 25.0

# What the Lambda platform writes into the function's log group per invocation, by log format.
# Text: "START RequestId: <36-char id> Version: $LATEST" (70 B), "END RequestId: <id>" (51 B),
# "REPORT RequestId: <id>\tDuration: 2.15 ms\tBilled Duration: 3 ms\tMemory Size: 256 MB\tMax
# Memory Used: 81 MB\t" (135 B). JSON, system log level INFO or DEBUG: platform.start (~125 B) and
# platform.report (~225 B) records. JSON at WARN and above: none.
LAMBDA_PLATFORM_LOG: dict[str, tuple[int, int]] = {"Text": (256, 3), "JSON": (350, 2), "JSON>=WARN": (0, 0)}
# PutLogEvents counts each event as its UTF-8 message plus 26 bytes; counted as billed here too.
LOG_EVENT_OVERHEAD_BYTES = 26
# Express memory estimate: what each branch adds to the execution data (the branch's Output
# object, ~60 B, rounded up), and the rule's input.
EXECUTION_DATA_BYTES_PER_BRANCH = 100
# The original design: one cluster, 4 metrics in one PutMetricData call per sample.
ORIGINAL_METRICS = 4
ORIGINAL_MEMORY_MB = 128
ORIGINAL_ARCHITECTURE = "x86_64"
ORIGINAL_PERIOD_SECONDS = 5
DEFAULT_CLUSTERS = 3
DEFAULT_SERVICES_PER_CLUSTER = 5

# Which part of the bill an item belongs to. The pipeline's own cost is the first three.
ORCHESTRATION, COMPUTE, INGESTION, METRICS, ALARMS, FIXED = (
    "orchestration",
    "compute",
    "ingestion",
    "metrics",
    "alarms",
    "fixed",
)
PIPELINE_CATEGORIES = (ORCHESTRATION, COMPUTE, INGESTION)


class EstimateError(RuntimeError):
    """The inputs cannot be estimated; the message says why."""


@dataclass(frozen=True)
class Item:
    """One line of the bill."""

    name: str
    category: str
    quantity_per_day: float
    unit: str
    usd_per_day: float
    detail: str = ""

    @property
    def usd_per_month(self) -> float:
        return self.usd_per_day * DAYS_PER_MONTH


@dataclass
class Estimate:
    label: str
    items: list[Item]
    assumptions: dict[str, Any] = field(default_factory=dict)

    def total(self, categories: Sequence[str] | None = None) -> float:
        return sum(i.usd_per_day for i in self.items if categories is None or i.category in categories)

    @property
    def pipeline_usd_per_day(self) -> float:
        return self.total(PIPELINE_CATEGORIES)

    @property
    def total_usd_per_day(self) -> float:
        return self.total()

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "pipeline_usd_per_day": round(self.pipeline_usd_per_day, 6),
            "total_usd_per_day": round(self.total_usd_per_day, 6),
            "pipeline_usd_per_month": round(self.pipeline_usd_per_day * DAYS_PER_MONTH, 4),
            "total_usd_per_month": round(self.total_usd_per_day * DAYS_PER_MONTH, 4),
            "breakdown": [
                {
                    **asdict(i),
                    "usd_per_day": round(i.usd_per_day, 6),
                    "usd_per_month": round(i.usd_per_month, 4),
                }
                for i in self.items
            ],
            "assumptions": self.assumptions,
        }


@dataclass(frozen=True)
class Options:
    clusters: int = DEFAULT_CLUSTERS
    services_per_cluster: int = DEFAULT_SERVICES_PER_CLUSTER
    sink: str | None = None  # override the template's METRICS_SINK
    durations_ms: Mapping[Collector, float] = field(default_factory=dict)
    # The live board (tools/board.py): hours a day it runs, watched instances, seconds a refresh.
    board_hours_per_day: float = 0.0
    board_instances: int = 0
    board_refresh_seconds: float = 5.0
    # Events mode: the fleet the state table follows and the share of it replaced per day.
    ec2_resources: int = 1000
    daily_churn: float = 0.1


def monthly_item(
    name: str, category: str, count: float, unit: str, usd_per_month: float, detail: str
) -> Item:
    return Item(name, category, count, unit, usd_per_month / DAYS_PER_MONTH, detail)
