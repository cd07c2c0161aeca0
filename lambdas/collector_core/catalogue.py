"""The metric catalogue: the one source of truth for what this pipeline emits.

Collectors emit from it, the stack builds alarms and the dashboard from it, the cost model counts
metrics from it, and the demo reads metrics back through it. Nothing else spells a metric name, a
unit or a dimension name, so an alarm cannot watch a metric that nobody publishes.

The ECS names are those of the AWS Compute Blog design this project grows from, so its dashboards
and alarms keep working after the switch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_NAMESPACE = "HighResMetrics"
# CloudWatch's namespace alphabet (PutMetricData reference, "Namespaces" in CloudWatch concepts):
# letters, digits, space and . - _ / # :, at most 255 characters.
_NAMESPACE = re.compile(r"[0-9A-Za-z.\-_/#: ]{1,255}")
NAMESPACE_RULE = "1-255 of A-Z a-z 0-9 . - _ / # : and space, not starting with 'AWS/' or ':'"
# Every metric is high resolution: one data point per second is the product.
STORAGE_RESOLUTION = 1


def is_custom_namespace(value: str) -> bool:
    """Whether CloudWatch and CloudFormation accept `value` as this pipeline's namespace: the
    alphabet above, not CloudFormation's refused leading colon (its pattern is `[^:].*`), and not
    "AWS/", which is reserved for AWS services. The stack's config and the collectors' settings
    both ask this, so a namespace cannot pass one and fail the other."""
    return bool(_NAMESPACE.fullmatch(value)) and not value.startswith(("AWS/", ":"))


class Collector(StrEnum):
    """The collector functions; the value is also the `Collector` dimension of health metrics."""

    ECS_COUNTS = "ecs_counts"
    EC2_EBS_STATE = "ec2_ebs_state"


class Group(StrEnum):
    """Which part of the account a metric describes; the dashboard has a row per group."""

    ECS = "ecs"
    ECS_SERVICE = "ecs_service"
    EC2 = "ec2"
    EC2_WATCH = "ec2_watch"
    EBS = "ebs"
    HEALTH = "health"
    EC2_EVENTS = "ec2_events"  # the events mode's own health (ec2StateSource "events" only)

    @property
    def heading(self) -> str:
        """The heading of the group's dashboard row and chart panel."""
        return _GROUP_TITLES[self]


_GROUP_TITLES: dict[Group, str] = {
    Group.ECS: "ECS clusters",
    Group.ECS_SERVICE: "ECS services",
    Group.EC2: "EC2 instances",
    Group.EC2_WATCH: "Watched instances",
    Group.EBS: "EBS volumes and snapshots",
    Group.HEALTH: "Pipeline health",
    Group.EC2_EVENTS: "EC2/EBS state events (reconcile)",
}


class Unit(StrEnum):
    """The CloudWatch units this pipeline uses (the API's spelling)."""

    COUNT = "Count"
    MILLISECONDS = "Milliseconds"
    NONE = "None"


# Dimension names.
CLUSTER_NAME = "ClusterName"
SERVICE_NAME = "ServiceName"
STATE = "State"
INSTANCE_ID = "InstanceId"
COLLECTOR = "Collector"

# Every state DescribeInstanceStatus and DescribeVolumes can report; each is emitted every sample,
# zeros included, because an alarm must see 0 rather than missing data.
INSTANCE_STATES: tuple[str, ...] = (
    "pending",
    "running",
    "shutting-down",
    "terminated",
    "stopping",
    "stopped",
)
VOLUME_STATES: tuple[str, ...] = ("creating", "available", "in-use", "deleting", "deleted", "error")


@dataclass(frozen=True)
class MetricSpec:
    """One metric: its name, unit and the exact dimension names it is published with."""

    name: str
    unit: Unit
    dimensions: tuple[str, ...]
    group: Group
    description: str
    optional: bool = False


RUNNING_TASK = MetricSpec(
    "RunningTask", Unit.COUNT, (CLUSTER_NAME,), Group.ECS, "Tasks in the RUNNING state in the cluster."
)
PENDING_TASK = MetricSpec(
    "PendingTask", Unit.COUNT, (CLUSTER_NAME,), Group.ECS, "Tasks in the PENDING state in the cluster."
)
ACTIVE_SERVICES = MetricSpec(
    "ActiveServices", Unit.COUNT, (CLUSTER_NAME,), Group.ECS, "Services in the ACTIVE state in the cluster."
)
REGISTERED_CONTAINER_INSTANCES = MetricSpec(
    "RegisteredContainerInstances",
    Unit.COUNT,
    (CLUSTER_NAME,),
    Group.ECS,
    "Container instances registered to the cluster (EC2 capacity; 0 for Fargate-only clusters).",
)


