"""EC2/EBS collector logic against moto: every state counted (zeros included), pages crossed,
impaired checks, the watch list, and each API's failure losing only its own metrics."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_block_store import Volume
from moto.ec2.models.instances import Instance, InstanceState

from collector_core.catalogue import INSTANCE_STATES, VOLUME_STATES
from collector_core.clients import client_config, ec2_client
from collector_core.faults import Budget, Faults
from collector_core.settings import Settings
from collector_core.xml_counting import install
from ec2_ebs_state.collect import collect
from synthesis.handler_runner import moto_volume_statuses
from tests.support.collectors import (
    ACCOUNT,
    REGION,
    MotoPages,
    Values,
    as_values,
    count_calls,
    fail_operation,
    fixed_clock,
    time_out_operation,
)

LOG = logging.getLogger("test_collector_ec2")
T0 = 1_800_000_000.0
AMI = "ami-12c6146b"
ABSENT = "i-0123456789abcdef0"


@pytest.fixture(params=["botocore parse", "xml counting"])
def ec2(aws: None, request: pytest.FixtureRequest) -> Any:
    """The collector's EC2 client both ways: botocore's full parse, and the handler's streaming count."""
    client = ec2_client(client_config(5))
    return install(client) if request.param == "xml counting" else client


@pytest.fixture
def volume_status_from_moto() -> Iterator[dict[str, str]]:
    """What the demo glue needs: moto raises NotImplementedError for DescribeVolumeStatus, so answer
    it from a {volume id: status} map (empty = no volume impaired)."""
    statuses: dict[str, str] = {}
    with moto_volume_statuses(statuses):
        yield statuses


def run(ec2: Any, settings: Settings) -> tuple[Values, list[str]]:
    clock = fixed_clock(T0)
    faults = Faults(LOG)
    datums = collect(ec2, settings, budget=Budget(clock, T0 + settings.period_seconds), faults=faults)
    return as_values(datums), faults.errors


def by_state(values: Values, name: str) -> dict[str, float]:
    return {dims[0][1]: v for (metric, dims), v in values.items() if metric == name}


def backend() -> Any:
    return ec2_backends[ACCOUNT][REGION]


def set_instance_state(instance_id: str, name: str, code: int) -> None:
    """States AWS passes through on its own schedule (pending, stopping, shutting-down) that moto
    skips: set them in moto's model."""
    backend().get_instance(instance_id)._state = InstanceState(name, code)


def impair(monkeypatch: pytest.MonkeyPatch, instance_checks: set[str], system_checks: set[str]) -> None:
    """moto reports every running instance's status checks as ok: fail some."""
    instance_status, system_status = Instance.instance_status, Instance.system_status

    def patched(original: Any, failing: set[str]) -> property:
        return property(lambda self: {"Status": "impaired"} if self.id in failing else original.fget(self))

    monkeypatch.setattr(Instance, "instance_status", patched(instance_status, instance_checks))
    monkeypatch.setattr(Instance, "system_status", patched(system_status, system_checks))


def test_collector_ec2_counts_every_instance_state_across_pages(
    ec2: Any, monkeypatch: pytest.MonkeyPatch, volume_status_from_moto: dict[str, str]
) -> None:
    # given: 1,005 instances (two DescribeInstanceStatus pages of 1,000) moved through every state
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=AMI, MinCount=1005, MaxCount=1005)["Instances"]]
    ec2.stop_instances(InstanceIds=ids[0:5])
    ec2.terminate_instances(InstanceIds=ids[5:12])
    for i in ids[12:15]:
        set_instance_state(i, "pending", 0)
    for i in ids[15:17]:
        set_instance_state(i, "stopping", 64)
    set_instance_state(ids[17], "shutting-down", 32)
    impair(monkeypatch, instance_checks={ids[100], ids[101]}, system_checks={ids[101], ids[102]})
    status_pages = MotoPages(ec2, "DescribeInstanceStatus", "InstanceStatuses")
    volume_pages = MotoPages(ec2, "DescribeVolumes", "Volumes")

    # when
    values, errors = run(ec2, Settings(period_seconds=5, watch_instance_ids=(ids[0], ids[500], ABSENT)))

    # then
    assert by_state(values, "InstanceCount") == {
        "pending": 3,
        "running": 987,
        "shutting-down": 1,
        "terminated": 7,
        "stopping": 2,
        "stopped": 5,
    }
    assert values[("ImpairedInstances", ())] == 3
    assert by_state(values, "InstanceStateCode") == {ids[0]: 80, ids[500]: 16, ABSENT: -1}
    # root volumes: terminated instances' are deleted, the others' are in use
    assert by_state(values, "VolumeCount") == dict.fromkeys(VOLUME_STATES, 0) | {"in-use": 998}
    assert status_pages.requests == [(0, 1000), (1000, 1000)]
    assert volume_pages.requests == [(0, 500), (500, 500)]
    assert errors == []


def test_collector_ec2_emits_every_state_as_zero_without_instances(
    ec2: Any, volume_status_from_moto: dict[str, str]
) -> None:
    values, errors = run(ec2, Settings(period_seconds=5))

    assert by_state(values, "InstanceCount") == dict.fromkeys(INSTANCE_STATES, 0)
    assert by_state(values, "VolumeCount") == dict.fromkeys(VOLUME_STATES, 0)
    assert values[("ImpairedInstances", ())] == 0
    assert values[("ImpairedVolumes", ())] == 0
    assert values[("PendingSnapshots", ())] == 0
    assert len(values) == 6 + 1 + 6 + 1 + 1
    assert errors == []


