"""Every alarm the stack creates, as plain data built from the metric catalogue.

Alarms on the pipeline's own metrics take their namespace, name and dimension names from
`collector_core.catalogue`, so they cannot watch a metric no collector emits. Sample metrics are never
alarmed on with Sum: Express executions started by EventBridge are at-least-once, and a duplicated
sample must not look like twice the tasks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypedDict, Unpack

from collector_core import catalogue as cat
from collector_core.catalogue import Collector, MetricSpec
from stacks.config_model import HIGH_RESOLUTION_PERIOD, DeploymentConfig

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


@dataclass(frozen=True)
class AwsMetricRefs:
    """Dimension values of AWS-published metrics (CloudFormation tokens at synth time)."""

    state_machine_arn: str
    function_names: dict[Collector, str]
    rule_name: str
    # Events mode: the event function's and the reconcile job's names.
    event_function_name: str | None = None
    reconcile_function_name: str | None = None


# Metrics Insights aggregates every query to one-minute granularity ("Metrics Insights does not
# support high-resolution data ... the output is aggregated at one-minute granularity", Metrics
# Insights quotas, https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-limits.html),
# so 60 s is the shortest period a query alarm can usefully take.
FLEET_PERIOD = 60
# The query functions matching the statistics the per-cluster alarms use.
_QUERY_FUNCTIONS = {
    "Minimum": "MIN",
    "Maximum": "MAX",
    "Average": "AVG",
    "Sum": "SUM",
    "SampleCount": "COUNT",
}


@dataclass(frozen=True)
class ClusterAlarmKind:
    """One kind of per-cluster alarm; the per-cluster and the fleet alarm are both built from it."""

    kind_id: str  # the per-cluster alarm is "<kind_id>-<cluster>"
    fleet_id: str  # the fleet alarm's id
    metric: MetricSpec
    statistic: str
    comparison: Comparison
    threshold: float
    seconds: int  # how long the condition must last
    summary: str  # with "{cluster}"
    runbook: str


def cluster_alarm_kinds(config: DeploymentConfig) -> list[ClusterAlarmKind]:
    """The per-cluster alarm kinds this configuration asks for, in the order they are created."""
    th = config.alarms
    kinds = [
        ClusterAlarmKind(
            "EcsTasksStuckPending",
            "FleetTasksStuckPending",
            cat.PENDING_TASK,
            "Minimum",
            Comparison.GREATER,
            0,
            th.pending_stuck_seconds,
            f"Tasks in {{cluster}} have been PENDING for {th.pending_stuck_seconds} s without a break.",
            "Look at the cluster's stopped tasks and service events: usually no capacity (container "
            "instances or Fargate quota), an image that cannot be pulled, or no free ENIs in the "
            "subnet.",
        )
    ]
    if th.running_tasks_min is not None:
        kinds.append(
            ClusterAlarmKind(
                "EcsRunningTasksLow",
                "FleetRunningTasksLow",
                cat.RUNNING_TASK,
                "Maximum",
                Comparison.LESS,
                th.running_tasks_min,
                30,
                f"Fewer than {th.running_tasks_min} tasks running in {{cluster}} for 30 s.",
                "Check the services' events and recently stopped tasks (exit codes, health checks); "
                "scale out or roll back the last deployment.",
            )
        )
    if th.container_instances_min is not None:
        kinds.append(
            ClusterAlarmKind(
                "EcsContainerInstancesLow",
                "FleetContainerInstancesLow",
                cat.REGISTERED_CONTAINER_INSTANCES,
                "Maximum",
                Comparison.LESS,
                th.container_instances_min,
                30,
                f"Fewer than {th.container_instances_min} container instances registered in {{cluster}}.",
                "Check the Auto Scaling group behind the capacity provider and the ECS agent on the "
                "instances (agent disconnected, instance draining or terminated).",
            )
        )
    return kinds


def fleet_query(function: str, metric: MetricSpec, namespace: str) -> str:
    """`SELECT MIN(PendingTask) FROM SCHEMA("ns", ClusterName) GROUP BY ClusterName`: one series per
    cluster that has the metric, whenever the cluster was created."""
    _check_dimensions(metric, {cat.CLUSTER_NAME: ""})
    return (
        f'SELECT {function}({metric.name}) FROM SCHEMA("{namespace}", {cat.CLUSTER_NAME}) '
        f"GROUP BY {cat.CLUSTER_NAME}"
    )


def fleet_alarms(config: DeploymentConfig) -> list[AlarmSpec]:
    """One Metrics Insights alarm per per-cluster alarm kind, over every cluster at once.

    Per-cluster alarms need names at synth; with `clusters: "*"` a cluster created later has
    metrics but no alarm. A query alarm's `GROUP BY ClusterName` makes each cluster a contributor
    as soon as its metric exists. It is coarser (one-minute periods, so a condition must hold for
    whole minutes) and limited (200 query alarms per account and region, 500 series per query,
    100 contributors in ALARM), so it complements the 10-second per-cluster alarms. Listed
    clusters all have their own alarms: no fleet alarm is needed then.
    """
    if not (config.fleet_alarms and config.all_clusters and Collector.ECS_COUNTS in config.collectors):
        return []
    specs = []
    for kind in cluster_alarm_kinds(config):
        periods = max(1, -(-kind.seconds // FLEET_PERIOD))  # whole minutes, rounded up
        specs.append(
            AlarmSpec(
                alarm_id=kind.fleet_id,
                namespace=config.namespace,
                metric_name=kind.metric.name,
                dimensions={},
                statistic=kind.statistic,
                period=FLEET_PERIOD,
                comparison=kind.comparison,
                threshold=kind.threshold,
                evaluation_periods=periods,
                datapoints_to_alarm=periods,
                missing=Missing.NOT_BREACHING,
                summary=kind.summary.format(cluster="a cluster")
                + f" Any cluster the query returns, judged in one-minute periods ({periods} min).",
                runbook=kind.runbook,
                catalogue_metric=kind.metric,
                query=fleet_query(_QUERY_FUNCTIONS[kind.statistic], kind.metric, config.namespace),
            )
        )
    return specs


def account_alarms(config: DeploymentConfig) -> list[AlarmSpec]:
    """Alarms on the account's state: what the one-second metrics exist to catch."""
    ns = config.namespace
    specs: list[AlarmSpec] = []
    ecs_clusters = config.clusters_with_alarms if Collector.ECS_COUNTS in config.collectors else ()
    for cluster in ecs_clusters:
        for kind in cluster_alarm_kinds(config):
            specs.append(
                _fast(
                    alarm_id=f"{kind.kind_id}-{cluster}",
                    metric=kind.metric,
                    namespace=ns,
                    dims={cat.CLUSTER_NAME: cluster},
                    statistic=kind.statistic,
                    comparison=kind.comparison,
                    threshold=kind.threshold,
                    periods=kind.seconds // HIGH_RESOLUTION_PERIOD,
                    summary=kind.summary.format(cluster=cluster),
                    runbook=kind.runbook,
                )
            )
    if Collector.EC2_EBS_STATE not in config.collectors:
        return specs
    specs += [
        _fast(
            alarm_id="EbsVolumesInError",
            metric=cat.VOLUME_COUNT,
            namespace=ns,
            dims={cat.STATE: "error"},
            statistic="Maximum",
            comparison=Comparison.GREATER,
            threshold=0,
            periods=3,
            summary="At least one EBS volume is in the error state.",
            runbook=(
                "The volume's data may be unrecoverable: find it with `aws ec2 describe-volumes --filters "
                "Name=status,Values=error`, restore from its latest snapshot and replace it."
            ),
        ),
        _fast(
            alarm_id="EbsVolumesImpaired",
            metric=cat.IMPAIRED_VOLUMES,
            namespace=ns,
            dims={},
            statistic="Maximum",
            comparison=Comparison.GREATER,
            threshold=0,
            periods=3,
            summary="At least one EBS volume's status checks report impaired.",
            runbook=(
                "Run `aws ec2 describe-volume-status` for the impaired volume; I/O may be disabled: check "
                "the instance's file system, then enable I/O or restore from a snapshot."
            ),
        ),
        _fast(
            alarm_id="Ec2InstancesImpaired",
            metric=cat.IMPAIRED_INSTANCES,
            namespace=ns,
            dims={},
            statistic="Maximum",
            comparison=Comparison.GREATER,
            threshold=0,
            periods=3,
            summary="At least one EC2 instance fails its instance or system status check.",
            runbook=(
                "System check: stop and start the instance to move it to healthy hardware. Instance check: "
                "look at the console output (kernel, file system, network configuration)."
            ),
        ),
    ]
    return specs