def _per_service(name: str, description: str) -> MetricSpec:
    """An optional per-service count (`serviceMetrics`), by cluster and service."""
    return MetricSpec(
        name, Unit.COUNT, (CLUSTER_NAME, SERVICE_NAME), Group.ECS_SERVICE, description, optional=True
    )


SERVICE_RUNNING_TASK = _per_service("ServiceRunningTask", "Running tasks of one service.")
SERVICE_PENDING_TASK = _per_service("ServicePendingTask", "Pending tasks of one service.")
SERVICE_DESIRED_TASK = _per_service("ServiceDesiredTask", "Desired task count of one service.")
INSTANCE_COUNT = MetricSpec(
    "InstanceCount", Unit.COUNT, (STATE,), Group.EC2, "EC2 instances in each instance state, zeros included."
)
IMPAIRED_INSTANCES = MetricSpec(
    "ImpairedInstances",
    Unit.COUNT,
    (),
    Group.EC2,
    "Instances whose instance or system status check is impaired.",
)
INSTANCE_STATE_CODE = MetricSpec(
    "InstanceStateCode",
    Unit.NONE,
    (INSTANCE_ID,),
    Group.EC2_WATCH,
    "State code of a watched instance (0 pending, 16 running, 32 shutting-down, 48 terminated, "
    "64 stopping, 80 stopped; -1 when the instance is not found).",
    optional=True,
)
VOLUME_COUNT = MetricSpec(
    "VolumeCount", Unit.COUNT, (STATE,), Group.EBS, "EBS volumes in each volume state, zeros included."
)
IMPAIRED_VOLUMES = MetricSpec(
    "ImpairedVolumes", Unit.COUNT, (), Group.EBS, "Volumes whose volume status is impaired."
)
PENDING_SNAPSHOTS = MetricSpec(
    "PendingSnapshots", Unit.COUNT, (), Group.EBS, "Snapshots owned by the account in the pending state."
)
SAMPLE_DELAY = MetricSpec(
    "SampleDelay",
    Unit.MILLISECONDS,
    (COLLECTOR,),
    Group.HEALTH,
    "Milliseconds between a sample's scheduled second and the start of its collection.",
)
COLLECTOR_ERRORS = MetricSpec(
    "CollectorErrors",
    Unit.COUNT,
    (COLLECTOR,),
    Group.HEALTH,
    "AWS API calls that failed during one sample, plus answer items skipped as malformed and "
    "states the catalogue does not know (0 when all succeeded).",
)
SAMPLES_DROPPED = MetricSpec(
    "SamplesDropped",
    Unit.COUNT,
    (COLLECTOR,),
    Group.HEALTH,
    "Samples that started more than one sampling period late and were not written.",
)
STATE_REPAIRS = MetricSpec(
    "StateRepairs",
    Unit.COUNT,
    (),
    Group.EC2_EVENTS,
    "Events mode: instances and volumes one reconcile run found in a state the events table did not "
    "hold (missed or misordered events); 0 when the event path is healthy.",
    optional=True,
)

ALL_METRICS: tuple[MetricSpec, ...] = (
    RUNNING_TASK,
    PENDING_TASK,
    ACTIVE_SERVICES,
    REGISTERED_CONTAINER_INSTANCES,
    SERVICE_RUNNING_TASK,
    SERVICE_PENDING_TASK,
    SERVICE_DESIRED_TASK,
    INSTANCE_COUNT,
    IMPAIRED_INSTANCES,
    INSTANCE_STATE_CODE,
    VOLUME_COUNT,
    IMPAIRED_VOLUMES,
    PENDING_SNAPSHOTS,
    SAMPLE_DELAY,
    COLLECTOR_ERRORS,
    SAMPLES_DROPPED,
    STATE_REPAIRS,
)


def metric(name: str) -> MetricSpec:
    """The catalogue entry for `name`; a KeyError names the unknown metric."""
    for spec in ALL_METRICS:
        if spec.name == name:
            return spec
    raise KeyError(f"metric {name!r} is not in the catalogue")
