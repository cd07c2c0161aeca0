"""Both sinks: EMF documents that follow the specification, PutMetricData batches, same datums."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from aws_lambda_powertools import Metrics

from collector_core import emf, env_names
from collector_core.catalogue import (
    CLUSTER_NAME,
    COLLECTOR,
    COLLECTOR_ERRORS,
    DEFAULT_NAMESPACE,
    IMPAIRED_INSTANCES,
    INSTANCE_STATE_CODE,
    INSTANCE_STATES,
    PENDING_TASK,
    RUNNING_TASK,
    SAMPLE_DELAY,
    SERVICE_RUNNING_TASK,
    VOLUME_STATES,
    Collector,
    Group,
    MetricSpec,
    Unit,
    metric,
)
from collector_core.datum import Datum, datum
from collector_core.settings import Settings, SinkKind
from collector_core.sinks import ApiSink, EmfSink, make_sink
from local.emulator import publish_emf_lines
from tests.support.collectors import (
    REGION,
    Point,
    RecordingCloudWatch,
    emf_documents,
    points_from_emf,
    read_at_one_second,
    recent_minute,
)

LOG = logging.getLogger("test_sinks")
NAMESPACE = "Test/HighRes"
HEALTH = {COLLECTOR: Collector.ECS_COUNTS.value}


@pytest.fixture
def timestamp_ms() -> int:
    return int((recent_minute() + timedelta(seconds=17)).timestamp()) * 1000


def sample_datums() -> list[Datum]:
    return [
        datum(RUNNING_TASK, 3, **{CLUSTER_NAME: "web"}),
        datum(PENDING_TASK, 1, **{CLUSTER_NAME: "web"}),
        datum(RUNNING_TASK, 0, **{CLUSTER_NAME: "batch"}),
        datum(SERVICE_RUNNING_TASK, 2, ClusterName="web", ServiceName="api"),
        datum(IMPAIRED_INSTANCES, 0),
        datum(SAMPLE_DELAY, 125, **HEALTH),
        datum(COLLECTOR_ERRORS, 0, **HEALTH),
    ]


def expected_points(datums: list[Datum], timestamp_ms: int, namespace: str = NAMESPACE) -> list[Point]:
    return sorted(
        Point(namespace, d.spec.name, d.dimensions, d.spec.unit.value, 1, d.value, timestamp_ms)
        for d in datums
    )


def test_datum_orders_dimensions_as_the_catalogue() -> None:
    d = datum(SERVICE_RUNNING_TASK, 2, ServiceName="api", ClusterName="web")

    assert d.dimensions == (("ClusterName", "web"), ("ServiceName", "api"))
    assert d.value == 2.0


@pytest.mark.parametrize("dimensions", [{}, {"ServiceName": "api"}, {"ClusterName": "web", "service": "x"}])
def test_datum_rejects_dimensions_outside_the_catalogue(dimensions: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="RunningTask takes dimensions"):
        datum(RUNNING_TASK, 1, **dimensions)


def test_datum_rejects_empty_dimension_values() -> None:
    with pytest.raises(ValueError, match="empty dimension value"):
        datum(RUNNING_TASK, 1, ClusterName="")


def test_emf_sink_packs_directives_into_one_document_per_dimension_value(
    capsys: pytest.CaptureFixture[str], timestamp_ms: int
) -> None:
    datums = sample_datums()

    result = EmfSink(NAMESPACE, LOG).emit(datums, timestamp_ms)

    documents = emf_documents(capsys.readouterr().out)
    assert result.emitted == len(datums)
    assert result.errors == ()
    # ClusterName=web and ClusterName=batch cannot share a root member; everything else rides along
    assert len(documents) == 2
    assert points_from_emf(documents) == expected_points(datums, timestamp_ms)
    web = documents[0]
    assert web["_aws"]["Timestamp"] == timestamp_ms
    assert web["_aws"]["CloudWatchMetrics"] == [
        {
            "Namespace": NAMESPACE,
            "Dimensions": [["ClusterName"]],
            "Metrics": [
                {"Name": "RunningTask", "Unit": "Count", "StorageResolution": 1},
                {"Name": "PendingTask", "Unit": "Count", "StorageResolution": 1},
            ],
        },
        {
            "Namespace": NAMESPACE,
            "Dimensions": [["ClusterName", "ServiceName"]],
            "Metrics": [{"Name": "ServiceRunningTask", "Unit": "Count", "StorageResolution": 1}],
        },
        {
            "Namespace": NAMESPACE,
            "Dimensions": [[]],
            "Metrics": [{"Name": "ImpairedInstances", "Unit": "Count", "StorageResolution": 1}],
        },
        {
            "Namespace": NAMESPACE,
            "Dimensions": [["Collector"]],
            "Metrics": [
                {"Name": "SampleDelay", "Unit": "Milliseconds", "StorageResolution": 1},
                {"Name": "CollectorErrors", "Unit": "Count", "StorageResolution": 1},
            ],
        },
    ]
    # plain numbers, not one-element lists
    assert (web["ClusterName"], web["RunningTask"], web["SampleDelay"]) == ("web", 3, 125)
    assert documents[1] == {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [["ClusterName"]],
                    "Metrics": [{"Name": "RunningTask", "Unit": "Count", "StorageResolution": 1}],
                }
            ],
        },
        "ClusterName": "batch",
        "RunningTask": 0,
    }


def test_emf_sink_leaves_out_unit_none_only(capsys: pytest.CaptureFixture[str], timestamp_ms: int) -> None:
    # given: the one catalogue metric whose unit is None, next to a Count
    datums = [datum(INSTANCE_STATE_CODE, 16, InstanceId="i-0abc"), datum(IMPAIRED_INSTANCES, 0)]

    EmfSink(NAMESPACE, LOG).emit(datums, timestamp_ms)

    (document,) = emf_documents(capsys.readouterr().out)
    definitions = [m for d in document["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
    assert definitions == [
        {"Name": "InstanceStateCode", "StorageResolution": 1},
        {"Name": "ImpairedInstances", "Unit": "Count", "StorageResolution": 1},
    ]
    assert points_from_emf([document]) == expected_points(datums, timestamp_ms)


def test_emf_sink_writes_one_document_per_value_of_the_most_varied_key(
    capsys: pytest.CaptureFixture[str], timestamp_ms: int
) -> None:
    # given: an EC2/EBS sample (6 instance and 6 volume states share the State key) and its health
    health = {COLLECTOR: Collector.EC2_EBS_STATE.value}
    datums = [datum(metric("InstanceCount"), i, State=s) for i, s in enumerate(INSTANCE_STATES)]
    datums += [datum(metric("VolumeCount"), i, State=s) for i, s in enumerate(VOLUME_STATES)]
    datums += [datum(IMPAIRED_INSTANCES, 0), datum(metric("PendingSnapshots"), 2)]
    datums += [datum(SAMPLE_DELAY, 0.5, **health), datum(COLLECTOR_ERRORS, 0, **health)]

    EmfSink(NAMESPACE, LOG).emit(datums, timestamp_ms)

    documents = emf_documents(capsys.readouterr().out)
    assert len(documents) == len(INSTANCE_STATES) + len(VOLUME_STATES)
    assert points_from_emf(documents) == expected_points(datums, timestamp_ms)


def test_emf_documents_respect_the_specification_limits(timestamp_ms: int) -> None:
    # given: 1,500 long-named metrics of one dimension set (a directive holds at most 100 and a
    # log event at most 256 KB), the same metric twice with the same dimensions, and 200 services
    specs = [MetricSpec(f"M{i:04d}" + "x" * 200, Unit.COUNT, (), Group.HEALTH, "test") for i in range(1500)]
    datums = [Datum(spec, float(i)) for i, spec in enumerate(specs)]
    datums += [datum(RUNNING_TASK, 1, ClusterName="web"), datum(RUNNING_TASK, 2, ClusterName="web")]
    datums += [datum(SERVICE_RUNNING_TASK, i, ClusterName="web", ServiceName=f"s{i:03d}") for i in range(200)]

    lines = emf.documents(datums, NAMESPACE, timestamp_ms)

    documents = [json.loads(line) for line in lines]
    for document in documents:
        for directive in document["_aws"]["CloudWatchMetrics"]:
            assert len(directive["Metrics"]) <= emf.MAX_METRICS_PER_DIRECTIVE
    sizes = [len(line.encode()) for line in lines]
    assert max(sizes) <= emf.MAX_DOCUMENT_BYTES < sum(sizes)
    assert len(documents) == 200
    assert points_from_emf(documents) == expected_points(datums, timestamp_ms)


@pytest.mark.parametrize("value", [0.0, 3.0, -2.0, 0.25, 1e-7, 1.5e20, 2.0**60])
def test_emf_number_reads_back_as_the_same_float(value: float) -> None:
    text = emf.number(value)

    assert float(json.loads(text)) == value
    if value.is_integer() and abs(value) < 2**53:
        assert text == str(int(value))


def test_emf_sink_skips_non_finite_values_and_writes_the_rest(
    capsys: pytest.CaptureFixture[str], timestamp_ms: int
) -> None:
    datums = [datum(RUNNING_TASK, float("nan"), ClusterName="web"), datum(PENDING_TASK, 1, ClusterName="web")]

    result = EmfSink(NAMESPACE, LOG).emit(datums, timestamp_ms)

    assert result.emitted == 1
    assert points_from_emf(emf_documents(capsys.readouterr().out)) == expected_points(
        datums[1:], timestamp_ms
    )


def test_emf_sink_adds_no_service_or_default_dimension(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], timestamp_ms: int
) -> None:
    # given: what a stack and other code in the same process may set
    monkeypatch.setenv(env_names.POWERTOOLS_SERVICE_NAME, "highres")
    monkeypatch.setenv(env_names.POWERTOOLS_METRICS_NAMESPACE, "SomethingElse")
    shared = Metrics()
    shared.set_default_dimensions(environment="prod")
    try:
        # when
        EmfSink(NAMESPACE, LOG).emit(sample_datums(), timestamp_ms)
    finally:
        shared.clear_default_dimensions()
        shared.clear_metrics()

    # then: every directive carries exactly the catalogue's dimensions, in our namespace
    documents = emf_documents(capsys.readouterr().out)
    assert documents
    for document in documents:
        for directive in document["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == NAMESPACE
            (dimension_set,) = directive["Dimensions"]
            for definition in directive["Metrics"]:
                assert tuple(dimension_set) == metric(definition["Name"]).dimensions
        assert "service" not in document
        assert "environment" not in document


def test_emf_sink_documents_are_compact_single_lines(
    capsys: pytest.CaptureFixture[str], timestamp_ms: int
) -> None:
    EmfSink(NAMESPACE, LOG).emit(sample_datums()[:2], timestamp_ms)

    (line,) = [line for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert ", " not in line
    assert ": " not in line


def test_emf_sink_reports_nothing_written_when_powertools_metrics_are_disabled(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], timestamp_ms: int
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")

    result = EmfSink(NAMESPACE, LOG).emit(sample_datums(), timestamp_ms)

    assert result.emitted == 0
    assert emf_documents(capsys.readouterr().out) == []


def test_api_sink_batches_1000_datums_per_call(timestamp_ms: int) -> None:
    cloudwatch = RecordingCloudWatch()
    datums = [datum(RUNNING_TASK, i, ClusterName=f"c{i}") for i in range(2345)]

    result = ApiSink(cloudwatch, NAMESPACE, LOG).emit(datums, timestamp_ms)  # type: ignore[arg-type]

    assert result.emitted == 2345
    assert [len(call["MetricData"]) for call in cloudwatch.calls] == [1000, 1000, 345]
    first = cloudwatch.calls[0]["MetricData"][0]
    assert first == {
        "MetricName": "RunningTask",
        "Dimensions": [{"Name": "ClusterName", "Value": "c0"}],
        "Timestamp": datetime.fromtimestamp(timestamp_ms / 1000, UTC),
        "Value": 0.0,
        "Unit": "Count",
        "StorageResolution": 1,
    }


def test_api_sink_failed_batch_loses_only_its_datums(timestamp_ms: int) -> None:
    cloudwatch = RecordingCloudWatch(fail_calls={1})
    datums = [datum(RUNNING_TASK, i, ClusterName=f"c{i}") for i in range(2345)]

    result = ApiSink(cloudwatch, NAMESPACE, LOG).emit(datums, timestamp_ms)  # type: ignore[arg-type]

    assert len(cloudwatch.calls) == 3
    assert result.emitted == 1345
    assert result.errors == ("PutMetricData:ReadTimeout",)


def test_sinks_write_the_same_datums(capsys: pytest.CaptureFixture[str], timestamp_ms: int) -> None:
    datums = sample_datums()
    cloudwatch = RecordingCloudWatch()

    EmfSink(NAMESPACE, LOG).emit(datums, timestamp_ms)
    ApiSink(cloudwatch, NAMESPACE, LOG).emit(datums, timestamp_ms)  # type: ignore[arg-type]

    emf_points = points_from_emf(emf_documents(capsys.readouterr().out))
    assert emf_points == cloudwatch.points()
    assert len(emf_points) == len(datums)


@pytest.mark.usefixtures("aws")
def test_api_sink_round_trips_through_cloudwatch_at_one_second(timestamp_ms: int) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    datums = sample_datums()
    second = datetime.fromtimestamp(timestamp_ms / 1000, UTC)

    ApiSink(cloudwatch, NAMESPACE, LOG).emit(datums, timestamp_ms)

    metrics = [(NAMESPACE, d.spec.name, d.dimensions) for d in datums]
    results = read_at_one_second(cloudwatch, metrics, second, window_s=2)
    for d, r in zip(datums, results, strict=True):
        assert r["Values"] == [d.value], d.spec.name
        assert r["Timestamps"] == [second], d.spec.name
    listed = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
    assert sorted(
        (m["MetricName"], tuple(x["Name"] for x in m.get("Dimensions", []))) for m in listed
    ) == sorted((d.spec.name, d.spec.dimensions) for d in datums)


def test_make_sink_creates_a_cloudwatch_client_only_for_the_api_sink() -> None:
    created: list[RecordingCloudWatch] = []

    def factory() -> RecordingCloudWatch:
        created.append(RecordingCloudWatch())
        return created[-1]

    emf = make_sink(Settings(), LOG, factory)  # type: ignore[arg-type]
    api = make_sink(Settings(namespace=DEFAULT_NAMESPACE, sink=SinkKind.API), LOG, factory)  # type: ignore[arg-type]

    assert isinstance(emf, EmfSink)
    assert isinstance(api, ApiSink)
    assert len(created) == 1


def test_emf_documents_extracted_as_cloudwatch_logs_does_give_the_api_sink_datums(
    capsys: pytest.CaptureFixture[str], timestamp_ms: int
) -> None:
    # given: the emulator's EMF extraction (what CloudWatch Logs does in AWS) and the API sink
    extracted, direct = RecordingCloudWatch(), RecordingCloudWatch()
    datums = sample_datums()

    # when
    EmfSink(NAMESPACE, LOG).emit(datums, timestamp_ms)
    printed = capsys.readouterr().out
    published = publish_emf_lines(extracted, printed.splitlines())
    ApiSink(direct, NAMESPACE, LOG).emit(datums, timestamp_ms)  # type: ignore[arg-type]

    # then
    assert published == len(emf_documents(printed))
    assert extracted.points() == direct.points() == expected_points(datums, timestamp_ms)
