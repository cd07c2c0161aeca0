"""The state table: one item per resource and sharded per-state counters, changed only together.

Layout (one table, string keys `pk`/`sk`):
- resource item  pk=`instance#i-...` or `volume#vol-...`, sk=`state`: `state`, `order` (the event's
  epoch second x 10 + a life-cycle rank, see `events.order_of`), `event_id`, and for a resource
  that is gone an `expires_at` for DynamoDB's TTL (free deletes; the tombstone only has to outlive
  late deliveries).
- counter item   pk=`counters`, sk=`instance#running#3`: `n`. Each state's count is split over
  COUNTER_SHARDS items (a resource always uses the shard its id hashes to), so a burst of events on
  different resources does not queue on one hot item; the collector reads every counter with one
  Query on pk=`counters` (about 120 items of ~40 bytes: one read request unit).

Why the counts stay exact under EventBridge's at-least-once, unordered delivery
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html: "at least once";
order is not guaranteed) -- every change is one TransactWriteItems
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html) that
holds the resource item's Put and the counter Updates, all or nothing:
1. The Put is conditional on the item being exactly what the writer read (`order = :seen`, or
   `attribute_not_exists(pk)` when there was none) and on the new order being greater
   (`order < :order`). So the -1 on the old state's counter is applied only if the old state is
   still the stored one (no counter is decremented twice), and the +1 only if this change is the
   one replacing it.
2. A duplicate delivery has the same order as the stored item: `order < :order` fails, the whole
   transaction is cancelled, nothing is counted twice.
3. An older event delivered late has a smaller order: it fails the same way, so a state never
   regresses. A missing event leaves the item at its last known state until a later event (or the
   reconcile job) replaces it; the counts are then one resource off, never drifting further.
4. Two writers on one resource (a duplicate racing its original, an event racing the reconcile):
   both read the same `:seen`; the first commit changes `order`, so the second's condition fails.
   The loser re-reads the item and tries again only if its change is still newer than what is now
   stored; otherwise it is a no-op (`apply` returns False). Two writers on different resources
   sharing a counter item can cancel each other with TransactionConflict; that is retried the same
   way, since nothing was written.
The transaction also carries a ClientRequestToken derived from (resource, seen, new): the SDK's own
retry of a request that timed out is then idempotent on the server for ten minutes instead of
coming back as a cancellation.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from collector_core.state_table import COUNTERS_PK, STATE_SK, Kind, StateTable, counter_sk, resource_pk
from ec2_state_events.events import GONE, STATES, StateEvent

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

SEEDED_PK, SEEDED_SK = "meta", "seeded"
COUNTER_SHARDS = 10
# TransactWriteItems takes at most 100 actions and no two on one item: a batch of changes leaves
# room for every counter item it can touch at most once (2 per change in the worst case).
MAX_ACTIONS = 100
# A gone resource's tombstone keeps refusing its late events for a day, then TTL deletes it.
TOMBSTONE_SECONDS = 86_400
# Attempts of one change when another writer got there first (each re-reads the item).
MAX_ATTEMPTS = 5
_RETRYABLE_REASONS = {"ConditionalCheckFailed", "TransactionConflict", "None"}
# DynamoDB's partition key limit ("Partition key length": 1 to 2,048 bytes, Constraints in Amazon
# DynamoDB, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html). A
# longer key makes GetItem fail with a ValidationException, which would be retried and then dropped.
PARTITION_KEY_MAX_BYTES = 2048


def key_fits(kind: Kind, resource_id: str) -> bool:
    """Whether the resource's item key is within DynamoDB's partition key size (UTF-8 bytes)."""
    return len(resource_pk(kind, resource_id).encode()) <= PARTITION_KEY_MAX_BYTES


def shard(resource_id: str) -> int:
    return zlib.crc32(resource_id.encode()) % COUNTER_SHARDS


@dataclass(frozen=True)
class Stored:
    """A resource item as read: its state and order (None when the table has no item)."""

    state: str
    order: int


@dataclass(frozen=True)
class Change:
    """Replace what a writer saw stored for one resource with a newer state."""

    kind: Kind
    resource_id: str
    seen: Stored | None
    state: str
    order: int
    event_id: str = ""


class Store(StateTable):
    """The table's items and counters, through one DynamoDB client (bounded, standard retries); the
    reads the collector also makes (`counts`, `states`) are StateTable's."""

    def __init__(self, dynamodb: DynamoDBClient, table: str, clock: Callable[[], float] = time.time) -> None:
        super().__init__(dynamodb, table)
        self.clock = clock

    def read(self, kind: Kind, resource_id: str) -> Stored | None:
        # Strongly consistent: the condition compares against exactly this read.
        item = self.dynamodb.get_item(
            TableName=self.table,
            Key={"pk": {"S": resource_pk(kind, resource_id)}, "sk": {"S": STATE_SK}},
            ConsistentRead=True,
        ).get("Item")
        return _stored(item) if item else None

    def apply(self, event: StateEvent) -> bool:
        """Apply one event; True when it changed the table, False when it was stale or a duplicate."""
        for _ in range(MAX_ATTEMPTS):
            seen = self.read(event.kind, event.resource_id)
            if seen is not None and seen.order >= event.order:
                return False  # a duplicate, or older than what is stored
            change = Change(event.kind, event.resource_id, seen, event.state, event.order, event.event_id)
            if self.transact([change]):
                return True
        raise RuntimeError(f"{event.resource_id}: still contended after {MAX_ATTEMPTS} attempts")

    def transact(self, changes: Sequence[Change]) -> bool:
        """Write `changes` (distinct resources) and their counter deltas in one transaction.

        False when a condition failed or the transaction conflicted: nothing was written, and the
        caller re-reads. The counter deltas of the batch are summed per counter item first, since a
        transaction may not touch one item twice.
        """
        actions: list[dict[str, Any]] = [self._put(change) for change in changes]
        deltas: Counter[tuple[Kind, str, int]] = Counter()
        for change in changes:
            shard_no = shard(change.resource_id)
            if change.seen is not None and change.seen.state in STATES[change.kind]:
                deltas[(change.kind, change.seen.state, shard_no)] -= 1
            if change.state in STATES[change.kind]:
                deltas[(change.kind, change.state, shard_no)] += 1
        for (kind, state, shard_no), delta in sorted(deltas.items()):
            if delta:
                actions.append(self._count(kind, state, shard_no, delta))
        if len(actions) > MAX_ACTIONS:
            raise ValueError(f"{len(actions)} actions: a transaction takes at most {MAX_ACTIONS}")
        try:
            self.dynamodb.transact_write_items(TransactItems=actions, ClientRequestToken=_token(changes))  # type: ignore[arg-type]
        except ClientError as exc:
            if _cancelled_for_retry(exc):
                return False
            raise
        return True

    def _put(self, change: Change) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": {"S": resource_pk(change.kind, change.resource_id)},
            "sk": {"S": STATE_SK},
            "state": {"S": change.state},
            "order": {"N": str(change.order)},
            "event_id": {"S": change.event_id},
        }
        if change.state == GONE:
            item["expires_at"] = {"N": str(int(self.clock()) + TOMBSTONE_SECONDS)}
        values: dict[str, Any] = {":order": {"N": str(change.order)}}
        if change.seen is None:
            condition = "attribute_not_exists(pk)"
        else:
            condition = "#order = :seen AND #order < :order"
            values[":seen"] = {"N": str(change.seen.order)}
        put: dict[str, Any] = {
            "TableName": self.table,
            "Item": item,
            "ConditionExpression": condition,
        }
        if change.seen is not None:
            put["ExpressionAttributeNames"] = {"#order": "order"}
            put["ExpressionAttributeValues"] = values
        return {"Put": put}

    def _count(self, kind: Kind, state: str, shard_no: int, delta: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": {"pk": {"S": COUNTERS_PK}, "sk": {"S": counter_sk(kind, state, shard_no)}},
                "UpdateExpression": "ADD n :delta",
                "ExpressionAttributeValues": {":delta": {"N": str(delta)}},
            }
        }

    def is_seeded(self) -> bool:
        """Whether the reconcile job has filled the table once (its first run seeds, not repairs)."""
        key = {"pk": {"S": SEEDED_PK}, "sk": {"S": SEEDED_SK}}
        return "Item" in self.dynamodb.get_item(TableName=self.table, Key=key, ConsistentRead=True)

    def mark_seeded(self) -> None:
        item = {"pk": {"S": SEEDED_PK}, "sk": {"S": SEEDED_SK}, "at": {"N": str(int(self.clock()))}}
        self.dynamodb.put_item(TableName=self.table, Item=item)

    def items(self) -> Iterable[tuple[Kind, str, Stored]]:
        """Every resource item (the reconcile's full read), page by page."""
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=self.table, ConsistentRead=True):
            for item in page.get("Items", []):
                kind_name, _, resource_id = item["pk"]["S"].partition("#")
                if kind_name in Kind.__members__.values() and item["sk"]["S"] == STATE_SK:
                    yield Kind(kind_name), resource_id, _stored(item)


def _stored(item: Mapping[str, Any]) -> Stored:
    return Stored(state=item["state"]["S"], order=int(item["order"]["N"]))


def _token(changes: Sequence[Change]) -> str:
    """Same request, same token (the SDK's retries); any other request, another one. At most 36 chars."""
    text = "|".join(
        f"{c.kind}:{c.resource_id}:{c.seen.order if c.seen else '-'}:{c.state}:{c.order}" for c in changes
    )
    return hashlib.sha256(text.encode()).hexdigest()[:36]


def _cancelled_for_retry(exc: ClientError) -> bool:
    """A cancellation for a failed condition or a conflicting transaction wrote nothing: re-read."""
    if exc.response.get("Error", {}).get("Code") == "TransactionConflictException":
        return True
    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    reasons = exc.response.get("CancellationReasons") or []  # type: ignore[typeddict-item]
    codes = {str(reason.get("Code")) for reason in reasons} or {"ConditionalCheckFailed"}
    return codes <= _RETRYABLE_REASONS
