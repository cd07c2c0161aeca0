"""The reconcile job: a full count with the poll mode's fast listing, and the events table repaired
to it, so a missed event heals within one reconcile period.

Why it cannot race the event function into a wrong count: every repair is a change like any event's
(ec2_state_events.store), applied by the same conditional transaction, with the order of a
pseudo-event dated CONSISTENCY_MARGIN_S before the listing started (`(started - margin) * 10 - 1`).
EC2's Describe* calls are eventually consistent (a change can take seconds to show in a listing),
so the listing is trusted only for what is older than the margin:
- an event older than that (delivered late) is older than the repair and is refused when it
  arrives, as any stale event is;
- an event newer than that is newer than the repair: a stored item already that new is left alone
  (the listing may not show the change yet, or read the resource before it), and an event committed
  while the repair is in flight makes the repair's condition fail; the repair then re-reads and
  gives up, because what is stored is newer. A miss within the margin is repaired by the next run.
Resources the table holds but the listing no longer shows become `gone` tombstones (counted in no
state; DynamoDB's TTL deletes them a day later). A terminated instance or deleted volume leaving the
listing is the normal end of its life, not a repair; a first run on an empty table seeds it (counted
as seeded, not repaired), so only real misses raise StateRepairs.

What it does not do: rewrite items the listing agrees with (that would be a write per resource per
run: 100,000 instances every 10 minutes is 14.4 million transactional writes a day). So an event
delivered late for a round trip the listing saw completed (X -> Y -> X with the return to X missed)
can still apply Y; the next event or run of this job corrects it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from collector_core.ec2_budget import INSTANCE_STATUS_PAGE_SIZE, VOLUME_PAGE_SIZE
from collector_core.faults import Budget
from collector_core.paging import pages
from collector_core.state_table import Kind
from ec2_state_events.events import GONE, RANKS
from ec2_state_events.store import MAX_ACTIONS, Change, Store, Stored

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client

# Changes per transaction: each adds its Put and at most two counter items.
BATCH = MAX_ACTIONS // 3
# How long a change may take to show in EC2's eventually consistent listings before the listing is
# believed over a stored event; AWS gives no bound ("Eventual consistency in the Amazon EC2 API"),
# changes usually show within seconds.
CONSISTENCY_MARGIN_S = 60
ENDED = {Kind.INSTANCE: "terminated", Kind.VOLUME: "deleted"}


@dataclass
class Report:
    """What one run found and did; `repaired` is the StateRepairs datum."""

    listed: dict[Kind, int] = field(default_factory=dict)
    repaired: int = 0
    seeded: int = 0
    expired: int = 0
    newer_kept: int = 0  # differences left alone because an event newer than the listing is stored

    def as_dict(self) -> dict[str, object]:
        return {
            "listed": {k.value: n for k, n in self.listed.items()},
            "repaired": self.repaired,
            "seeded": self.seeded,
            "expired": self.expired,
            "newer_kept": self.newer_kept,
        }


def list_states(ec2: EC2Client, budget: Budget) -> dict[tuple[Kind, str], str]:
    """Every instance's and volume's state, by id, from the paginated listings."""
    states: dict[tuple[Kind, str], str] = {}
    listed = ec2.get_paginator("describe_instance_status").paginate(
        IncludeAllInstances=True, PaginationConfig={"PageSize": INSTANCE_STATUS_PAGE_SIZE}
    )
    for page in pages(listed, budget, "DescribeInstanceStatus"):
        for status in page.get("InstanceStatuses", []):
            state = (status.get("InstanceState") or {}).get("Name")
            if status.get("InstanceId") and state:
                states[(Kind.INSTANCE, status["InstanceId"])] = str(state)
    volumes = ec2.get_paginator("describe_volumes").paginate(PaginationConfig={"PageSize": VOLUME_PAGE_SIZE})
    for volume_page in pages(volumes, budget, "DescribeVolumes"):
        for volume in volume_page.get("Volumes", []):
            if volume.get("VolumeId") and volume.get("State"):
                states[(Kind.VOLUME, volume["VolumeId"])] = str(volume["State"])
    return states


def reconcile(ec2: EC2Client, store: Store, *, budget: Budget, clock: Callable[[], float]) -> Report:
    """List everything, compare with the table, repair the differences through conditional writes."""
    started = clock()  # before the listing: the repairs' order must precede anything it did not see
    repair_order = int(started - CONSISTENCY_MARGIN_S) * RANKS - 1
    first_run = not store.is_seeded()
    polled = list_states(ec2, budget)
    report = Report(listed={kind: sum(1 for k, _ in polled if k is kind) for kind in Kind})
    stored = {(kind, rid): item for kind, rid, item in store.items()}
    changes: list[Change] = []
    for (kind, rid), state in polled.items():
        item = stored.get((kind, rid))
        if item is None or item.state != state:
            changes.append(Change(kind, rid, item, state, repair_order, "reconcile"))
    for (kind, rid), item in stored.items():
        if (kind, rid) not in polled and item.state != GONE:
            changes.append(Change(kind, rid, item, GONE, repair_order, "reconcile"))
    for change in changes:
        if change.seen is not None and change.seen.order > repair_order:
            report.newer_kept += 1
    due = [c for c in changes if c.seen is None or c.seen.order <= repair_order]
    for batch in _batches(due, BATCH):
        applied = batch if store.transact(batch) else [c for c in batch if _one(store, c)]
        report.newer_kept += len(batch) - len(applied)
        for change in applied:
            if change.state == GONE and change.seen is not None and change.seen.state == ENDED[change.kind]:
                report.expired += 1
            elif first_run:
                report.seeded += 1
            else:
                report.repaired += 1
    if first_run:
        store.mark_seeded()
    return report


def _one(store: Store, change: Change) -> bool:
    """A change whose batch was refused (another writer touched one of its resources): re-read and
    apply it alone while what is stored is still older than the listing; else leave it."""
    for _ in range(3):
        seen: Stored | None = store.read(change.kind, change.resource_id)
        if seen is not None and (seen.order > change.order or seen.state == change.state):
            return False
        if store.transact(
            [Change(change.kind, change.resource_id, seen, change.state, change.order, change.event_id)]
        ):
            return True
    return False


def _batches(changes: Sequence[Change], size: int) -> Iterator[Sequence[Change]]:
    for start in range(0, len(changes), size):
        yield changes[start : start + size]
