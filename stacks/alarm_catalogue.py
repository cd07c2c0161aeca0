"""Every alarm the stack creates, as plain data built from the metric catalogue: the account's
(per cluster, fleet-wide, EC2/EBS) here, the pipeline's own in `stacks.pipeline_alarms`.

Alarms on the pipeline's own metrics take their namespace, name and dimension names from
`collector_core.catalogue`, so they cannot watch a metric no collector emits. Sample metrics are never
alarmed on with Sum: Express executions started by EventBridge are at-least-once, and a duplicated
sample must not look like twice the tasks.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector_core import catalogue as cat
from collector_core.catalogue import Collector, MetricSpec
from collector_core.insights import insights_query
from stacks.alarm_spec import (
    ALARM_ID_METADATA,
    AlarmSpec,
    Comparison,
    Missing,
    check_dimensions,
    fast,
)
from stacks.config_model import HIGH_RESOLUTION_PERIOD, DeploymentConfig
from stacks.pipeline_alarms import AwsMetricRefs, pipeline_alarms

# The record and the pipeline's own alarms live in their own modules; importers read them here.
__all__ = [
    "ALARM_ID_METADATA",
    "AlarmSpec",
    "AwsMetricRefs",
    "Comparison",
    "Missing",
    "account_alarms",
    "all_alarms",
    "fleet_alarms",
    "organization_alarms",
    "pipeline_alarms",
]


def all_alarms(config: DeploymentConfig, refs: AwsMetricRefs, *, fleet: bool = True) -> list[AlarmSpec]:
    """Every alarm of one stack, in the order they are created; a StackSet member's without the
    fleet alarms (`fleet=False`): the monitoring account's `organization_alarms` are the same query
    over every account's clusters, paging the same topic, so a member's own would page twice."""
    return account_alarms(config) + (fleet_alarms(config) if fleet else []) + pipeline_alarms(config, refs)


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


def fleet_query(function: str, metric: MetricSpec, namespace: str, *, by_account: bool = False) -> str:
    """`SELECT MIN(PendingTask) FROM SCHEMA("ns", ClusterName) GROUP BY ClusterName`: one series per
    cluster that has the metric, whenever the cluster was created (and, `by_account`, per account)."""
    check_dimensions(metric, {cat.CLUSTER_NAME: ""})
    return insights_query(function, metric, namespace, by_account=by_account)


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
    return [_query_alarm(kind, kind.fleet_id, config.namespace) for kind in cluster_alarm_kinds(config)]


def organization_alarms(config: DeploymentConfig, namespace: str) -> list[AlarmSpec]:
    """The fleet alarms as a monitoring account holds them: over every source account's clusters,
    a contributor per account and cluster (`GROUP BY AWS.AccountId, ClusterName`), ids `Org...`.

    In a monitoring account, Metrics Insights alarms watch the linked source accounts' metrics
    ("Alarms on CloudWatch Metrics Insights queries in CloudWatch",
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-alarms.html),
    so a cluster created in an account that joins next month is alarmed on with no deploy. The
    fleet alarms' limits apply to the whole organization at once: 500 series per query (beyond 500
    account-cluster pairs a query sees only some) and 100 contributors in ALARM; the members'
    10-second per-cluster alarms, paging the same topic, are not bound by them.
    """
    if Collector.ECS_COUNTS not in config.collectors:
        return []
    return [
        _query_alarm(kind, "Org" + kind.fleet_id.removeprefix("Fleet"), namespace, by_account=True)
        for kind in cluster_alarm_kinds(config)
    ]


def _query_alarm(
    kind: ClusterAlarmKind, alarm_id: str, namespace: str, *, by_account: bool = False
) -> AlarmSpec:
    periods = max(1, -(-kind.seconds // FLEET_PERIOD))  # whole minutes, rounded up
    where = "a cluster of any account" if by_account else "a cluster"
    return AlarmSpec(
        alarm_id=alarm_id,
        namespace=namespace,
        metric_name=kind.metric.name,
        dimensions={},
        statistic=kind.statistic,
        period=FLEET_PERIOD,
        comparison=kind.comparison,
        threshold=kind.threshold,
        evaluation_periods=periods,
        datapoints_to_alarm=periods,
        missing=Missing.NOT_BREACHING,
        summary=kind.summary.format(cluster=where)
        + f" Any cluster the query returns, judged in one-minute periods ({periods} min).",
        runbook=kind.runbook,
        catalogue_metric=kind.metric,
        query=fleet_query(_QUERY_FUNCTIONS[kind.statistic], kind.metric, namespace, by_account=by_account),
    )


def account_alarms(config: DeploymentConfig) -> list[AlarmSpec]:
    """Alarms on the account's state: what the one-second metrics exist to catch."""
    ns = config.namespace
    specs: list[AlarmSpec] = []
    ecs_clusters = config.clusters_with_alarms if Collector.ECS_COUNTS in config.collectors else ()
    for cluster in ecs_clusters:
        for kind in cluster_alarm_kinds(config):
            specs.append(
                fast(
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
    if Collector.EC2_EBS_STATE in config.collectors:
        specs += [
            fast(
                alarm_id=alarm_id,
                metric=metric,
                namespace=ns,
                dims=dims,
                statistic="Maximum",
                comparison=Comparison.GREATER,
                threshold=0,
                periods=3,
                summary=summary,
                runbook=runbook,
            )
            for alarm_id, metric, dims, summary, runbook in EC2_EBS_ALARMS
        ]
    return specs


# The EC2/EBS collector's alarms: any resource in the state for three 10-second periods pages.
EC2_EBS_ALARMS: tuple[tuple[str, MetricSpec, dict[str, str], str, str], ...] = (
    (
        "EbsVolumesInError",
        cat.VOLUME_COUNT,
        {cat.STATE: "error"},
        "At least one EBS volume is in the error state.",
        "The volume's data may be unrecoverable: find it with `aws ec2 describe-volumes --filters "
        "Name=status,Values=error`, restore from its latest snapshot and replace it.",
    ),
    (
        "EbsVolumesImpaired",
        cat.IMPAIRED_VOLUMES,
        {},
        "At least one EBS volume's status checks report impaired.",
        "Run `aws ec2 describe-volume-status` for the impaired volume; I/O may be disabled: check "
        "the instance's file system, then enable I/O or restore from a snapshot.",
    ),
    (
        "Ec2InstancesImpaired",
        cat.IMPAIRED_INSTANCES,
        {},
        "At least one EC2 instance fails its instance or system status check.",
        "System check: stop and start the instance to move it to healthy hardware. Instance check: "
        "look at the console output (kernel, file system, network configuration).",
    ),
)
