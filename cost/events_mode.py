"""The events mode's own usage, priced: what the state table, the event function and the reconcile
job cost per day for a fleet and its churn, next to what polling the same fleet costs.

The request counts follow the code, not a measurement of AWS's bill:
- per event (ec2_state_events.store.Store.apply): one strongly consistent GetItem (1 RRU, the
  item is far below 4 KB) and one TransactWriteItems of the resource item and at most two counter
  items, each below 1 KB: 2 WRU apiece (transactional), so at most 6 WRU. A duplicate or a late
  event stops after the GetItem. Contention retries are left out (rare: counters are sharded).
- per churned instance: pending, running, shutting-down, terminated (4 instance events) and, for
  its volume, 6 volume events: the CreateVolume, AttachVolume, DetachVolume and DeleteVolume API
  calls (CloudTrail, where a trail logs management events) and the createVolume and deleteVolume
  notifications (an upper bound: without a trail only the 2 notifications arrive, and a root volume
  created by the launch may send fewer), plus the reconcile's tombstones when both leave the
  listing (2 transactions of an item and one counter: 4 WRU each).
- the failures queue (failed events) costs nothing while empty: SQS bills per request, and a healthy
  event path sends none; its alarm is priced with the other alarms, from the template.
- per sample (ec2_ebs_state.from_table): one eventually consistent Query of every counter item
  (COUNTER_SHARDS x 12 states x ~40 B, about 4.8 KB: 2 x 4 KB x 0.5 = 1 RRU).
- per reconcile run: one strongly consistent Scan of every item (~120 B each, 1 RRU per 4 KB) and
  the listing's CPU from collector_core.ec2_budget, at the reconcile function's memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from collector_core import ec2_budget
from cost import pricing
from ec2_state_events.store import COUNTER_SHARDS

INSTANCE_EVENTS_PER_LIFE = 4
VOLUME_EVENTS_PER_LIFE = 6  # 4 API calls via CloudTrail + createVolume and deleteVolume
EVENT_WRU = 6  # GetItem aside: a transactional Put + two counter Updates, 2 WRU each
EVENT_RRU = 1  # the strongly consistent GetItem
TOMBSTONE_WRU = 4  # reconcile: a transactional Put + one counter Update
ITEM_BYTES = 120
COUNTER_ITEM_BYTES = 40
STATES = 12  # INSTANCE_STATES + VOLUME_STATES
# The event function's billed time per event: a GetItem and a TransactWriteItems from Lambda,
# ~10 ms each (DynamoDB's single-digit-millisecond latency plus the TLS-kept connection), plus the
# handler: an estimate, not a measurement (no AWS account here).
EVENT_DURATION_MS = 30.0
EVENT_MEMORY_MB = 256
# Client CPU per scanned item (botocore's JSON parse of DynamoDB attribute values): an estimate
# of the same order as the EC2 listing's per-item cost in collector_core.ec2_budget.
SCAN_CPU_S_PER_ITEM = 15e-6
RECONCILE_MEMORY_MB = 1024
# The poll collector's memory, and the events mode's per-sample duration (a Query and four small
# EC2 calls, ~10 ms each): an estimate.
POLL_MEMORY_MB = 256
EVENTS_SAMPLE_DURATION_MS = 50.0


@dataclass(frozen=True)
class Scenario:
    """A fleet (instances, each with one volume), the share of it replaced per day, the periods."""

    instances: int
    daily_churn: float
    sample_period_s: int = 1
    reconcile_minutes: int = 10


@dataclass(frozen=True)
class DailyCost:
    """One mode's cost per day, itemized (USD), and the EC2 API calls per sample."""

    items: dict[str, float]
    calls_per_sample: int
    note: str = ""

    @property
    def total(self) -> float:
        return sum(self.items.values())


def _lambda_usd(invocations: float, duration_s: float, memory_mb: int) -> float:
    gb_seconds = invocations * duration_s * memory_mb / 1024
    return invocations * pricing.LAMBDA_REQUEST.usd + gb_seconds * pricing.LAMBDA_GB_SECOND["arm64"].usd


def events_cost(s: Scenario) -> DailyCost:
    churned = s.instances * s.daily_churn
    events = churned * (INSTANCE_EVENTS_PER_LIFE + VOLUME_EVENTS_PER_LIFE)
    samples = 86_400 / s.sample_period_s
    runs = 1440 / s.reconcile_minutes
    resources = 2 * s.instances
    query_rru = max(0.5, math.ceil(COUNTER_SHARDS * STATES * COUNTER_ITEM_BYTES / 4096) * 0.5)
    scan_rru = math.ceil(resources * ITEM_BYTES / 4096)
    fleet = ec2_budget.Fleet(s.instances, s.instances)
    reconcile_s = (ec2_budget.cpu_seconds(fleet) + resources * SCAN_CPU_S_PER_ITEM) * (
        ec2_budget.LAMBDA_MB_PER_VCPU / min(RECONCILE_MEMORY_MB, ec2_budget.LAMBDA_MB_PER_VCPU)
    )
    wru = events * EVENT_WRU + 2 * churned * TOMBSTONE_WRU
    rru = events * EVENT_RRU + samples * query_rru + runs * scan_rru
    storage_gb = resources * ITEM_BYTES / 1e9
    items = {
        "DynamoDB writes": wru * pricing.DYNAMODB_WRITE_REQUEST_UNIT.usd,
        "DynamoDB reads": rru * pricing.DYNAMODB_READ_REQUEST_UNIT.usd,
        "DynamoDB storage": storage_gb * pricing.DYNAMODB_STORAGE_GB_MONTH.usd / (730 / 24),
        "Event function": _lambda_usd(events, EVENT_DURATION_MS / 1000, EVENT_MEMORY_MB),
        "Reconcile function": _lambda_usd(runs, reconcile_s, RECONCILE_MEMORY_MB),
        "Collector (events)": _lambda_usd(samples, EVENTS_SAMPLE_DURATION_MS / 1000, POLL_MEMORY_MB),
        "EventBridge state events": events * pricing.EVENTBRIDGE_AWS_SERVICE_EVENT.usd,
    }
    note = f"{events:,.0f} events/day, reconcile {reconcile_s:.1f} s x {runs:.0f} runs"
    return DailyCost(items, events_calls_per_sample(), note)


def events_calls_per_sample(watched: bool = False) -> int:
    """EC2 + DynamoDB calls of one events-mode sample: Query, two impaired-instance listings,
    DescribeVolumeStatus, DescribeSnapshots (+ BatchGetItem with a watch list). No fleet term."""
    return 5 + (1 if watched else 0)


def poll_cost(s: Scenario) -> DailyCost | None:
    """Polling the same fleet at the shortest period the EC2 API budget allows (None: none does)."""
    fleet = ec2_budget.Fleet(s.instances, s.instances)
    period = ec2_budget.shortest_period(fleet)
    if period is None:
        return None
    samples = 86_400 / period
    seconds = ec2_budget.sample_seconds(fleet, POLL_MEMORY_MB)
    items = {"Collector (poll)": _lambda_usd(samples, seconds, POLL_MEMORY_MB)}
    return DailyCost(
        items, ec2_budget.calls_per_sample(fleet), f"every {period} s, {seconds:.2f} s per sample"
    )
