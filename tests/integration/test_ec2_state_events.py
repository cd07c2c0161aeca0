"""The event function's store on moto's DynamoDB: duplicates, reordering, missing events, racing
writers and every transition keep the counters equal to the items."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from collector_core.catalogue import INSTANCE_STATES
from collector_core.state_table import Kind
from ec2_state_events.events import GONE, StateEvent, parse_event
from ec2_state_events.store import COUNTER_SHARDS, Change, Store, Stored
from tests.state_events_support import create_state_table, instance_event, volume_event

T0 = 1_790_000_000


@pytest.fixture
def store(aws: None) -> Iterator[Store]:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    yield Store(dynamodb, create_state_table(dynamodb), clock=lambda: T0)


def apply(store: Store, event: dict[str, Any]) -> bool:
    change = parse_event(event)
    assert change is not None
    return store.apply(change)


def items_count(store: Store, kind: Kind) -> Counter[str]:
    """What the counters must equal: the states of the stored items."""
    return Counter(s.state for k, _, s in store.items() if k is kind and s.state != GONE)


def assert_consistent(store: Store) -> None:
    counts = store.counts()
    for kind in Kind:
        assert +counts[kind] == items_count(store, kind)


def test_parse_event_reads_the_documented_shapes() -> None:
    assert parse_event(instance_event("i-0123456789abcdef0", "running", T0, event_id="e1")) == StateEvent(
        Kind.INSTANCE, "i-0123456789abcdef0", "running", T0, "e1"
    )
    volume = parse_event(volume_event("vol-01", "attachVolume", "attached", T0))
    assert volume is not None and (volume.kind, volume.resource_id, volume.state) == (
        Kind.VOLUME,
        "vol-01",
        "in-use",
    )
    assert parse_event(volume_event("vol-01", "attachVolume", "failed", T0)) is None
    assert (
        parse_event({"source": "aws.ec2", "detail-type": "Something else", "time": "x", "detail": {}}) is None
    )


def test_store_duplicate_delivery_counts_once(store: Store) -> None:
    event = instance_event("i-1", "running", T0, event_id="e1")
    assert apply(store, event) is True
    assert apply(store, event) is False  # EventBridge delivered it twice
    assert +store.counts()[Kind.INSTANCE] == Counter({"running": 1})


def test_store_out_of_order_events_never_regress(store: Store) -> None:
    # given: running (T0+10) arrives before the pending (T0) that preceded it
    assert apply(store, instance_event("i-1", "running", T0 + 10)) is True
    # when
    assert apply(store, instance_event("i-1", "pending", T0)) is False
    # then
    assert store.read(Kind.INSTANCE, "i-1") == Stored(
        "running", StateEvent(Kind.INSTANCE, "i-1", "running", T0 + 10).order
    )
    assert +store.counts()[Kind.INSTANCE] == Counter({"running": 1})


def test_store_same_second_ties_follow_the_life_cycle(store: Store) -> None:
    apply(store, instance_event("i-1", "running", T0))
    assert apply(store, instance_event("i-1", "pending", T0)) is False
    assert apply(store, instance_event("i-1", "stopping", T0)) is True
    assert +store.counts()[Kind.INSTANCE] == Counter({"stopping": 1})


def test_store_missing_event_is_one_resource_off_until_the_next(store: Store) -> None:
    apply(store, instance_event("i-1", "pending", T0))
    # running and stopping were never delivered; stopped arrives
    apply(store, instance_event("i-1", "stopped", T0 + 60))
    assert +store.counts()[Kind.INSTANCE] == Counter({"stopped": 1})
    assert_consistent(store)


@pytest.mark.parametrize(("first", "second"), list(itertools.permutations(INSTANCE_STATES, 2)))
def test_store_every_transition_moves_one_count(store: Store, first: str, second: str) -> None:
    apply(store, instance_event("i-1", first, T0))
    assert apply(store, instance_event("i-1", second, T0 + 1)) is True
    assert +store.counts()[Kind.INSTANCE] == Counter({second: 1})


def test_store_volume_life_cycle(store: Store) -> None:
    for seconds, (event, result) in enumerate(
        [
            ("createVolume", "available"),
            ("attachVolume", "attached"),
            ("detachVolume", "available"),
            ("deleteVolume", "deleted"),
        ]
    ):
        apply(store, volume_event("vol-1", event, result, T0 + seconds))
    apply(store, volume_event("vol-2", "createVolume", "available", T0))
    assert +store.counts()[Kind.VOLUME] == Counter({"deleted": 1, "available": 1})


def test_store_racing_writers_one_loses_and_rereads(store: Store) -> None:
    # given: two writers both read "pending" for i-1
    apply(store, instance_event("i-1", "pending", T0))
    seen = store.read(Kind.INSTANCE, "i-1")
    running = StateEvent(Kind.INSTANCE, "i-1", "running", T0 + 5)
    stopping = StateEvent(Kind.INSTANCE, "i-1", "stopping", T0 + 9)
    # when: the first commits; the second's transaction still names what it saw
    assert store.transact([Change(Kind.INSTANCE, "i-1", seen, "stopping", stopping.order)]) is True
    assert store.transact([Change(Kind.INSTANCE, "i-1", seen, "running", running.order)]) is False
    # then: the loser's retry re-reads, finds a newer state and is a no-op
    assert store.apply(running) is False
    assert +store.counts()[Kind.INSTANCE] == Counter({"stopping": 1})
    assert_consistent(store)


def test_store_many_resources_spread_over_shards(store: Store) -> None:
    for n in range(40):
        apply(store, instance_event(f"i-{n:04d}", "running", T0))
    assert store.counts()[Kind.INSTANCE]["running"] == 40
    shards = {
        item["sk"]["S"]
        for item in store.dynamodb.scan(TableName=store.table)["Items"]
        if item["pk"]["S"] == "counters"
    }
    assert 1 < len(shards) <= COUNTER_SHARDS


def test_event_handler_applies_a_state_event_and_acknowledges_others(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collector_core import env_names
    from ec2_state_events import handler as event_handler
    from tests.collector_fixtures import lambda_context

    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    # The handler's store is built from the environment this test sets (no cache to clear).
    monkeypatch.setenv(env_names.STATE_TABLE_NAME, create_state_table(dynamodb))
    event = instance_event("i-1", "running", T0)
    assert event_handler.handler(event, lambda_context())["applied"] is True
    assert event_handler.handler(event, lambda_context())["applied"] is False
    failed_attach = volume_event("vol-1", "attachVolume", "failed", T0)
    assert event_handler.handler(failed_attach, lambda_context()) == {
        "applied": False,
        "reason": "ignored",
    }
