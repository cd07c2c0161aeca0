"""A believable account for the emulator, and a scripted minute of changes to it.

Seeded through the AWS APIs where moto implements them (clusters, container instances, tasks,
services, instances, volumes, snapshots). What AWS does on its own schedule and moto does not
(tasks waiting in PENDING, services counted as active, a volume in `error`, a snapshot still
copying) is set in moto's model, and each place says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_block_store import Volume
from moto.ecs.models import ecs_backends

from local.emulator import ACCOUNT, REGION, EmbeddedAws
from stacks.constructs.snapshot_notifications_construct import DETAIL_TYPE as SNAPSHOT_NOTIFICATION

AMI = "ami-12c6146b"  # an image moto ships
# Running tasks and container instances per cluster (batch runs on Fargate: no instances).
CLUSTERS: dict[str, dict[str, int]] = {
    "web": {"running": 6, "instances": 2, "services": 2},
    "batch": {"running": 3, "instances": 0, "services": 1},
    "payments": {"running": 4, "instances": 1, "services": 2},
}
# Created during the scenario minute, after the deploy: no per-cluster alarm names it, the fleet
# alarms cover it from the collector's next cluster listing (the list is kept 60 s).
NEW_CLUSTER = "reports"
NEW_CLUSTER_SECOND = 25
NEW_CLUSTER_RUNNING = 2
SNAPSHOT_FAILURE_SECOND = 50
INSTANCES = {"running": 5, "stopped": 1}
VOLUMES = {"available": 3, "creating": 1, "error": 1}  # besides the instances' root volumes


# Events mode: seconds from a state change to the event function's invocation. AWS promises no
# figure; EC2 state-change events typically arrive within a second or two. 1.5 s, not a whole
# number, so a delivery never races the sample of the same second: the samples at the change's
# second and the next one still show the old state (EVENT_LAG_SAMPLES), the one after shows the new.
EVENT_DELAY_S = 1.5
EVENT_LAG_SAMPLES = 2


@dataclass(frozen=True)
class StateEvent:
    """An EC2 state-change notification the change makes EC2 send: `state` of `instance_id`, timed
    at the change's second, delivered `delay_s` after it (so a later delay can deliver it late)."""

    instance_id: str
    state: str
    delay_s: float
    note: str = ""


@dataclass
class Change:
    """At `second` past the scheduled minute, `apply` changes the account as `description` says;
    `events` are the state-change notifications a real account would send for it."""

    second: int
    description: str
    apply: Callable[[], None]
    applied: bool = False
    events: tuple[StateEvent, ...] = ()


@dataclass
class DemoAccount:
    """Handles to what was seeded, and the scenario that changes it."""

    aws: EmbeddedAws
    account_id: str = ACCOUNT
    instance_ids: list[str] = field(default_factory=list)
    volume_ids: dict[str, list[str]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)

    def client(self, service: str) -> Any:
        return self.aws.accounts[self.account_id].client(service)

    def due(self, second: float) -> list[Change]:
        """The changes whose second has come and that have not been applied yet, applied now."""
        applied = []
        for change in self.changes:
            if not change.applied and second >= change.second:
                change.apply()
                change.applied = True
                applied.append(change)
        return applied


def seed_account(aws: EmbeddedAws, account_id: str = ACCOUNT, scenario: bool = True) -> DemoAccount:
    """Create the clusters, instances, volumes and snapshots in `account_id`; return handles and
    the scenario (none when `scenario` is false: the account stays as seeded)."""
    account = DemoAccount(aws, account_id)
    ec2, ecs = account.client("ec2"), account.client("ecs")
    ecs.register_task_definition(
        family="app",
        containerDefinitions=[{"name": "app", "image": "public.ecr.aws/nginx/nginx", "memory": 64}],
    )
    for name, shape in CLUSTERS.items():
        ecs.create_cluster(clusterName=name)
        for _ in range(shape["instances"]):
            instance_id = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
            account.instance_ids.append(instance_id)
            ecs.register_container_instance(
                cluster=name, instanceIdentityDocument=json.dumps({"instanceId": instance_id})
            )
        _set_cluster(
            account_id, name, running_tasks_count=shape["running"], active_services_count=shape["services"]
        )
    extra = INSTANCES["running"] + INSTANCES["stopped"] - len(account.instance_ids)
    reservation = ec2.run_instances(ImageId=AMI, MinCount=extra, MaxCount=extra)
    account.instance_ids += [i["InstanceId"] for i in reservation["Instances"]]
    ec2.stop_instances(InstanceIds=account.instance_ids[-INSTANCES["stopped"] :])
    for state, count in VOLUMES.items():
        account.volume_ids[state] = [
            ec2.create_volume(Size=8, AvailabilityZone=f"{REGION}a")["VolumeId"] for _ in range(count)
        ]
    _volume_states(aws, {v: s for s, ids in account.volume_ids.items() for v in ids if s != "available"})
    aws.accounts[account_id].volume_statuses[account.volume_ids["error"][0]] = "impaired"
    snapshot = ec2.create_snapshot(VolumeId=account.volume_ids["available"][0])["SnapshotId"]
    # moto completes snapshots at once; AWS keeps them pending while it copies blocks.
    ec2_backends[account_id][REGION].snapshots[snapshot].status = "pending"
    account.changes = _scenario(account) if scenario else []
    return account