def pipeline_alarms(config: DeploymentConfig, refs: AwsMetricRefs) -> list[AlarmSpec]:
    """Alarms on the pipeline itself: it must say when it stops seeing the account."""
    ns, th = config.namespace, config.alarms
    minutes = th.pipeline_evaluation_minutes
    specs: list[AlarmSpec] = []
    for collector, period in config.periods.items():
        dims = {cat.COLLECTOR: collector.value}
        expected = STANDARD_PERIOD // period
        specs += [
            _slow(
                alarm_id=f"PipelineNoSamples-{collector.value}",
                metric=cat.SAMPLE_DELAY,
                namespace=ns,
                dims=dims,
                statistic="SampleCount",
                comparison=Comparison.LESS,
                threshold=max(1.0, expected * th.min_sample_ratio),
                minutes=minutes,
                missing=Missing.BREACHING,
                summary=(
                    f"{collector.value} wrote fewer than {th.min_sample_ratio:.0%} of its {expected} "
                    f"samples a minute for {minutes} min (no data counts as breaching)."
                ),
                runbook=(
                    "Check that the schedule rule is enabled and the sampler's executions start (Step "
                    "Functions console), then the collector's logs. Every metric of this collector is "
                    "stale meanwhile."
                ),
            ),
            _slow(
                alarm_id=f"PipelineCollectorErrors-{collector.value}",
                metric=cat.COLLECTOR_ERRORS,
                namespace=ns,
                dims=dims,
                statistic="Average",
                comparison=Comparison.GREATER,
                threshold=th.collector_errors_per_sample,
                minutes=minutes,
                missing=Missing.NOT_BREACHING,
                summary=(
                    f"{collector.value} averaged more than {th.collector_errors_per_sample} failed API "
                    f"calls per sample for {minutes} min."
                ),
                runbook=(
                    "Search the collector's log group for 'api_call_failed': throttling (raise the "
                    "sampling period), AccessDenied (the role or an SCP), or a configured cluster that no "
                    "longer exists."
                ),
            ),
            _slow(
                alarm_id=f"PipelineSamplesDropped-{collector.value}",
                metric=cat.SAMPLES_DROPPED,
                namespace=ns,
                dims=dims,
                statistic="Average",
                comparison=Comparison.GREATER,
                threshold=th.dropped_sample_ratio,
                minutes=minutes,
                missing=Missing.NOT_BREACHING,
                summary=(
                    f"{collector.value} started more than {th.dropped_sample_ratio:.0%} of its samples over "
                    f"one period late for {minutes} min."
                ),
                runbook=(
                    "Samples start late when executions start late or the function is throttled or cold: "
                    "check the Lambda Throttles and Duration metrics and the account's concurrency."
                ),
            ),
            AlarmSpec(
                alarm_id=f"PipelineLambdaErrors-{collector.value}",
                namespace="AWS/Lambda",
                metric_name="Errors",
                dimensions={"FunctionName": refs.function_names[collector]},
                statistic="Sum",
                period=STANDARD_PERIOD,
                comparison=Comparison.GREATER_OR_EQUAL,
                threshold=1,
                evaluation_periods=minutes,
                datapoints_to_alarm=minutes,
                missing=Missing.NOT_BREACHING,
                summary=f"The {collector.value} function failed invocations in each of {minutes} minutes.",
                runbook=(
                    "Read the function's log group: an invocation fails only when no metric could be "
                    "written (every API call failed), or on a crash or timeout."
                ),
            ),
        ]
    if config.events_mode:
        specs.append(
            _on_catalogue_metric(
                alarm_id="Ec2StateReconcileRepairs",
                metric=cat.STATE_REPAIRS,
                namespace=ns,
                dims={},
                statistic="Maximum",
                comparison=Comparison.GREATER,
                threshold=th.reconcile_repairs_max,
                # One datum per reconcile run: one run over the threshold is the signal.
                period=config.reconcile_minutes * STANDARD_PERIOD,
                periods=1,
                missing=Missing.NOT_BREACHING,
                summary=(
                    f"A reconcile run repaired more than {th.reconcile_repairs_max} instances or volumes: "
                    "the EC2/EBS counts from events were wrong until it ran."
                ),
                runbook=(
                    "The event path is losing events: check the state-event rules' FailedInvocations, the "
                    "event function's errors and throttles, and its log group ('state event'). Until it is "
                    "fixed the counts are right only after each reconcile; ec2StateSource 'poll' is the "
                    "fallback for fleets it can list."
                ),
            )
        )
    if config.events_mode and refs.event_function_name and refs.reconcile_function_name:
        for alarm_id, name, period, what in (
            (
                "Ec2StateEventFunctionErrors",
                refs.event_function_name,
                STANDARD_PERIOD * minutes,
                "event function",
            ),
            (
                "Ec2StateReconcileErrors",
                refs.reconcile_function_name,
                STANDARD_PERIOD * config.reconcile_minutes,
                "reconcile job",
            ),
        ):
            specs.append(
                AlarmSpec(
                    alarm_id=alarm_id,
                    namespace="AWS/Lambda",
                    metric_name="Errors",
                    dimensions={"FunctionName": name},
                    statistic="Sum",
                    period=period,
                    comparison=Comparison.GREATER_OR_EQUAL,
                    threshold=1,
                    evaluation_periods=1,
                    datapoints_to_alarm=1,
                    missing=Missing.NOT_BREACHING,
                    summary=f"The EC2/EBS state {what} failed an invocation.",
                    runbook=(
                        "Read the function's log group: throttled or denied DynamoDB calls, a resource "
                        "contended past its retries, or (reconcile) a listing that ran out of time. Failed "
                        "events are retried by EventBridge for 24 h; the next reconcile repairs the rest."
                    ),
                )
            )
    for metric_name, what in (("ExecutionsFailed", "failed"), ("ExecutionsTimedOut", "timed out")):
        specs.append(
            AlarmSpec(
                alarm_id=f"PipelineExecutions{metric_name.removeprefix('Executions')}",
                namespace="AWS/States",
                metric_name=metric_name,
                dimensions={"StateMachineArn": refs.state_machine_arn},
                statistic="Sum",
                period=STANDARD_PERIOD,
                comparison=Comparison.GREATER_OR_EQUAL,
                threshold=1,
                evaluation_periods=1,
                datapoints_to_alarm=1,
                missing=Missing.NOT_BREACHING,
                summary=f"A sampler execution {what}: a whole minute of samples may be missing.",
                runbook=(
                    "Every sample catches its own errors, so a failed execution means the definition or "
                    "the role is broken: read the state machine's log group and the execution's error."
                ),
            )
        )
    specs.append(
        AlarmSpec(
            alarm_id="PipelineScheduleFailed",
            namespace="AWS/Events",
            metric_name="FailedInvocations",
            dimensions={"RuleName": refs.rule_name},
            statistic="Sum",
            period=STANDARD_PERIOD,
            comparison=Comparison.GREATER_OR_EQUAL,
            threshold=1,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            missing=Missing.NOT_BREACHING,
            summary="The schedule rule could not start the sampler.",
            runbook=(
                "Check the rule role's states:StartExecution permission and the state machine's existence; "
                "Express start quotas can also throttle."
            ),
        )
    )
    return specs


