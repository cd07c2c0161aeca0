"""EC2 instance and EBS volume/snapshot state counts, from the smallest API that carries each.

- DescribeInstanceStatus(IncludeAllInstances=True): every instance's state and status checks in
  1,000-item pages, much smaller than DescribeInstances. Feeds InstanceCount, ImpairedInstances
  and the watch list's InstanceStateCode (no extra call).
- DescribeVolumes: 500-volume pages; only `State` is read.
- DescribeVolumeStatus filtered on volume-status.status=impaired: only impaired volumes come back.
- DescribeSnapshots(OwnerIds=["self"]) filtered on status=pending: only pending snapshots come back.

Each API's failure loses only the metrics it feeds; the others are still written. An item in a
state the catalogue does not know is left out of the counts and reported as one fault per state
(CollectorErrors), with a log line naming it; a malformed item is skipped the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from collector_core import ec2_budget
from collector_core.catalogue import (
    IMPAIRED_INSTANCES,
    IMPAIRED_VOLUMES,
    INSTANCE_COUNT,
    INSTANCE_ID,
    INSTANCE_STATE_CODE,
    INSTANCE_STATES,
    PENDING_SNAPSHOTS,
    STATE,
    VOLUME_COUNT,
    VOLUME_STATES,
)
from collector_core.datum import Datum, datum
from collector_core.ec2_budget import (
    INSTANCE_STATUS_PAGE_SIZE,
    SNAPSHOT_PAGE_SIZE,
    VOLUME_PAGE_SIZE,
    VOLUME_STATUS_PAGE_SIZE,
    Fleet,
)
from collector_core.faults import Budget, Faults
from collector_core.paging import pages
from collector_core.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client

# InstanceStateCode of a watched instance that DescribeInstanceStatus does not return.
NOT_FOUND_CODE = -1
IMPAIRED = "impaired"
# Keys of the items a sample has listed so far (FleetWatch).
INSTANCES, VOLUMES = "instances", "volumes"


@dataclass
class InstanceCounts:
    states: Counter[str] = field(default_factory=Counter)
    impaired: int = 0
    # Watched instance id -> state code (low byte of InstanceState.Code: the high byte is internal).
    watched: dict[str, int] = field(default_factory=dict)
    malformed: int = 0  # items that are not objects at all


def report_unknown(operation: str, states: Counter[str], known: Sequence[str], faults: Faults) -> None:
    """One fault per state the catalogue lacks ("" when the item had none): such items are in no
    published count, so a new AWS state shows up as CollectorErrors instead of a silent gap."""
    for state, items in sorted(states.items()):
        if state not in known and items:
            faults.record_unknown_state(operation, state, items)


@dataclass
class FleetWatch:
    """The fleet the last sample listed, kept in the container, to predict whether the next sample
    can finish in its period with this function's CPU share (memory/1,769 of a vCPU)."""

    last: Fleet | None = None
    reported: int | None = -1  # the memory advice last logged: one line per change, not per sample

    def observe(self, seen: Counter[str], complete: set[str]) -> None:
        """Keep what this sample listed. A listing cut short (by the period's budget, typically:
        the very case to predict) still tells a lower bound, so a container whose first sample
        could not finish reports it on the next one."""
        last = self.last or Fleet(0, 0)
        instances, volumes = seen[INSTANCES], seen[VOLUMES]
        if INSTANCES not in complete:
            instances = max(instances, last.instances)
        if VOLUMES not in complete:
            volumes = max(volumes, last.volumes)
        if instances or volumes:
            self.last = Fleet(instances, volumes)

    def predict(self, settings: Settings, faults: Faults) -> None:
        if self.last is None or settings.memory_mb is None:
            return
        if ec2_budget.fits(self.last, settings.memory_mb, settings.period_seconds):
            self.reported = -1
            return
        needed = ec2_budget.memory_needed(self.last, settings.period_seconds)
        if needed == self.reported:
            return
        self.reported = needed
        faults.note(
            "EC2/EBS sample cannot finish in its period",
            instances=self.last.instances,
            volumes=self.last.volumes,
            memory_mb=settings.memory_mb,
            period_s=settings.period_seconds,
            predicted_cpu_s=round(ec2_budget.sample_seconds(self.last, settings.memory_mb), 2),
            memory_needed_mb=needed,
            advice=f"set collectorMemoryMb to {needed}"
            if needed
            else "lengthen samplePeriods.ec2_ebs_state (a full vCPU is not enough)",
        )


def collect(
    ec2: EC2Client, settings: Settings, *, budget: Budget, faults: Faults, fleet: FleetWatch | None = None
) -> list[Datum]:
    """The EC2/EBS datums of one sample (health datums excluded); faults recorded, never raised.

    With a `fleet` watch, a sample that the last fleet size says cannot finish in its period is
    reported (one log line naming the fleet and the memory it needs) before its pages run out.
    """
    if fleet is not None:
        fleet.predict(settings, faults)
    datums: list[Datum] = []
    seen: Counter[str] = Counter()  # items listed so far, per listing, even by a listing cut short
    complete: set[str] = set()
    try:
        instances = count_instances(ec2, settings.watch_instance_ids, budget, seen)
    except Exception as exc:  # any failure of one API loses only the metrics that API feeds
        faults.record("DescribeInstanceStatus", exc)
    else:
        report_unknown("DescribeInstanceStatus", instances.states, INSTANCE_STATES, faults)
        if instances.malformed:
            faults.record_malformed("DescribeInstanceStatus", f"{instances.malformed} item(s) not objects")
        datums += instance_datums(instances, settings.watch_instance_ids)
        complete.add(INSTANCES)
    try:
        volumes = count_volumes(ec2, budget, seen)
    except Exception as exc:
        faults.record("DescribeVolumes", exc)
    else:
        report_unknown("DescribeVolumes", volumes, VOLUME_STATES, faults)
        datums += [datum(VOLUME_COUNT, volumes[state], **{STATE: state}) for state in VOLUME_STATES]
        complete.add(VOLUMES)
    if fleet is not None:
        fleet.observe(seen, complete)
    return datums + volume_and_snapshot_datums(ec2, budget, faults)