def test_collector_ec2_counts_volumes_in_each_state_and_impaired_volumes(
    ec2: Any, monkeypatch: pytest.MonkeyPatch, volume_status_from_moto: dict[str, str]
) -> None:
    # given: one instance (its root volume is in use) and five volumes, one attached, one in error
    instance = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    volumes = [ec2.create_volume(Size=1, AvailabilityZone=f"{REGION}a")["VolumeId"] for _ in range(5)]
    ec2.attach_volume(VolumeId=volumes[0], InstanceId=instance, Device="/dev/sdf")
    # moto derives a volume's state from its attachment only: give the others the states AWS has
    overrides = {volumes[2]: "creating", volumes[3]: "deleting", volumes[4]: "error"}
    state: Any = Volume.status
    monkeypatch.setattr(Volume, "status", property(lambda self: overrides.get(self.id) or state.fget(self)))
    volume_status_from_moto.update({volumes[4]: "impaired", volumes[1]: "ok"})

    values, errors = run(ec2, Settings(period_seconds=5))

    assert by_state(values, "VolumeCount") == {
        "creating": 1,
        "available": 1,
        "in-use": 2,
        "deleting": 1,
        "deleted": 0,
        "error": 1,
    }
    assert values[("ImpairedVolumes", ())] == 1
    assert errors == []


def test_collector_ec2_counts_own_pending_snapshots(
    ec2: Any, volume_status_from_moto: dict[str, str]
) -> None:
    volume = ec2.create_volume(Size=1, AvailabilityZone=f"{REGION}a")["VolumeId"]
    snapshots = [ec2.create_snapshot(VolumeId=volume)["SnapshotId"] for _ in range(3)]
    # moto completes snapshots at once; AWS keeps them pending while it copies blocks
    for snapshot_id in snapshots[:2]:
        backend().snapshots[snapshot_id].status = "pending"

    values, errors = run(ec2, Settings(period_seconds=5))

    assert values[("PendingSnapshots", ())] == 2
    assert errors == []


def test_collector_ec2_volume_status_unavailable_in_moto_loses_only_impaired_volumes(ec2: Any) -> None:
    ec2.run_instances(ImageId=AMI, MinCount=2, MaxCount=2)

    values, errors = run(ec2, Settings(period_seconds=5))

    assert errors == ["DescribeVolumeStatus:NotImplemented"]
    assert ("ImpairedVolumes", ()) not in values
    assert by_state(values, "InstanceCount")["running"] == 2
    assert by_state(values, "VolumeCount")["in-use"] == 2
    assert values[("PendingSnapshots", ())] == 0
    assert values[("ImpairedInstances", ())] == 0


@pytest.mark.parametrize(
    ("operation", "code", "lost"),
    [
        (
            "DescribeInstanceStatus",
            "RequestLimitExceeded",
            {"InstanceCount", "ImpairedInstances", "InstanceStateCode"},
        ),
        ("DescribeVolumes", "UnauthorizedOperation", {"VolumeCount"}),
        ("DescribeVolumeStatus", "RequestLimitExceeded", {"ImpairedVolumes"}),
        ("DescribeSnapshots", "UnauthorizedOperation", {"PendingSnapshots"}),
    ],
)
def test_collector_ec2_failed_api_loses_only_its_metrics(
    ec2: Any, volume_status_from_moto: dict[str, str], operation: str, code: str, lost: set[str]
) -> None:
    instance = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    fail_operation(ec2, operation, code)

    values, errors = run(ec2, Settings(period_seconds=5, watch_instance_ids=(instance,)))

    emitted = {name for name, _ in values}
    every = {"InstanceCount", "ImpairedInstances", "InstanceStateCode", "VolumeCount", "ImpairedVolumes"}
    assert emitted == (every | {"PendingSnapshots"}) - lost
    assert errors == [f"{operation}:{code}"]


def test_collector_ec2_timeouts_everywhere_emit_nothing_and_count_each(ec2: Any) -> None:
    for operation in (
        "DescribeInstanceStatus",
        "DescribeVolumes",
        "DescribeVolumeStatus",
        "DescribeSnapshots",
    ):
        time_out_operation(ec2, operation)

    values, errors = run(ec2, Settings(period_seconds=5))

    assert values == {}
    assert errors == [
        "DescribeInstanceStatus:ReadTimeout",
        "DescribeVolumes:ReadTimeout",
        "DescribeVolumeStatus:ReadTimeout",
        "DescribeSnapshots:ReadTimeout",
    ]


def test_collector_ec2_makes_one_call_per_api_for_a_small_account(
    ec2: Any, volume_status_from_moto: dict[str, str]
) -> None:
    ec2.run_instances(ImageId=AMI, MinCount=3, MaxCount=3)
    calls = count_calls(ec2)

    run(ec2, Settings(period_seconds=5, watch_instance_ids=(ABSENT,)))

    assert calls == {
        "DescribeInstanceStatus": 1,
        "DescribeVolumes": 1,
        "DescribeVolumeStatus": 1,
        "DescribeSnapshots": 1,
    }