class _CatalogueAlarm(TypedDict):
    """What every alarm on a catalogue metric states; `_fast` and `_slow` add the timing."""

    alarm_id: str
    metric: MetricSpec
    namespace: str
    dims: dict[str, str]
    statistic: str
    comparison: Comparison
    threshold: float
    summary: str
    runbook: str


def _fast(*, periods: int, **alarm: Unpack[_CatalogueAlarm]) -> AlarmSpec:
    """A high-resolution (10 s) alarm on a one-second account metric; missing data is not breaching
    because the pipeline alarms already page when samples stop."""
    return _on_catalogue_metric(
        period=HIGH_RESOLUTION_PERIOD, periods=periods, missing=Missing.NOT_BREACHING, **alarm
    )


def _slow(*, minutes: int, missing: Missing, **alarm: Unpack[_CatalogueAlarm]) -> AlarmSpec:
    """A one-minute alarm on a pipeline-health metric (cheaper than a high-resolution alarm)."""
    return _on_catalogue_metric(period=STANDARD_PERIOD, periods=minutes, missing=missing, **alarm)


def _on_catalogue_metric(
    *, period: int, periods: int, missing: Missing, **alarm: Unpack[_CatalogueAlarm]
) -> AlarmSpec:
    """An alarm on a catalogue metric, refused unless its dimensions are those it is published with."""
    metric, dims = alarm["metric"], alarm["dims"]
    _check_dimensions(metric, dims)
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


def _check_dimensions(spec: MetricSpec, dims: dict[str, str]) -> None:
    if tuple(dims) != spec.dimensions:
        raise ValueError(f"{spec.name} is published with dimensions {spec.dimensions}, not {tuple(dims)}")
