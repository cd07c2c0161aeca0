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
from ec2_state_events.events import GONE, Ignored, StateEvent, parse_event, read_event
from ec2_state_events.store import COUNTER_SHARDS, Change, Store, Stored
from tests.support.state_events import (
    DOCUMENTED,
    FIXTURES,
    TABLE,
    create_state_table,
    documented_event,
    instance_event,
    volume_event,
)

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
    volume = parse_event(volume_event("vol-01", "createVolume", "available", T0))
    assert volume is not None and (volume.kind, volume.resource_id, volume.state) == (
        Kind.VOLUME,
        "vol-01",
        "available",
    )
    assert parse_event(volume_event("vol-01", "attachVolume", "failed", T0)) is None
    assert (
        parse_event({"source": "aws.ec2", "detail-type": "Something else", "time": "x", "detail": {}}) is None
    )


def test_parse_event_maps_no_volume_notification_aws_does_not_document() -> None:
    """AWS documents createVolume and deleteVolume results and only failed attaches; a successful
    attach or detach arrives as a CloudTrail API call, never as these (formerly mapped) shapes."""
    for event, result in (("attachVolume", "attached"), ("detachVolume", "available")):
        change = read_event(volume_event("vol-01", event, result, T0))
        assert isinstance(change, Ignored), (event, result)


def test_parse_event_every_documented_fixture_is_read_as_aws_means_it() -> None:
    assert {p.stem for p in FIXTURES.glob("*.json")} == set(DOCUMENTED), "every fixture has its expectation"
    for name, expected in DOCUMENTED.items():
        change = parse_event(documented_event(name))
        assert (None if change is None else (change.kind, change.resource_id, change.state)) == expected, name


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


def test_store_volume_life_cycle_from_the_documented_events(store: Store) -> None:
    """One volume's life as EventBridge delivers it with a trail logging management events: the
    CloudTrail calls carry creating, in-use, available and deleting; the EBS notifications carry
    available (created) and deleted. Each step moves exactly one count."""
    steps = [
        ("cloudtrail_create_volume", "creating"),
        ("ebs_create_volume_available", "available"),
        ("cloudtrail_attach_volume", "in-use"),
        ("cloudtrail_detach_volume", "available"),
        ("cloudtrail_delete_volume", "deleting"),
        ("ebs_delete_volume_deleted", "deleted"),
    ]
    for seconds, (name, state) in enumerate(steps):
        assert apply(store, documented_event(name, resource_id="vol-1", seconds=T0 + seconds)) is True, name
        assert +store.counts()[Kind.VOLUME] == Counter({state: 1}), name
    apply(store, documented_event("ebs_create_volume_available", resource_id="vol-2", seconds=T0))
    assert +store.counts()[Kind.VOLUME] == Counter({"deleted": 1, "available": 1})
    assert_consistent(store)


def test_store_a_failed_api_call_changes_no_state(store: Store) -> None:
    # given: an attached volume
    apply(store, documented_event("cloudtrail_attach_volume", resource_id="vol-1", seconds=T0))
    # when: a later AttachVolume call was refused (errorCode, responseElements null)
    refused = read_event(
        documented_event("cloudtrail_attach_volume_failed", resource_id="vol-1", seconds=T0 + 5)
    )
    # then
    assert isinstance(refused, Ignored) and "Client.CustomerKeyHasBeenRevoked" in refused.reason
    assert +store.counts()[Kind.VOLUME] == Counter({"in-use": 1})


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
    from tests.support.collectors import lambda_context

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
        "why": "volume notification attachVolume/failed changes no volume state",
    }


@pytest.fixture
def event_handler(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Store]]:
    """The event function's handler on a moto state table, and a store reading that table."""
    from collector_core import env_names
    from ec2_state_events import handler as module

    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    monkeypatch.setenv(env_names.STATE_TABLE_NAME, create_state_table(dynamodb))
    # The handler's store is built from the environment set here (no cache to clear).
    yield module, Store(dynamodb, TABLE)


def _without_volume_id(event: dict[str, Any]) -> dict[str, Any]:
    event["resources"] = [f"arn:aws:ec2:us-east-1:{event['account']}:volume/"]
    return event


BAD_INPUT: dict[str, Any] = {
    "an empty instance-id": lambda: documented_event("ec2_instance_state_change_pending", resource_id=""),
    "a volume ARN without an id": lambda: _without_volume_id(documented_event("ebs_create_volume_available")),
    "an API call naming no volume": lambda: documented_event("cloudtrail_detach_volume", resource_id=""),
    # 2,048 bytes is DynamoDB's partition key limit; "instance#" makes the key longer still
    "an instance id too long for the key": lambda: documented_event(
        "ec2_instance_state_change_pending", resource_id="i-" + "0" * 2_046
    ),
    "a volume id too long for the key": lambda: documented_event(
        "cloudtrail_attach_volume", resource_id="vol-" + "a" * 3_000
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_event_handler_acknowledges_bad_input_and_counts_nothing(
    event_handler: tuple[Any, Store], case: str, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.support.collectors import lambda_context

    module, table = event_handler
    # given: one real instance counted
    module.handler(documented_event("ec2_instance_state_change_pending", seconds=T0), lambda_context())
    before = table.counts()
    caplog.clear()
    # when: the bad event arrives (a raise would make Lambda retry it twice, then drop it)
    answer = module.handler(BAD_INPUT[case](), lambda_context())
    # then: acknowledged, logged with its reason, and the table holds exactly what it held
    assert answer["applied"] is False and answer["reason"] == "ignored", case
    assert [r.getMessage() for r in caplog.records] == ["event carries no state kept here"]
    assert caplog.records[0].__dict__["reason"] == answer["why"]
    assert table.counts() == before
    assert [(k, rid) for k, rid, _ in table.items()] == [(Kind.INSTANCE, "i-1234567890abcdef0")]