def expected_cluster_counts(second: int) -> dict[str, dict[str, int]]:
    """What the ECS metrics must say at `second` of the scenario minute (for the tests and the demo)."""
    web_pending = 12 if 20 <= second < 30 else 6 if 30 <= second < 40 else 0
    web_running = CLUSTERS["web"]["running"] + (6 if 30 <= second < 40 else 12 if second >= 40 else 0)
    counts = {
        name: {
            "RunningTask": shape["running"],
            "PendingTask": 0,
            "ActiveServices": shape["services"],
            "RegisteredContainerInstances": shape["instances"],
        }
        for name, shape in CLUSTERS.items()
    }
    counts["web"].update(PendingTask=web_pending, RunningTask=web_running)
    return counts


def expected_instance_counts(second: int) -> dict[str, int]:
    running = INSTANCES["running"] - (1 if second >= 45 else 0)
    stopped = INSTANCES["stopped"] + (1 if second >= 45 else 0)
    return {
        "pending": 0,
        "running": running,
        "shutting-down": 0,
        "terminated": 0,
        "stopping": 0,
        "stopped": stopped,
    }


def expected_instance_counts_from_events(second: int) -> dict[str, int]:
    """Events mode: the counts as EC2 has announced them, EVENT_LAG_SAMPLES behind the account."""
    return expected_instance_counts(second - EVENT_LAG_SAMPLES)


def instance_state_event(instance_id: str, state: str, at: float, event_id: str) -> dict[str, Any]:
    """An "EC2 Instance State-change Notification" as EventBridge delivers it (AWS EC2 user guide,
    "EC2 instance state change events")."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2",
        "account": ACCOUNT,
        "time": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{instance_id}"],
        "detail": {"instance-id": instance_id, "state": state},
    }


def _scenario(account: DemoAccount) -> list[Change]:
    web, at = "web", account.account_id

    def burst() -> None:
        _set_cluster(at, web, pending_tasks_count=12)

    def half_drained() -> None:
        _set_cluster(at, web, pending_tasks_count=6, running_tasks_count=CLUSTERS[web]["running"] + 6)

    def drained() -> None:
        _set_cluster(at, web, pending_tasks_count=0, running_tasks_count=CLUSTERS[web]["running"] + 12)

    def stop_instance() -> None:
        account.client("ec2").stop_instances(InstanceIds=[account.instance_ids[-2]])

    def new_cluster() -> None:
        account.client("ecs").create_cluster(clusterName=NEW_CLUSTER)
        _set_cluster(at, NEW_CLUSTER, running_tasks_count=NEW_CLUSTER_RUNNING)

    volume = account.volume_ids["available"][1]

    def snapshot_fails() -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        account.aws.emit_event(snapshot_failed_event(volume, now), at)

    snapshot = [
        Change(
            SNAPSHOT_FAILURE_SECOND,
            f"EBS: a snapshot of {volume} fails (its KMS key is disabled)",
            snapshot_fails,
        )
    ]
    return [
        Change(20, "web: a deployment asks for 12 more tasks; they wait in PENDING", burst),
        Change(30, "web: 6 of the new tasks start running", half_drained),
        Change(40, "web: the other 6 start running; nothing pending", drained),
        Change(
            NEW_CLUSTER_SECOND,
            f"ECS: cluster {NEW_CLUSTER} is created with {NEW_CLUSTER_RUNNING} tasks "
            "(no per-cluster alarm names it)",
            new_cluster,
        ),
        Change(
            45,
            f"EC2: instance {account.instance_ids[-2]} stops",
            stop_instance,
            # moto stops at once; AWS announces stopping then stopped. Here the stopped event
            # arrives first, stopping is delivered late (out of order: the table must refuse
            # it), and stopped is delivered a second time (at least once: counted once).
            events=(
                StateEvent(account.instance_ids[-2], "stopped", EVENT_DELAY_S),
                StateEvent(account.instance_ids[-2], "stopping", EVENT_DELAY_S + 1, "out of order"),
                StateEvent(account.instance_ids[-2], "stopped", EVENT_DELAY_S + 2, "duplicate"),
            ),
        ),
        *(snapshot if account.aws.accounts[at].snapshot_rule else []),
    ]


def snapshot_failed_event(volume_id: str, time: str = "2026-12-01T12:00:50Z") -> dict[str, Any]:
    """A failed createSnapshot notification, in the shape the EBS user guide documents."""
    return {
        "version": "0",
        "id": "01234567-0123-0123-0123-012345678901",
        "detail-type": SNAPSHOT_NOTIFICATION,
        "source": "aws.ec2",
        "account": ACCOUNT,
        "time": time,
        "region": REGION,
        "resources": [f"arn:aws:ec2::{REGION}:snapshot/snap-0demo0failed00001"],
        "detail": {
            "event": "createSnapshot",
            "result": "failed",
            "cause": "The KMS key is disabled",
            "request-id": "",
            "snapshot_id": f"arn:aws:ec2::{REGION}:snapshot/snap-0demo0failed00001",
            "source": f"arn:aws:ec2::{REGION}:volume/{volume_id}",
            "startTime": "2026-12-01T12:00:40Z",
            "endTime": "2026-12-01T12:00:50Z",
        },
    }


def _set_cluster(account_id: str, name: str, **counts: int) -> None:
    """moto keeps cluster counts as plain numbers and never reports PENDING tasks or active
    services by itself; set them in its model, as AWS would report them."""
    cluster: Any = ecs_backends[account_id][REGION].clusters[name]
    for attribute, value in counts.items():
        setattr(cluster, attribute, value)


def _volume_states(aws: EmbeddedAws, overrides: dict[str, str]) -> None:
    """moto derives a volume's state from its attachment only; give these the states AWS has."""
    getter = vars(Volume)["status"].fget
    assert getter is not None
    aws.patch(Volume, "status", property(lambda volume: overrides.get(volume.id) or str(getter(volume))))