def volume_and_snapshot_datums(ec2: EC2Client, budget: Budget, faults: Faults) -> list[Datum]:
    """ImpairedVolumes and PendingSnapshots: the filtered calls both state sources make."""
    datums: list[Datum] = []
    try:
        datums.append(datum(IMPAIRED_VOLUMES, count_impaired_volumes(ec2, budget)))
    except Exception as exc:
        faults.record("DescribeVolumeStatus", exc)
    try:
        datums.append(datum(PENDING_SNAPSHOTS, count_pending_snapshots(ec2, budget)))
    except Exception as exc:
        faults.record("DescribeSnapshots", exc)
    return datums


def count_instances(
    ec2: EC2Client, watch: Sequence[str], budget: Budget, seen: Counter[str] | None = None
) -> InstanceCounts:
    counts = InstanceCounts()
    watched = set(watch)
    seen = Counter() if seen is None else seen
    listed = ec2.get_paginator("describe_instance_status").paginate(
        IncludeAllInstances=True, PaginationConfig={"PageSize": INSTANCE_STATUS_PAGE_SIZE}
    )
    for page in pages(listed, budget, "DescribeInstanceStatus"):
        seen[INSTANCES] += len(page.get("InstanceStatuses", []))
        for status in page.get("InstanceStatuses", []):
            if not isinstance(status, dict):
                counts.malformed += 1
                continue
            state = status.get("InstanceState") or {}
            counts.states[str(state.get("Name") or "")] += 1
            checks = (status.get("InstanceStatus") or {}, status.get("SystemStatus") or {})
            counts.impaired += any(check.get("Status") == IMPAIRED for check in checks)
            if status.get("InstanceId") in watched:
                counts.watched[status["InstanceId"]] = state_code(state.get("Code"))
    return counts


def state_code(code: object) -> int:
    """The low byte of InstanceState.Code (the high byte is internal), or NOT_FOUND_CODE when AWS
    left the code out: 0 & 0xFF would claim "pending" and -1 & 0xFF is 255, a code that does not exist."""
    if isinstance(code, int) and not isinstance(code, bool) and code >= 0:
        return code & 0xFF
    return NOT_FOUND_CODE


def instance_datums(counts: InstanceCounts, watch: Iterable[str]) -> list[Datum]:
    datums = [datum(INSTANCE_COUNT, counts.states[state], **{STATE: state}) for state in INSTANCE_STATES]
    datums.append(datum(IMPAIRED_INSTANCES, counts.impaired))
    datums += [
        datum(INSTANCE_STATE_CODE, counts.watched.get(i, NOT_FOUND_CODE), **{INSTANCE_ID: i}) for i in watch
    ]
    return datums


def count_volumes(ec2: EC2Client, budget: Budget, seen: Counter[str] | None = None) -> Counter[str]:
    seen = Counter() if seen is None else seen
    listed = ec2.get_paginator("describe_volumes").paginate(PaginationConfig={"PageSize": VOLUME_PAGE_SIZE})
    states: Counter[str] = Counter()
    for page in pages(listed, budget, "DescribeVolumes"):
        seen[VOLUMES] += len(page.get("Volumes", []))
        states.update(
            str(volume.get("State") or "") if isinstance(volume, dict) else ""
            for volume in page.get("Volumes", [])
        )
    return states


def count_impaired_volumes(ec2: EC2Client, budget: Budget) -> int:
    listed = ec2.get_paginator("describe_volume_status").paginate(
        Filters=[{"Name": "volume-status.status", "Values": [IMPAIRED]}],
        PaginationConfig={"PageSize": VOLUME_STATUS_PAGE_SIZE},
    )
    # The filter already selects impaired volumes; the check below keeps the count right if a
    # backend (or an emulator) ignores it.
    return sum(
        1
        for page in pages(listed, budget, "DescribeVolumeStatus")
        for item in page.get("VolumeStatuses", [])
        if isinstance(item, dict) and (item.get("VolumeStatus") or {}).get("Status") == IMPAIRED
    )


def count_pending_snapshots(ec2: EC2Client, budget: Budget) -> int:
    listed = ec2.get_paginator("describe_snapshots").paginate(
        OwnerIds=["self"],
        Filters=[{"Name": "status", "Values": ["pending"]}],
        PaginationConfig={"PageSize": SNAPSHOT_PAGE_SIZE},
    )
    return sum(
        1
        for page in pages(listed, budget, "DescribeSnapshots")
        for snapshot in page.get("Snapshots", [])
        if isinstance(snapshot, dict) and snapshot.get("State") == "pending"
    )
