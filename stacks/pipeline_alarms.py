"""The alarms on the pipeline itself, as tables of rows: it must say when it stops seeing the account.

- `COLLECTOR_ALARMS`: one row per alarm every collector gets (`<id_prefix>-<collector>`).
- `EVENTS_MODE_ALARMS`: one row per alarm of the events mode's functions (`ec2StateSource: "events"`).
- The sampler's executions and its schedule rule.
Adding an alarm is adding a row; the builders in `stacks.alarm_spec` do the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from collector_core import aws_metrics as aws
from collector_core import catalogue as cat
from collector_core.aws_metrics import AwsMetric
from collector_core.catalogue import Collector, MetricSpec
from stacks.alarm_spec import (
    STANDARD_PERIOD,
    AlarmSpec,
    Comparison,
    Missing,
    on_aws_metric,
    on_catalogue_metric,
    slow,
)
from stacks.config_model import AlarmThresholds, DeploymentConfig


@dataclass(frozen=True)
class AwsMetricRefs:
    """Dimension values of AWS-published metrics (CloudFormation tokens at synth time)."""

    state_machine_arn: str
    function_names: dict[Collector, str]
    rule_name: str
    # Events mode: the event function's and the reconcile job's names.
    event_function_name: str | None = None
    reconcile_function_name: str | None = None
    event_failures_queue_name: str | None = None
    # A StackSet member's snapshot rule: its deliveries cross into the monitoring account.
    cross_account_notice_rule_name: str | None = None


@dataclass(frozen=True)
class Window:
    """What a collector row's text and threshold may use: `{collector}`, `{expected}` samples a
    minute, `{minutes}` of evaluation, `{th.<threshold>}`."""

    collector: str
    expected: int
    minutes: int
    th: AlarmThresholds


@dataclass(frozen=True)
class CollectorAlarm:
    """One alarm each collector gets. A catalogue metric's alarm has one-minute periods for
    `{minutes}` minutes; an AWS metric's (the function's) fires on a Sum of at least 1 in each."""

    id_prefix: str
    metric: MetricSpec | AwsMetric
    summary: str  # str.format fields of Window
    runbook: str
    statistic: str = "Sum"
    comparison: Comparison = Comparison.GREATER_OR_EQUAL
    threshold: Callable[[Window], float] = lambda w: 1
    missing: Missing = Missing.NOT_BREACHING

    def spec(self, collector: Collector, window: Window, refs: AwsMetricRefs, namespace: str) -> AlarmSpec:
        alarm_id, summary = f"{self.id_prefix}-{collector.value}", self.summary.format_map(vars(window))
        if isinstance(self.metric, AwsMetric):
            return on_aws_metric(
                alarm_id=alarm_id,
                metric=self.metric,
                resource=refs.function_names[collector],
                period=STANDARD_PERIOD,
                periods=window.minutes,
                summary=summary,
                runbook=self.runbook,
            )
        return slow(
            alarm_id=alarm_id,
            metric=self.metric,
            namespace=namespace,
            dims={cat.COLLECTOR: collector.value},
            statistic=self.statistic,
            comparison=self.comparison,
            threshold=self.threshold(window),
            minutes=window.minutes,
            missing=self.missing,
            summary=summary,
            runbook=self.runbook,
        )


COLLECTOR_ALARMS: tuple[CollectorAlarm, ...] = (
    CollectorAlarm(
        "PipelineNoSamples",
        cat.SAMPLE_DELAY,
        "{collector} wrote fewer than {th.min_sample_ratio:.0%} of its {expected} samples a minute for "
        "{minutes} min (no data counts as breaching).",
        "Check that the schedule rule is enabled and the sampler's executions start (Step Functions "
        "console), then the collector's logs. Every metric of this collector is stale meanwhile.",
        statistic="SampleCount",
        comparison=Comparison.LESS,
        threshold=lambda w: max(1.0, w.expected * w.th.min_sample_ratio),
        missing=Missing.BREACHING,
    ),
    CollectorAlarm(
        "PipelineCollectorErrors",
        cat.COLLECTOR_ERRORS,
        "{collector} averaged more than {th.collector_errors_per_sample} failed API calls per sample for "
        "{minutes} min.",
        "Search the collector's log group for 'api_call_failed': throttling (raise the sampling period), "
        "AccessDenied (the role or an SCP), or a configured cluster that no longer exists.",
        statistic="Average",
        comparison=Comparison.GREATER,
        threshold=lambda w: w.th.collector_errors_per_sample,
    ),
    CollectorAlarm(
        "PipelineSamplesDropped",
        cat.SAMPLES_DROPPED,
        "{collector} started more than {th.dropped_sample_ratio:.0%} of its samples over one period late "
        "for {minutes} min.",
        "Samples start late when executions start late or the function is throttled or cold: check the "
        "Lambda Throttles and Duration metrics and the account's concurrency.",
        statistic="Average",
        comparison=Comparison.GREATER,
        threshold=lambda w: w.th.dropped_sample_ratio,
    ),
    CollectorAlarm(
        "PipelineLambdaErrors",
        aws.LAMBDA_ERRORS,
        "The {collector} function failed invocations in each of {minutes} minutes.",
        "Read the function's log group: an invocation fails only when no metric could be written (every "
        "API call failed), or on a crash or timeout.",
    ),
)


@dataclass(frozen=True)
class EventsModeAlarm:
    """One alarm of the events mode, on an AWS metric of the resource `resource(refs)` names; one
    period of `period(config)` seconds with the statistic at least 1 fires it."""

    alarm_id: str
    metric: AwsMetric
    resource: Callable[[AwsMetricRefs], str | None]
    period: Callable[[DeploymentConfig], int]
    summary: str
    runbook: str
    statistic: str = "Sum"


_FUNCTION_FAILED_RUNBOOK = (
    "Read the function's log group: throttled or denied DynamoDB calls, a resource contended past its "
    "retries, or (reconcile) a listing that ran out of time. A failed event is retried twice by Lambda, "
    "then kept in the failures queue (Ec2StateEventsFailed); the next reconcile repairs the counts."
)


def _event_failures(queue_name: str) -> AlarmSpec:
    """The failures queue holds a message: an event no function applied is never lost unpaged."""
    metric = aws.SQS_MESSAGES_VISIBLE
    return AlarmSpec(
        alarm_id="Ec2StateEventsFailed",
        namespace=metric.namespace,
        metric_name=metric.name,
        dimensions={metric.dimension: queue_name},
        statistic="Maximum",
        period=STANDARD_PERIOD,  # SQS publishes its queue metrics once a minute
        comparison=Comparison.GREATER,
        threshold=0,
        evaluation_periods=1,
        datapoints_to_alarm=1,
        missing=Missing.NOT_BREACHING,
        summary="A state event was not applied: the event function failed it three times, or "
        "EventBridge could not deliver it for 24 h.",
        runbook=(
            "Read a message of the failures queue: Lambda's record names the error "
            "(requestContext.condition, responsePayload) and carries the event; a rule's "
            "undeliverable event arrives as itself, its message attributes naming the error "
            "and the rule. Fix the cause "
            "(the function's log group, its DynamoDB grants, throttles); the next reconcile "
            "repairs the counts. Then purge the queue: the alarm stays on while it holds messages."
        ),
    )


EVENTS_MODE_ALARMS: tuple[EventsModeAlarm, ...] = (
    EventsModeAlarm(
        "Ec2StateEventFunctionErrors",
        aws.LAMBDA_ERRORS,
        lambda refs: refs.event_function_name,
        lambda config: STANDARD_PERIOD * config.alarms.pipeline_evaluation_minutes,
        "The EC2/EBS state event function failed an invocation.",
        _FUNCTION_FAILED_RUNBOOK,
    ),
    EventsModeAlarm(
        "Ec2StateReconcileErrors",
        aws.LAMBDA_ERRORS,
        lambda refs: refs.reconcile_function_name,
        lambda config: STANDARD_PERIOD * config.reconcile_minutes,
        "The EC2/EBS state reconcile job failed an invocation.",
        _FUNCTION_FAILED_RUNBOOK,
    ),
)


def pipeline_alarms(config: DeploymentConfig, refs: AwsMetricRefs) -> list[AlarmSpec]:
    """Alarms on the pipeline itself: every collector's rows, the events mode's, the sampler's."""
    ns, th = config.namespace, config.alarms
    minutes = th.pipeline_evaluation_minutes
    specs: list[AlarmSpec] = []
    for collector, period in config.periods.items():
        window = Window(collector.value, STANDARD_PERIOD // period, minutes, th)
        specs += [row.spec(collector, window, refs, ns) for row in COLLECTOR_ALARMS]
    if config.events_mode:
        specs.append(_reconcile_repairs(config))
        for row in EVENTS_MODE_ALARMS:
            resource = row.resource(refs)
            if resource is not None:
                specs.append(
                    on_aws_metric(
                        alarm_id=row.alarm_id,
                        metric=row.metric,
                        resource=resource,
                        period=row.period(config),
                        periods=1,
                        summary=row.summary,
                        runbook=row.runbook,
                        statistic=row.statistic,
                    )
                )
        if refs.event_failures_queue_name:
            specs.append(_event_failures(refs.event_failures_queue_name))
    for metric, what in ((aws.EXECUTIONS_FAILED, "failed"), (aws.EXECUTIONS_TIMED_OUT, "timed out")):
        specs.append(
            on_aws_metric(
                alarm_id=f"PipelineExecutions{metric.name.removeprefix('Executions')}",
                metric=metric,
                resource=refs.state_machine_arn,
                period=STANDARD_PERIOD,
                periods=1,
                summary=f"A sampler execution {what}: a whole minute of samples may be missing.",
                runbook=(
                    "Every sample catches its own errors, so a failed execution means the definition or "
                    "the role is broken: read the state machine's log group and the execution's error."
                ),
            )
        )
    specs.append(
        on_aws_metric(
            alarm_id="PipelineScheduleFailed",
            metric=aws.FAILED_INVOCATIONS,
            resource=refs.rule_name,
            period=STANDARD_PERIOD,
            periods=1,
            summary="The schedule rule could not start the sampler.",
            runbook=(
                "Check the rule role's states:StartExecution permission and the state machine's existence; "
                "Express start quotas can also throttle."
            ),
        )
    )
    if refs.cross_account_notice_rule_name is not None:
        specs.append(_notices_undelivered(refs.cross_account_notice_rule_name))
    return specs


def _notices_undelivered(rule_name: str) -> AlarmSpec:
    """A member's snapshot notices go to another account's topic under another account's key, a
    path only policies hold together (the role, the topic's, the key's); when one of them refuses,
    the notice is lost without a trace but this: the alarm itself pages through CloudWatch's own
    path to the topic, which does not depend on the role."""
    return on_aws_metric(
        alarm_id="SnapshotNoticesUndelivered",
        metric=aws.FAILED_INVOCATIONS,
        resource=rule_name,
        period=STANDARD_PERIOD,
        periods=1,
        summary="EventBridge could not deliver an EBS snapshot notification to the organization's topic.",
        runbook=(
            "The rule's role, or the central topic's or key's policy, refused it: CloudTrail shows the "
            "refused sns:Publish or kms:GenerateDataKey by the rule's role; deploy the monitoring stack "
            "of this region, then update the StackSet. Meanwhile list failed snapshots: aws ec2 "
            "describe-snapshots --owner-ids self --filters Name=status,Values=error."
        ),
    )


def _reconcile_repairs(config: DeploymentConfig) -> AlarmSpec:
    threshold = config.alarms.reconcile_repairs_max
    return on_catalogue_metric(
        alarm_id="Ec2StateReconcileRepairs",
        metric=cat.STATE_REPAIRS,
        namespace=config.namespace,
        dims={},
        statistic="Maximum",
        comparison=Comparison.GREATER,
        threshold=threshold,
        # One datum per reconcile run: one run over the threshold is the signal.
        period=config.reconcile_minutes * STANDARD_PERIOD,
        periods=1,
        missing=Missing.NOT_BREACHING,
        summary=(
            f"A reconcile run repaired more than {threshold} instances or volumes: "
            "the EC2/EBS counts from events were wrong until it ran."
        ),
        runbook=(
            "The event path is losing events: check the state-event rules' FailedInvocations, the "
            "event function's errors and throttles, and its log group ('state event'). Until it is "
            "fixed the counts are right only after each reconcile; ec2StateSource 'poll' is the "
            "fallback for fleets it can list."
        ),
    )
