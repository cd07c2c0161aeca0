"""Events mode on moto: the reconcile job seeds and repairs the table, the collector reads the same
values from it as poll mode lists, and a sample's calls do not grow with the fleet."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.ec2.models import ec2_backends
from moto.ec2.models.instances import InstanceState

from collector_core.clients import client_config, ec2_client
from collector_core.datum import Datum
from collector_core.faults import Budget, Faults
from collector_core.settings import Settings
from collector_core.state_table import Kind
from collector_core.xml_counting import install
from ec2_ebs_state.collect import collect
from ec2_ebs_state.from_table import collect_from_table
from ec2_state_events.events import GONE, parse_event
from ec2_state_events.reconcile import reconcile
from ec2_state_events.store import Store
from synthesis.handler_runner import moto_volume_statuses
from tests.support.collectors import ACCOUNT, REGION, Values, as_values, count_calls, fixed_clock
from tests.support.state_events import create_state_table, instance_event

LOG = logging.getLogger("test_ec2_state_reconcile")
T0 = 1_800_000_000.0
AMI = "ami-12c6146b"
ABSENT = "i-0123456789abcdef0"


@pytest.fixture
def ec2(aws: None) -> Iterator[Any]:
    # moto raises NotImplementedError for DescribeVolumeStatus: no volume impaired.
    with moto_volume_statuses():
        yield install(ec2_client(client_config(5)))


@pytest.fixture
def store(aws: None) -> Iterator[Store]:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    yield Store(dynamodb, create_state_table(dynamodb), clock=fixed_clock(T0))


def budget() -> Budget:
    return Budget(fixed_clock(T0), T0 + 60)


def polled(ec2: Any, watch: tuple[str, ...] = ()) -> Values:
    faults = Faults(LOG)
    datums = collect(
        ec2, Settings(period_seconds=5, watch_instance_ids=watch), budget=budget(), faults=faults
    )
    assert faults.errors == []
    return as_values(datums)


def from_table(ec2: Any, store: Store, watch: tuple[str, ...] = ()) -> Values:
    faults = Faults(LOG)
    datums: list[Datum] = collect_from_table(ec2, store, watch, budget=budget(), faults=faults)
    assert faults.errors == []
    return as_values(datums)


def fleet(ec2: Any, n: int) -> list[str]:
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=AMI, MinCount=n, MaxCount=n)["Instances"]]
    ec2.stop_instances(InstanceIds=ids[:2])
    ec2.terminate_instances(InstanceIds=ids[2:3])
    ec2_backends[ACCOUNT][REGION].get_instance(ids[3])._state = InstanceState("pending", 0)
    ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)
    return ids


def test_reconcile_first_run_seeds_and_events_mode_reads_what_poll_lists(ec2: Any, store: Store) -> None:
    # given
    ids = fleet(ec2, 12)
    # when
    report = reconcile(ec2, store, budget=budget(), clock=fixed_clock(T0))
    # then: everything seeded, nothing reported as repaired, and the same datums both ways
    assert (report.seeded, report.repaired) == (12 + 12 + 1 - 1, 0)  # the terminated root volume is deleted
    watch = (ids[0], ids[5], ABSENT)
    assert from_table(ec2, store, watch) == polled(ec2, watch)


def test_reconcile_repairs_a_missed_event_within_one_run(ec2: Any, store: Store) -> None:
    # given: a seeded table, then an instance stopped whose event never arrived
    ids = fleet(ec2, 6)
    reconcile(ec2, store, budget=budget(), clock=fixed_clock(T0))
    ec2.stop_instances(InstanceIds=[ids[5]])
    assert from_table(ec2, store) != polled(ec2)
    # when: the next run
    report = reconcile(ec2, store, budget=budget(), clock=fixed_clock(T0 + 600))
    # then
    assert report.repaired == 1
    assert from_table(ec2, store) == polled(ec2)
    # and the missed events, delivered late (dated before the listing's margin), are refused
    for state, seconds in (("stopping", T0 + 500), ("stopped", T0 + 530)):
        late = parse_event(instance_event(ids[5], state, seconds))
        assert late is not None and store.apply(late) is False
    assert from_table(ec2, store) == polled(ec2)
    again = reconcile(ec2, store, budget=budget(), clock=fixed_clock(T0 + 1200))
    assert (again.repaired, again.seeded) == (0, 0)


@pytest.mark.parametrize("event_second", [T0 + 601, T0 + 590], ids=["after the listing", "within its margin"])
def test_reconcile_leaves_an_event_newer_than_its_listing(
    ec2: Any, store: Store, event_second: float
) -> None:
    # given: the listing (started at T0+600) sees i-x running, but a stop event is stored that
    # happened after it started, or so shortly before that EC2's listing may not show it yet
    ids = fleet(ec2, 6)
    reconcile(ec2, store, budget=budget(), clock=fixed_clock(T0))
    change = parse_event(instance_event(ids[5], "stopping", event_second))
    assert change is not None and store.apply(change)
    # when
    report = reconcile(ec2, store, budget=budget(), clock=fixed_clock(T0 + 600))
    # then: the newer event stands
    assert (report.repaired, report.newer_kept) == (0, 1)
    stored = store.read(Kind.INSTANCE, ids[5])
    assert stored is not None and stored.state == "stopping"


def test_reconcile_expires_resources_gone_from_the_listing_without_calling_it_a_repair(
    ec2: Any, store: Store
) -> None:
    ids = fleet(ec2, 6)
    reconcile(ec2, store, budget=budget(), clock=fixed_clock(T0))
    # the terminated instance drops out of DescribeInstanceStatus (AWS: after about an hour)
    ec2_backends[ACCOUNT][REGION].reservations.clear()
    report = reconcile(ec2, store, budget=budget(), clock=fixed_clock(T0 + 3600))
    assert report.expired == 1  # the terminated one
    assert report.repaired == len(ids) - 1  # the others vanished without events
    assert +store.counts()[Kind.INSTANCE] == Counter()
    stored = store.read(Kind.INSTANCE, ids[2])
    assert stored is not None and stored.state == GONE


@pytest.mark.parametrize("size", [4, 40])
def test_events_mode_sample_calls_do_not_grow_with_the_fleet(ec2: Any, store: Store, size: int) -> None:
    fleet(ec2, size)
    reconcile(ec2, store, budget=budget(), clock=fixed_clock(T0))
    ec2_calls, dynamodb_calls = count_calls(ec2), count_calls(store.dynamodb)
    from_table(ec2, store)
    assert ec2_calls == {"DescribeInstanceStatus": 2, "DescribeVolumeStatus": 1, "DescribeSnapshots": 1}
    assert dynamodb_calls == {"Query": 1}
