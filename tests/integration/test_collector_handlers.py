"""Both Lambda handlers end to end on moto: event in, EMF or PutMetricData out, summary back."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

import ec2_ebs_state.handler as ec2_handler
import ecs_counts.handler as ecs_handler
from collector_core import env_names
from collector_core.catalogue import DEFAULT_NAMESPACE, metric
from collector_core.runner import SampleFailedError
from collector_core.sample import EventError
from collector_core.settings import SettingsError
from tests.support.collectors import (
    REGION,
    Point,
    RecordingCloudWatch,
    emf_documents,
    emf_lines,
    event_for,
    fake_aws,
    lambda_context,
    points_from_emf,
    read_at_one_second,
    recent_minute,
)

OFFSET = 17


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    fake_aws(monkeypatch)
    # what the stack may set for Powertools: it must not leak into the metrics
    monkeypatch.setenv(env_names.POWERTOOLS_SERVICE_NAME, "highres-collectors")
    for name in (
        env_names.METRICS_NAMESPACE,
        env_names.METRICS_SINK,
        env_names.SAMPLE_PERIOD_SECONDS,
        env_names.ECS_CLUSTERS,
    ):
        monkeypatch.delenv(name, raising=False)
    # Each test is a fresh container: no clients or cluster list from another test's account.
    ecs_handler.runtime.reset()
    ec2_handler.runtime.reset()
    with mock_aws():
        yield


@pytest.fixture
def second() -> datetime:
    return recent_minute() + timedelta(seconds=OFFSET)


def sample_event(second: datetime) -> dict[str, Any]:
    """The schedule's event for `second`: derived from it, so a test that straddles a minute
    boundary still sends the minute its clock was set to."""
    return event_for(second - timedelta(seconds=OFFSET), OFFSET)


def started_after(monkeypatch: pytest.MonkeyPatch, module: Any, second: datetime, delay: float) -> None:
    monkeypatch.setattr(module, "clock", lambda: second.timestamp() + delay)


def build_ecs() -> None:
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName="web")
    ecs.register_task_definition(
        family="app", containerDefinitions=[{"name": "app", "image": "x", "memory": 64}]
    )
    ecs.create_service(cluster="web", serviceName="api", taskDefinition="app", desiredCount=2)


def web_with_its_service(monkeypatch: pytest.MonkeyPatch, second: datetime) -> None:
    """Cluster web with service api, both watched; the ECS handler started 0.25 s into `second`."""
    build_ecs()
    monkeypatch.setenv(env_names.ECS_CLUSTERS, "web")
    monkeypatch.setenv(env_names.ECS_SERVICE_METRICS, "true")
    started_after(monkeypatch, ecs_handler, second, 0.25)


def ecs_points(second: datetime, namespace: str = DEFAULT_NAMESPACE) -> list[Point]:
    ms = int(second.timestamp()) * 1000
    web = (("ClusterName", "web"),)
    api = (("ClusterName", "web"), ("ServiceName", "api"))
    health = (("Collector", "ecs_counts"),)
    values = [
        ("RunningTask", web, 0),
        ("PendingTask", web, 2),
        ("ActiveServices", web, 1),
        ("RegisteredContainerInstances", web, 0),
        ("ServiceRunningTask", api, 0),
        ("ServicePendingTask", api, 2),
        ("ServiceDesiredTask", api, 2),
        ("SampleDelay", health, 250),
        ("CollectorErrors", health, 0),
        ("SamplesDropped", health, 0),
    ]
    return sorted(
        Point(namespace, name, dims, metric(name).unit.value, 1, float(value), ms)
        for name, dims, value in values
    )


@pytest.mark.usefixtures("aws")
def test_collector_handler_ecs_writes_emf_stamped_with_the_sample_second(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], second: datetime
) -> None:
    web_with_its_service(monkeypatch, second)

    result = ecs_handler.handler(sample_event(second), lambda_context())

    out = capsys.readouterr().out
    points = points_from_emf(emf_documents(out))
    assert points == ecs_points(second)
    assert result == {"emitted": len(points), "errors": [], "dropped": False}
    # one document (cluster, its service and health share it): log ingestion is billed by the byte
    assert len(emf_lines(out)) == 1
    assert sum(len(line) + 1 for line in emf_lines(out)) < 1250


@pytest.mark.usefixtures("aws")
def test_collector_handler_ecs_api_sink_reads_back_at_one_second(
    monkeypatch: pytest.MonkeyPatch, second: datetime
) -> None:
    web_with_its_service(monkeypatch, second)
    monkeypatch.setenv(env_names.METRICS_SINK, "api")
    monkeypatch.setenv(env_names.METRICS_NAMESPACE, "Demo/HighRes")

    result = ecs_handler.handler(sample_event(second), lambda_context())

    expected = ecs_points(second, "Demo/HighRes")
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    metrics = [(p.namespace, p.name, p.dimensions) for p in expected]
    results = read_at_one_second(cloudwatch, metrics, second, window_s=5)
    for p, r in zip(expected, results, strict=True):
        assert (r["Timestamps"], r["Values"]) == ([second], [p.value]), p.name
    assert result == {"emitted": len(expected), "errors": [], "dropped": False}


@pytest.mark.usefixtures("aws")
def test_collector_handler_both_sinks_write_the_same_datums_for_one_sample(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], second: datetime
) -> None:
    web_with_its_service(monkeypatch, second)
    event = sample_event(second)

    emf_result = ecs_handler.handler(event, lambda_context())
    emf_points = points_from_emf(emf_documents(capsys.readouterr().out))
    recorder = RecordingCloudWatch()
    monkeypatch.setattr(ecs_handler, "cloudwatch_client", lambda config: recorder)
    monkeypatch.setenv(env_names.METRICS_SINK, "api")  # the next invocation's runtime has the api sink
    api_result = ecs_handler.handler(event, lambda_context())

    assert emf_points == recorder.points() == ecs_points(second)
    assert emf_result == api_result


@pytest.mark.usefixtures("aws")
def test_collector_handler_late_sample_writes_only_the_drop(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], second: datetime
) -> None:
    build_ecs()
    started_after(monkeypatch, ecs_handler, second, 1.5)  # ECS period: 1 s

    result = ecs_handler.handler(sample_event(second), lambda_context())

    ms = int(second.timestamp()) * 1000
    health = (("Collector", "ecs_counts"),)
    assert points_from_emf(emf_documents(capsys.readouterr().out)) == [
        Point(DEFAULT_NAMESPACE, "SampleDelay", health, "Milliseconds", 1, 1500.0, ms),
        Point(DEFAULT_NAMESPACE, "SamplesDropped", health, "Count", 1, 1.0, ms),
    ]
    assert result == {"emitted": 2, "errors": [], "dropped": True}


@pytest.mark.usefixtures("aws")
def test_collector_handler_raises_after_writing_health_when_nothing_was_collected(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], second: datetime
) -> None:
    # the Logger writes to the stdout it found at import: point it at the captured one
    monkeypatch.setattr(ecs_handler.logger.registered_handler, "stream", sys.stdout)
    monkeypatch.setenv(env_names.ECS_CLUSTERS, "ghost")
    started_after(monkeypatch, ecs_handler, second, 0.1)

    with pytest.raises(SampleFailedError, match="DescribeClusters:MISSING") as raised:
        ecs_handler.handler(sample_event(second), lambda_context())

    out = capsys.readouterr().out
    values = {p.name: p.value for p in points_from_emf(emf_documents(out))}
    assert values == {"SampleDelay": 100.0, "CollectorErrors": 1.0, "SamplesDropped": 0.0}
    assert raised.value.summary.as_dict() == {
        "emitted": 3,
        "errors": ["DescribeClusters:MISSING"],
        "dropped": False,
    }
    logs = [
        json.loads(line) for line in out.splitlines() if line.startswith("{") and line not in emf_lines(out)
    ]
    (fault,) = [log for log in logs if log.get("message") == "AWS call failed"]
    assert fault["level"] == "WARNING"
    assert (fault["operation"], fault["error_code"]) == ("DescribeClusters", "MISSING")
    assert fault["resource"].endswith(":cluster/ghost")


@pytest.mark.usefixtures("aws")
def test_collector_handler_ec2_emits_everything_but_what_moto_lacks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], second: datetime
) -> None:
    boto3.client("ec2", region_name=REGION).run_instances(ImageId="ami-12c6146b", MinCount=2, MaxCount=2)
    started_after(monkeypatch, ec2_handler, second, 0.4)

    result = ec2_handler.handler(sample_event(second), lambda_context())

    points = points_from_emf(emf_documents(capsys.readouterr().out))
    values = {(p.name, p.dimensions): p.value for p in points}
    health = (("Collector", "ec2_ebs_state"),)
    assert values[("InstanceCount", (("State", "running"),))] == 2
    assert values[("VolumeCount", (("State", "in-use"),))] == 2
    assert values[("CollectorErrors", health)] == 1
    assert values[("SampleDelay", health)] == 400
    assert ("ImpairedVolumes", ()) not in values
    assert {p.timestamp_ms for p in points} == {int(second.timestamp()) * 1000}
    assert len(points) == 6 + 1 + 6 + 1 + 3
    assert result == {
        "emitted": len(points),
        "errors": ["DescribeVolumeStatus:NotImplemented"],
        "dropped": False,
    }


@pytest.mark.usefixtures("aws")
def test_collector_handler_bad_setting_fails_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(env_names.SAMPLE_PERIOD_SECONDS, "7")

    with pytest.raises(
        SettingsError, match=r"^SAMPLE_PERIOD_SECONDS='7' is not allowed: whole seconds dividing 60"
    ):
        ec2_handler.handler(event_for(recent_minute()), lambda_context())


@pytest.mark.usefixtures("aws")
def test_collector_handler_bad_event_fails_before_any_call() -> None:
    with pytest.raises(EventError, match="offset"):
        ecs_handler.handler({"time": "2026-11-22T02:15:00Z", "offset": 75}, lambda_context())
