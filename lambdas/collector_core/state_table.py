"""The events mode's state table as its readers see it: the key layout and the two reads the
EC2/EBS collector makes (every counter, the watched instances' states).

The writers (`ec2_state_events.store`: the event function and the reconcile job) and the collector
(`ec2_ebs_state.from_table`) share this one layout; the store's docstring explains the items and
why the counters stay exact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

COUNTERS_PK = "counters"
STATE_SK = "state"
# BatchGetItem takes at most 100 keys; unprocessed keys are asked again this many times.
BATCH_GET_KEYS = 100
BATCH_GET_ATTEMPTS = 5


class Kind(StrEnum):
    INSTANCE = "instance"
    VOLUME = "volume"


def resource_pk(kind: Kind, resource_id: str) -> str:
    return f"{kind.value}#{resource_id}"


def counter_sk(kind: Kind, state: str, shard_no: int) -> str:
    return f"{kind.value}#{state}#{shard_no}"


class StateTable:
    """Reads of the state table through one DynamoDB client (bounded, standard retries)."""

    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self.dynamodb = dynamodb
        self.table = table

    def counts(self) -> dict[Kind, Counter[str]]:
        """Every state's count: one Query on the counters partition (paginated; one page in practice)."""
        counts: dict[Kind, Counter[str]] = {kind: Counter() for kind in Kind}
        for page in self.dynamodb.get_paginator("query").paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": COUNTERS_PK}},
        ):
            for item in page.get("Items", []):
                kind_name, state, _ = item["sk"]["S"].split("#")
                counts[Kind(kind_name)][state] += int(item["n"]["N"])
        return counts

    def states(self, kind: Kind, resource_ids: Sequence[str]) -> dict[str, str]:
        """The stored state of each of a few resources (the watch list): BatchGetItem, 100 keys a call,
        unprocessed keys asked again (the client's standard retries bound the throttled case)."""
        found: dict[str, str] = {}
        for start in range(0, len(resource_ids), BATCH_GET_KEYS):
            keys: list[Any] = [
                {"pk": {"S": resource_pk(kind, r)}, "sk": {"S": STATE_SK}}
                for r in resource_ids[start : start + BATCH_GET_KEYS]
            ]
            for _ in range(BATCH_GET_ATTEMPTS):
                answer = self.dynamodb.batch_get_item(RequestItems={self.table: {"Keys": keys}})
                for item in answer.get("Responses", {}).get(self.table, []):
                    found[item["pk"]["S"].partition("#")[2]] = item["state"]["S"]
                unprocessed: Any = answer.get("UnprocessedKeys") or {}
                keys = list((unprocessed.get(self.table) or {}).get("Keys", []))
                if not keys:
                    break
        return found
