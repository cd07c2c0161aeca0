"""Events mode: the EC2/EBS datums of one sample from the events table's counters, in calls that do
not grow with the fleet.

- One Query on the counters partition (collector_core.state_table): InstanceCount and VolumeCount,
  every state, zeros included, the same names and dimensions as poll mode.
- DescribeInstanceStatus filtered on instance-status.status=impaired, then on
  system-status.status=impaired (EC2 ANDs filters, so the "either" of poll mode takes two calls;
  the ids are unioned): ImpairedInstances. Only impaired instances come back.
- DescribeVolumeStatus (impaired) and DescribeSnapshots (pending), as in poll mode.
- With a watch list, one BatchGetItem of the watched instances' items: InstanceStateCode.

How the values differ from poll mode's, by design: a terminated instance (a deleted volume) stays
counted until the reconcile job no longer finds it in the listing (DescribeInstanceStatus keeps
terminated instances about an hour), so the terminated count steps down at a reconcile run; the
short-lived `creating` and `deleting` volume states have no event and are counted only when a
reconcile run happens to list a volume in them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from collector_core.catalogue import (
    IMPAIRED_INSTANCES,
    INSTANCE_COUNT,
    INSTANCE_ID,
    INSTANCE_STATE_CODE,
    INSTANCE_STATES,
    STATE,
    VOLUME_COUNT,
    VOLUME_STATES,
)
from collector_core.datum import Datum, datum
from collector_core.ec2_budget import INSTANCE_STATUS_PAGE_SIZE
from collector_core.faults import Budget, Faults
from collector_core.paging import pages
from collector_core.state_table import Kind, StateTable
from ec2_ebs_state.collect import IMPAIRED, NOT_FOUND_CODE, volume_and_snapshot_datums

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client

# InstanceState.Code of each state name (EC2 API reference, InstanceState).
STATE_CODES = {
    "pending": 0,
    "running": 16,
    "shutting-down": 32,
    "terminated": 48,
    "stopping": 64,
    "stopped": 80,
}
IMPAIRED_FILTERS = ("instance-status.status", "system-status.status")


def collect_from_table(
    ec2: EC2Client, table: StateTable, watch: Sequence[str], *, budget: Budget, faults: Faults
) -> list[Datum]:
    """The same datums as `collect.collect` (health excluded); each call's failure loses only its own."""
    datums: list[Datum] = []
    try:
        budget.check("Query")
        counts = table.counts()
    except Exception as exc:  # any failure of one call loses only the metrics it feeds
        faults.record("Query", exc)
    else:
        datums += [datum(INSTANCE_COUNT, counts[Kind.INSTANCE][s], **{STATE: s}) for s in INSTANCE_STATES]
        datums += [datum(VOLUME_COUNT, counts[Kind.VOLUME][s], **{STATE: s}) for s in VOLUME_STATES]
    try:
        datums.append(datum(IMPAIRED_INSTANCES, count_impaired_instances(ec2, budget)))
    except Exception as exc:
        faults.record("DescribeInstanceStatus", exc)
    if watch:
        try:
            budget.check("BatchGetItem")
            states = table.states(Kind.INSTANCE, watch)
        except Exception as exc:
            faults.record("BatchGetItem", exc)
        else:
            datums += [
                datum(
                    INSTANCE_STATE_CODE,
                    STATE_CODES.get(states.get(i, ""), NOT_FOUND_CODE),
                    **{INSTANCE_ID: i},
                )
                for i in watch
            ]
    return datums + volume_and_snapshot_datums(ec2, budget, faults)


def count_impaired_instances(ec2: EC2Client, budget: Budget) -> int:
    """Instances whose instance or system status check is impaired: one filtered listing per check."""
    impaired: set[str] = set()
    for name in IMPAIRED_FILTERS:
        listed = ec2.get_paginator("describe_instance_status").paginate(
            Filters=[{"Name": name, "Values": [IMPAIRED]}],
            PaginationConfig={"PageSize": INSTANCE_STATUS_PAGE_SIZE},
        )
        for page in pages(listed, budget, "DescribeInstanceStatus"):
            for status in page.get("InstanceStatuses", []):
                checks = (status.get("InstanceStatus") or {}, status.get("SystemStatus") or {})
                # As in poll mode, the check is read, not trusted to the filter (moto ignores it).
                if isinstance(status, dict) and any(c.get("Status") == IMPAIRED for c in checks):
                    impaired.add(str(status.get("InstanceId")))
    return len(impaired)
