"""Every alarm the stack creates, as plain data built from the metric catalogue.

Alarms on the pipeline's own metrics take their namespace, name and dimension names from
`collector_core.catalogue`, so they cannot watch a metric no collector emits. Sample metrics are never
alarmed on with Sum: Express executions started by EventBridge are at-least-once, and a duplicated
sample must not look like twice the tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypedDict, Unpack

from collector_core import catalogue as cat
from collector_core.catalogue import Collector, MetricSpec
from stacks.deployment_config import HIGH_RESOLUTION_PERIOD, DeploymentConfig

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


def account_alarms(config: DeploymentConfig) -> list[AlarmSpec]:
    """Alarms on the account's state: what the one-second metrics exist to catch."""
    ns, th = config.namespace, config.alarms
    specs: list[AlarmSpec] = []
    stuck_periods = th.pending_stuck_seconds // HIGH_RESOLUTION_PERIOD
    ecs_clusters = config.clusters_with_alarms if Collector.ECS_COUNTS in config.collectors else ()
    for cluster in ecs_clusters:
        dims = {cat.CLUSTER_NAME: cluster}
        specs.append(
            _fast(
                alarm_id=f"EcsTasksStuckPending-{cluster}",
                metric=cat.PENDING_TASK,
                namespace=ns,
                dims=dims,
                statistic="Minimum",
                comparison=Comparison.GREATER,
                threshold=0,
                periods=stuck_periods,
                summary=(
                    f"Tasks in {cluster} have been PENDING for {th.pending_stuck_seconds} s without a break."
                ),
                runbook=(
                    "Look at the cluster's stopped tasks and service events: usually no capacity (container "
                    "instances or Fargate quota), an image that cannot be pulled, or no free ENIs in the "
                    "subnet."
                ),
            )
        )
        if th.running_tasks_min is not None:
            specs.append(
                _fast(
                    alarm_id=f"EcsRunningTasksLow-{cluster}",
                    metric=cat.RUNNING_TASK,
                    namespace=ns,
                    dims=dims,
                    statistic="Maximum",
                    comparison=Comparison.LESS,
                    threshold=th.running_tasks_min,
                    periods=3,
                    summary=f"Fewer than {th.running_tasks_min} tasks running in {cluster} for 30 s.",
                    runbook=(
                        "Check the services' events and recently stopped tasks (exit codes, health checks); "
                        "scale out or roll back the last deployment."
                    ),
                )
            )
        if th.container_instances_min is not None:
            specs.append(
                _fast(
                    alarm_id=f"EcsContainerInstancesLow-{cluster}",
                    metric=cat.REGISTERED_CONTAINER_INSTANCES,
                    namespace=ns,
                    dims=dims,
                    statistic="Maximum",
                    comparison=Comparison.LESS,
                    threshold=th.container_instances_min,
                    periods=3,
                    summary=(
                        f"Fewer than {th.container_instances_min} container instances registered in "
                        f"{cluster}."
                    ),
                    runbook=(
                        "Check the Auto Scaling group behind the capacity provider and the ECS agent on the "
                        "instances (agent disconnected, instance draining or terminated)."
                    ),
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
                "the "
                "instance's file system, then enable I/O or restore from a snapshot."
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
                    "samples a "
                    f"minute for {minutes} min (no data counts as breaching)."
                ),
                runbook=(
                    "Check that the schedule rule is enabled and the sampler's executions start (Step "
                    "Functions "
                    "console), then the collector's logs. Every metric of this collector is stale meanwhile."
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
                    f"{collector.value} averaged more than {th.collector_errors_per_sample} failed API calls "
                    f"per sample for {minutes} min."
                ),
                runbook=(
                    "Search the collector's log group for 'api_call_failed': throttling (raise the sampling "
                    "period), AccessDenied (the role or an SCP), or a configured cluster that no longer "
                    "exists."
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
                    "check "
                    "the Lambda Throttles and Duration metrics and the account's concurrency."
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
                    "Read the function's log group: an invocation fails only when no metric could be written "
                    "(every API call failed), or on a crash or timeout."
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
                    "Every sample catches its own errors, so a failed execution means the definition or the "
                    "role is broken: read the state machine's log group and the execution's error."
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
