"""The alarm record and the builders every alarm of the catalogue goes through.

`AlarmSpec` is one CloudWatch alarm as plain data: the catalogue (`stacks.alarm_catalogue`,
`stacks.pipeline_alarms`) builds them, `stacks.constructs.alarms_construct` creates them, and the
template reader and the tests read them back. An alarm on a catalogue metric is refused unless its
dimensions are those the metric is published with; an alarm on an AWS metric names its one dimension
through `collector_core.aws_metrics`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypedDict, Unpack

from collector_core.aws_metrics import AwsMetric
from collector_core.catalogue import MetricSpec
from stacks.config_model import HIGH_RESOLUTION_PERIOD

# The period of alarms on pipeline-health and AWS metrics (cheaper than a high-resolution alarm).
STANDARD_PERIOD = 60


class Comparison(StrEnum):
    """CloudWatch's static-threshold comparison operators."""

    GREATER = "GreaterThanThreshold"
    GREATER_OR_EQUAL = "GreaterThanOrEqualToThreshold"
    LESS = "LessThanThreshold"
    LESS_OR_EQUAL = "LessThanOrEqualToThreshold"


class Missing(StrEnum):
    """CloudWatch's TreatMissingData values."""

    BREACHING = "breaching"
    NOT_BREACHING = "notBreaching"
    IGNORE = "ignore"
    MISSING = "missing"  # CloudWatch's default


# CloudFormation Metadata key under which each alarm resource carries its catalogue id, so what is
# read back from a template (or a deployed stack) maps to the catalogue without parsing names.
ALARM_ID_METADATA = "highres:alarmId"
_RUNBOOK = " Runbook: "


@dataclass(frozen=True, kw_only=True)
class AlarmSpec:
    """One CloudWatch alarm, as the catalogue defines it and as a template holds it; `runbook` is
    what the on-call person reads first. The catalogue, the template reader (`local.synthesized`)
    and the tests all use this one record."""

    alarm_id: str
    namespace: str
    metric_name: str
    dimensions: dict[str, str]
    statistic: str
    period: int
    comparison: Comparison
    threshold: float
    evaluation_periods: int
    datapoints_to_alarm: int
    missing: Missing
    summary: str
    runbook: str
    # The deployed AlarmName (the stack's prefix, then the id); empty until a stack names it.
    name: str = field(default="", compare=False)
    catalogue_metric: MetricSpec | None = field(default=None, compare=False)
    # A Metrics Insights query (`SELECT ... GROUP BY ...`): the alarm watches every series it
    # returns, each a contributor; `dimensions` is then empty and `statistic` the query's function.
    query: str = ""

    @property
    def group_by(self) -> tuple[str, ...]:
        """The dimensions a query alarm groups by: each combination of values is a contributor."""
        match = re.search(r"\bGROUP\s+BY\s+(.+)$", self.query, re.IGNORECASE)
        return tuple(d.strip() for d in match.group(1).split(",")) if match else ()

    @property
    def description(self) -> str:
        """The AlarmDescription: what happened, then the runbook."""
        return f"{self.summary}{_RUNBOOK}{self.runbook}"

    @staticmethod
    def split_description(description: str) -> tuple[str, str]:
        """(summary, runbook) of an AlarmDescription that `description` wrote."""
        summary, _, runbook = description.partition(_RUNBOOK)
        return summary, runbook


class _CatalogueAlarm(TypedDict):
    """What every alarm on a catalogue metric states; `fast` and `slow` add the timing."""

    alarm_id: str
    metric: MetricSpec
    namespace: str
    dims: dict[str, str]
    statistic: str
    comparison: Comparison
    threshold: float
    summary: str
    runbook: str


def fast(*, periods: int, **alarm: Unpack[_CatalogueAlarm]) -> AlarmSpec:
    """A high-resolution (10 s) alarm on a one-second account metric; missing data is not breaching
    because the pipeline alarms already page when samples stop."""
    return on_catalogue_metric(
        period=HIGH_RESOLUTION_PERIOD, periods=periods, missing=Missing.NOT_BREACHING, **alarm
    )


def slow(*, minutes: int, missing: Missing, **alarm: Unpack[_CatalogueAlarm]) -> AlarmSpec:
    """A one-minute alarm on a pipeline-health metric (cheaper than a high-resolution alarm)."""
    return on_catalogue_metric(period=STANDARD_PERIOD, periods=minutes, missing=missing, **alarm)


def on_catalogue_metric(
    *, period: int, periods: int, missing: Missing, **alarm: Unpack[_CatalogueAlarm]
) -> AlarmSpec:
    """An alarm on a catalogue metric, refused unless its dimensions are those it is published with."""
    metric, dims = alarm["metric"], alarm["dims"]
    check_dimensions(metric, dims)
    return AlarmSpec(
        alarm_id=alarm["alarm_id"],
        namespace=alarm["namespace"],
        metric_name=metric.name,
        dimensions=dims,
        statistic=alarm["statistic"],
        period=period,
        comparison=alarm["comparison"],
        threshold=alarm["threshold"],
        evaluation_periods=periods,
        datapoints_to_alarm=periods,
        missing=missing,
        summary=alarm["summary"],
        runbook=alarm["runbook"],
        catalogue_metric=metric,
    )


def check_dimensions(spec: MetricSpec, dims: dict[str, str]) -> None:
    if tuple(dims) != spec.dimensions:
        raise ValueError(f"{spec.name} is published with dimensions {spec.dimensions}, not {tuple(dims)}")


def on_aws_metric(
    *,
    alarm_id: str,
    metric: AwsMetric,
    resource: str,
    period: int,
    periods: int,
    summary: str,
    runbook: str,
    statistic: str = "Sum",
) -> AlarmSpec:
    """An alarm on an AWS metric of one of the pipeline's resources (`resource`: the dimension's
    value): the statistic is at least 1 in each of `periods` periods; no data is no failure."""
    return AlarmSpec(
        alarm_id=alarm_id,
        namespace=metric.namespace,
        metric_name=metric.name,
        dimensions={metric.dimension: resource},
        statistic=statistic,
        period=period,
        comparison=Comparison.GREATER_OR_EQUAL,
        threshold=1,
        evaluation_periods=periods,
        datapoints_to_alarm=periods,
        missing=Missing.NOT_BREACHING,
        summary=summary,
        runbook=runbook,
    )
