"""Which alarms would have gone into ALARM: CloudWatch's M-out-of-N evaluation, offline.

moto stores alarms but never evaluates them. This follows CloudWatch's documented rules
("Evaluating an alarm"): data points are aggregated into periods aligned to the period length;
at each evaluation the most recent N periods (EvaluationPeriods) are examined; the alarm is in
ALARM when at least M of them (DatapointsToAlarm) breach the threshold. Periods without data are
treated as TreatMissingData says: `breaching`, `notBreaching`, `ignore` (the state is kept) or
`missing` (only the periods with data count; none at all is INSUFFICIENT_DATA).

Only windows that lie wholly inside the observed run are evaluated, so a short run neither invents
missing data before it started nor passes judgement on an alarm that needs more time than it had.

A Metrics Insights alarm (`SELECT MIN(PendingTask) FROM SCHEMA("ns", ClusterName) GROUP BY
ClusterName`) is evaluated as CloudWatch documents for multi-time-series alarms: each series the
query returns is a contributor with its own state, and the alarm is in ALARM while any contributor
is ("Create a CloudWatch alarm based on a Metrics Insights query"). SCHEMA selects the metrics with
exactly the listed dimensions; a series that appears mid-run (a new cluster) simply joins.

In a monitoring account, a source account's series carry the account as a label, not a dimension:
SCHEMA does not list it and GROUP BY AWS.AccountId reads it ("Query components and syntax in
CloudWatch Metrics Insights"). The emulator's stand-in for OAM stores that label as a dimension
named ACCOUNT_LABEL, so here it is left out of the SCHEMA match and read by GROUP BY.
"""

from __future__ import annotations

import operator
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from collector_core.insights import ACCOUNT_LABEL
from stacks.alarm_catalogue import AlarmSpec, Missing
from synthesis.synthesized import parse_query

Series = dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[datetime, float]]]

ALARM, OK, INSUFFICIENT = "ALARM", "OK", "INSUFFICIENT_DATA"

_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}
_STATISTICS: dict[str, Callable[[Sequence[float]], float]] = {
    "Maximum": max,
    "Minimum": min,
    "Average": statistics.fmean,
    "Sum": sum,
    "SampleCount": len,
}


@dataclass(frozen=True)
class Verdict:
    """How one alarm fared over the run."""

    alarm: AlarmSpec
    state: str  # after the last evaluation: ALARM, OK, INSUFFICIENT_DATA, or "not evaluated"
    first_alarm: datetime | None
    evaluations: int
    window_seconds: int
    # A query alarm's contributors: the GROUP BY values ("web") -> that series' verdict.
    contributors: dict[str, Verdict] = field(default_factory=dict)

    @property
    def would_alarm(self) -> bool:
        return self.first_alarm is not None


def evaluate(
    alarm: AlarmSpec, points: Sequence[tuple[datetime, float]], start: datetime, end: datetime
) -> Verdict:
    """Evaluate `alarm` at every period boundary in [start, end] whose whole window was observed.

    `points` are the metric's raw data points (time, value) from the run.
    """
    period = timedelta(seconds=alarm.period)
    window = period * alarm.evaluation_periods
    compare = _COMPARISONS[alarm.comparison]
    aggregate = _STATISTICS[alarm.statistic]
    buckets = _bucket(points, alarm.period)
    state, first_alarm, evaluations = "not evaluated", None, 0
    evaluation_time = _align_up(start + window, alarm.period)
    while evaluation_time <= end:
        results: list[bool | None] = []
        for k in range(alarm.evaluation_periods, 0, -1):
            bucket_start = evaluation_time - period * k
            values = buckets.get(bucket_start)
            results.append(compare(aggregate(values), alarm.threshold) if values else None)
        state = _state(results, alarm, state)
        evaluations += 1
        if state == ALARM and first_alarm is None:
            first_alarm = evaluation_time
        evaluation_time += period
    return Verdict(alarm, state, first_alarm, evaluations, int(window.total_seconds()))


def evaluate_alarm(alarm: AlarmSpec, series: Series, start: datetime, end: datetime) -> Verdict:
    """`alarm` on the run's `series` (metric name, sorted dimensions) -> points: the one series a
    metric alarm names, or every contributor a query alarm's GROUP BY returns."""
    if not alarm.query:
        key = (alarm.metric_name, tuple(sorted((k, str(v)) for k, v in alarm.dimensions.items())))
        return evaluate(alarm, series.get(key, []), start, end)
    query = parse_query(alarm.query)
    groups: dict[str, list[tuple[datetime, float]]] = {}
    for (name, dims), points in series.items():
        values = dict(dims)
        if name != query.metric_name or set(values) - {ACCOUNT_LABEL} != set(query.schema):
            continue
        label = ",".join(values[d] for d in query.group_by) or "*"
        groups.setdefault(label, []).extend(points)
    contributors = {
        label: evaluate(alarm, sorted(points), start, end) for label, points in sorted(groups.items())
    }
    verdicts = list(contributors.values())
    alarm_times = [v.first_alarm for v in verdicts if v.first_alarm is not None]
    states = {v.state for v in verdicts}
    state = next((s for s in (ALARM, OK, INSUFFICIENT) if s in states), "not evaluated")
    window = alarm.period * alarm.evaluation_periods
    return Verdict(
        alarm,
        state,
        min(alarm_times) if alarm_times else None,
        max((v.evaluations for v in verdicts), default=0),
        window,
        contributors,
    )


def _state(results: list[bool | None], alarm: AlarmSpec, previous: str) -> str:
    missing = alarm.missing
    if missing == Missing.BREACHING:
        judged = [True if r is None else r for r in results]
    elif missing == Missing.NOT_BREACHING:
        judged = [False if r is None else r for r in results]
    else:
        judged = [r for r in results if r is not None]
        if not judged:
            return previous if missing == Missing.IGNORE and previous != "not evaluated" else INSUFFICIENT
    return ALARM if sum(judged) >= alarm.datapoints_to_alarm else OK


def _bucket(points: Sequence[tuple[datetime, float]], period: int) -> dict[datetime, list[float]]:
    buckets: dict[datetime, list[float]] = {}
    for when, value in points:
        buckets.setdefault(_align_down(when, period), []).append(value)
    return buckets


def _align_down(when: datetime, period: int) -> datetime:
    epoch = int(when.timestamp())
    return datetime.fromtimestamp(epoch - epoch % period, when.tzinfo)


def _align_up(when: datetime, period: int) -> datetime:
    aligned = _align_down(when, period)
    return (
        aligned
        if aligned == when.replace(microsecond=0) and when.microsecond == 0
        else aligned + timedelta(seconds=period)
    )
