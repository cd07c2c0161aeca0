"""Every alarm the stack creates, as plain data built from the metric catalogue.

Alarms on the pipeline's own metrics take their namespace, name and dimension names from
`common.catalogue`, so they cannot watch a metric no collector emits. Sample metrics are never
alarmed on with Sum: Express executions started by EventBridge are at-least-once, and a duplicated
sample must not look like twice the tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from common import catalogue as cat
from common.catalogue import Collector, MetricSpec
from stacks.deployment_config import HIGH_RESOLUTION_PERIOD, DeploymentConfig

STANDARD_PERIOD = 60


class Comparison(StrEnum):
    GREATER = "GreaterThanThreshold"
    GREATER_OR_EQUAL = "GreaterThanOrEqualToThreshold"
    LESS = "LessThanThreshold"


class Missing(StrEnum):
    BREACHING = "breaching"
    NOT_BREACHING = "notBreaching"


@dataclass(frozen=True)
class AlarmSpec:
    """One CloudWatch alarm; `runbook` is what the on-call person reads first."""

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
    catalogue_metric: MetricSpec | None = field(default=None, compare=False)
    # A Metrics Insights query (`SELECT ... GROUP BY ...`): the alarm watches every series it
    # returns, each a contributor; `dimensions` is then empty and `statistic` the query's function.
    query: str = ""


@dataclass(frozen=True)
class AwsMetricRefs:
    """Dimension values of AWS-published metrics (CloudFormation tokens at synth time)."""

    state_machine_arn: str
    function_names: dict[Collector, str]
    rule_name: str


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
                kind.fleet_id,
                config.namespace,
                kind.metric.name,
                {},
                kind.statistic,
                FLEET_PERIOD,
                kind.comparison,
                kind.threshold,
                periods,
                periods,
                Missing.NOT_BREACHING,
                kind.summary.format(cluster="a cluster")
                + f" Any cluster the query returns, judged in one-minute periods ({periods} min).",
                kind.runbook,
                kind.metric,
                fleet_query(_QUERY_FUNCTIONS[kind.statistic], kind.metric, config.namespace),
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
                    f"{kind.kind_id}-{cluster}",
                    kind.metric,
                    ns,
                    {cat.CLUSTER_NAME: cluster},
                    kind.statistic,
                    kind.comparison,
                    kind.threshold,
                    kind.seconds // HIGH_RESOLUTION_PERIOD,
                    kind.summary.format(cluster=cluster),
                    kind.runbook,
                )
            )
    if Collector.EC2_EBS_STATE not in config.collectors:
        return specs
    specs += [
        _fast(
            "EbsVolumesInError",
            cat.VOLUME_COUNT,
            ns,
            {cat.STATE: "error"},
            "Maximum",
            Comparison.GREATER,
            0,
            3,
            "At least one EBS volume is in the error state.",
            "The volume's data may be unrecoverable: find it with `aws ec2 describe-volumes --filters "
            "Name=status,Values=error`, restore from its latest snapshot and replace it.",
        ),
        _fast(
            "EbsVolumesImpaired",
            cat.IMPAIRED_VOLUMES,
            ns,
            {},
            "Maximum",
            Comparison.GREATER,
            0,
            3,
            "At least one EBS volume's status checks report impaired.",
            "Run `aws ec2 describe-volume-status` for the impaired volume; I/O may be disabled: check the "
            "instance's file system, then enable I/O or restore from a snapshot.",
        ),
        _fast(
            "Ec2InstancesImpaired",
            cat.IMPAIRED_INSTANCES,
            ns,
            {},
            "Maximum",
            Comparison.GREATER,
            0,
            3,
            "At least one EC2 instance fails its instance or system status check.",
            "System check: stop and start the instance to move it to healthy hardware. Instance check: "
            "look at the console output (kernel, file system, network configuration).",
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
                f"PipelineNoSamples-{collector.value}",
                cat.SAMPLE_DELAY,
                ns,
                dims,
                "SampleCount",
                Comparison.LESS,
                max(1.0, expected * th.min_sample_ratio),
                minutes,
                Missing.BREACHING,
                f"{collector.value} wrote fewer than {th.min_sample_ratio:.0%} of its {expected} samples a "
                f"minute for {minutes} min (no data counts as breaching).",
                "Check that the schedule rule is enabled and the sampler's executions start (Step Functions "
                "console), then the collector's logs. Every metric of this collector is stale meanwhile.",
            ),
            _slow(
                f"PipelineCollectorErrors-{collector.value}",
                cat.COLLECTOR_ERRORS,
                ns,
                dims,
                "Average",
                Comparison.GREATER,
                th.collector_errors_per_sample,
                minutes,
                Missing.NOT_BREACHING,
                f"{collector.value} averaged more than {th.collector_errors_per_sample} failed API calls "
                f"per sample for {minutes} min.",
                "Search the collector's log group for 'api_call_failed': throttling (raise the sampling "
                "period), AccessDenied (the role or an SCP), or a configured cluster that no longer exists.",
            ),
            _slow(
                f"PipelineSamplesDropped-{collector.value}",
                cat.SAMPLES_DROPPED,
                ns,
                dims,
                "Average",
                Comparison.GREATER,
                th.dropped_sample_ratio,
                minutes,
                Missing.NOT_BREACHING,
                f"{collector.value} started more than {th.dropped_sample_ratio:.0%} of its samples over "
                f"one period late for {minutes} min.",
                "Samples start late when executions start late or the function is throttled or cold: check "
                "the Lambda Throttles and Duration metrics and the account's concurrency.",
            ),
            AlarmSpec(
                f"PipelineLambdaErrors-{collector.value}",
                "AWS/Lambda",
                "Errors",
                {"FunctionName": refs.function_names[collector]},
                "Sum",
                STANDARD_PERIOD,
                Comparison.GREATER_OR_EQUAL,
                1,
                minutes,
                minutes,
                Missing.NOT_BREACHING,
                f"The {collector.value} function failed invocations in each of {minutes} minutes.",
                "Read the function's log group: an invocation fails only when no metric could be written "
                "(every API call failed), or on a crash or timeout.",
            ),
        ]
    for metric_name, what in (("ExecutionsFailed", "failed"), ("ExecutionsTimedOut", "timed out")):
        specs.append(
            AlarmSpec(
                f"PipelineExecutions{metric_name.removeprefix('Executions')}",
                "AWS/States",
                metric_name,
                {"StateMachineArn": refs.state_machine_arn},
                "Sum",
                STANDARD_PERIOD,
                Comparison.GREATER_OR_EQUAL,
                1,
                1,
                1,
                Missing.NOT_BREACHING,
                f"A sampler execution {what}: a whole minute of samples may be missing.",
                "Every sample catches its own errors, so a failed execution means the definition or the "
                "role is broken: read the state machine's log group and the execution's error.",
            )
        )
    specs.append(
        AlarmSpec(
            "PipelineScheduleFailed",
            "AWS/Events",
            "FailedInvocations",
            {"RuleName": refs.rule_name},
            "Sum",
            STANDARD_PERIOD,
            Comparison.GREATER_OR_EQUAL,
            1,
            1,
            1,
            Missing.NOT_BREACHING,
            "The schedule rule could not start the sampler.",
            "Check the rule role's states:StartExecution permission and the state machine's existence; "
            "Express start quotas can also throttle.",
        )
    )
    return specs


def _fast(
    alarm_id: str,
    spec: MetricSpec,
    namespace: str,
    dims: dict[str, str],
    statistic: str,
    comparison: Comparison,
    threshold: float,
    periods: int,
    summary: str,
    runbook: str,
) -> AlarmSpec:
    """A high-resolution (10 s) alarm on a one-second account metric; missing data is not breaching
    because the pipeline alarms already page when samples stop."""
    return _on_catalogue_metric(
        alarm_id,
        spec,
        namespace,
        dims,
        statistic,
        comparison,
        threshold,
        summary,
        runbook,
        period=HIGH_RESOLUTION_PERIOD,
        periods=periods,
        missing=Missing.NOT_BREACHING,
    )


def _slow(
    alarm_id: str,
    spec: MetricSpec,
    namespace: str,
    dims: dict[str, str],
    statistic: str,
    comparison: Comparison,
    threshold: float,
    minutes: int,
    missing: Missing,
    summary: str,
    runbook: str,
) -> AlarmSpec:
    """A one-minute alarm on a pipeline-health metric (cheaper than a high-resolution alarm)."""
    return _on_catalogue_metric(
        alarm_id,
        spec,
        namespace,
        dims,
        statistic,
        comparison,
        threshold,
        summary,
        runbook,
        period=STANDARD_PERIOD,
        periods=minutes,
        missing=missing,
    )


def _on_catalogue_metric(
    alarm_id: str,
    spec: MetricSpec,
    namespace: str,
    dims: dict[str, str],
    statistic: str,
    comparison: Comparison,
    threshold: float,
    summary: str,
    runbook: str,
    *,
    period: int,
    periods: int,
    missing: Missing,
) -> AlarmSpec:
    """An alarm on a catalogue metric, refused unless `dims` are the dimensions it is published with."""
    _check_dimensions(spec, dims)
    return AlarmSpec(
        alarm_id,
        namespace,
        spec.name,
        dims,
        statistic,
        period,
        comparison,
        threshold,
        periods,
        periods,
        missing,
        summary,
        runbook,
        spec,
    )


def _check_dimensions(spec: MetricSpec, dims: dict[str, str]) -> None:
    if tuple(dims) != spec.dimensions:
        raise ValueError(f"{spec.name} is published with dimensions {spec.dimensions}, not {tuple(dims)}")
