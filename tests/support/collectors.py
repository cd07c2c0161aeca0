"""Helpers for the collector tests: the fake AWS env (every test's), EMF parsing against the spec,
fault injection, pages over moto (which ignores MaxResults), and a normal form for datums from
either sink."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import jsonschema  # type: ignore[import-untyped]
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ReadTimeoutError

from collector_core.datum import Datum
from synthesis.handler_runner import FakeLambdaContext

REGION = "us-east-1"
ACCOUNT = "123456789012"
# The tests' one fake AWS environment (every layer's: tests/conftest.py sets it for the session, a
# subprocess gets it in its env): moto's credentials and one region, so no call can reach real AWS.
FAKE_AWS_ENV: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
# What must not be inherited from the developer's shell: a profile or an endpoint of a real account.
REAL_AWS_VARIABLES = ("AWS_PROFILE", "AWS_ENDPOINT_URL")
REQUEST_ID = "00000000-0000-0000-0000-000000000000"

# The EMF document structure of the CloudWatch specification ("Specification: Embedded metric
# format"): _aws.Timestamp (epoch ms, integer), _aws.CloudWatchMetrics[] of MetricDirectives with
# Namespace, Dimensions (DimensionSets of at most 30 keys, possibly empty) and Metrics
# (MetricDefinitions with Name, optional Unit and StorageResolution, at most 100).
EMF_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["_aws"],
    "properties": {
        "_aws": {
            "type": "object",
            "required": ["Timestamp", "CloudWatchMetrics"],
            "properties": {
                "Timestamp": {"type": "integer", "minimum": 0},
                "CloudWatchMetrics": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["Namespace", "Dimensions", "Metrics"],
                        "properties": {
                            "Namespace": {"type": "string", "minLength": 1, "maxLength": 1024},
                            "Dimensions": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "array",
                                    "maxItems": 30,
                                    "items": {"type": "string", "minLength": 1, "maxLength": 250},
                                },
                            },
                            "Metrics": {
                                "type": "array",
                                "maxItems": 100,
                                "items": {
                                    "type": "object",
                                    "required": ["Name"],
                                    "properties": {
                                        "Name": {"type": "string", "minLength": 1, "maxLength": 1024},
                                        "Unit": {"type": "string"},
                                        "StorageResolution": {"type": "integer", "enum": [1, 60]},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        }
    },
}


# One sample's datums as {(metric name, dimensions): value}.
Values = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def as_values(datums: list[Datum]) -> Values:
    """Datums keyed by name and dimensions; a datum written twice in one sample fails the test."""
    values: Values = {}
    for d in datums:
        key = (d.spec.name, d.dimensions)
        assert key not in values, f"duplicate datum {key}"
        values[key] = d.value
    return values


@dataclass(frozen=True, order=True)
class Point:
    """One datum as CloudWatch would store it, whichever sink wrote it."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    unit: str
    storage_resolution: int
    value: float
    timestamp_ms: int


def fake_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """FAKE_AWS_ENV for one test, and no Powertools settings leaking in from the environment."""
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    for name in (
        *REAL_AWS_VARIABLES,
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "POWERTOOLS_DEV",
    ):
        monkeypatch.delenv(name, raising=False)


def read_at_one_second(
    cloudwatch: Any,
    metrics: Sequence[tuple[str, str, tuple[tuple[str, str], ...]]],
    second: datetime,
    window_s: int,
) -> list[dict[str, Any]]:
    """GetMetricData's result per (namespace, name, dimensions), at Period=1 and Maximum, within
    `window_s` of `second`: what a 1-second dashboard reads back."""
    queries: list[Any] = [
        {
            "Id": f"m{i}",
            "MetricStat": {
                "Metric": {
                    "Namespace": namespace,
                    "MetricName": name,
                    "Dimensions": [{"Name": n, "Value": v} for n, v in dimensions],
                },
                "Period": 1,
                "Stat": "Maximum",
            },
        }
        for i, (namespace, name, dimensions) in enumerate(metrics)
    ]
    results: list[dict[str, Any]] = cloudwatch.get_metric_data(
        MetricDataQueries=queries,
        StartTime=second - timedelta(seconds=window_s),
        EndTime=second + timedelta(seconds=window_s),
    )["MetricDataResults"]
    return results


def recent_minute() -> datetime:
    """The current minute, so EMF timestamps stay inside CloudWatch's accepted window."""
    now = int(time.time())
    return datetime.fromtimestamp(now - now % 60, UTC)


def event_for(minute: datetime, offset: int = 0) -> dict[str, Any]:
    return {"time": minute.strftime("%Y-%m-%dT%H:%M:%SZ"), "offset": offset}


def fixed_clock(at: float) -> Callable[[], float]:
    return lambda: at


@dataclass
class StepClock:
    """A clock that advances `step` seconds on every reading (to exhaust a sample's budget)."""

    now: float
    step: float
    readings: int = 0

    def __call__(self) -> float:
        self.readings += 1
        value = self.now
        self.now += self.step
        return value


# --- EMF ----------------------------------------------------------------------------------------


def emf_documents(stdout: str) -> list[dict[str, Any]]:
    """The EMF documents among the captured stdout lines (Powertools' log lines are skipped)."""
    documents = []
    for line in stdout.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            if "_aws" in document:
                documents.append(document)
    return documents


def emf_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("{") and '"_aws"' in line]


def validate_emf(document: dict[str, Any]) -> None:
    """Assert the document follows the EMF specification, and carries nothing but metrics."""
    jsonschema.validate(document, EMF_SCHEMA)
    referenced = {"_aws"}
    for directive in document["_aws"]["CloudWatchMetrics"]:
        for dimension_set in directive["Dimensions"]:
            for key in dimension_set:
                assert isinstance(document.get(key), str), f"dimension target {key} must be a string"
                assert len(document[key]) <= 1024
                referenced.add(key)
        for definition in directive["Metrics"]:
            target = document.get(definition["Name"])
            values = target if isinstance(target, list) else [target]
            assert values and len(values) <= 100, f"metric target {definition['Name']} missing"
            assert all(isinstance(v, int | float) and math.isfinite(v) for v in values)
            referenced.add(definition["Name"])
    assert set(document) == referenced, f"unreferenced members: {set(document) - referenced}"


def points_from_emf(documents: Iterable[dict[str, Any]]) -> list[Point]:
    points = []
    for document in documents:
        validate_emf(document)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dimensions = tuple((key, document[key]) for key in dimension_set)
                for definition in directive["Metrics"]:
                    target = document[definition["Name"]]
                    for value in target if isinstance(target, list) else [target]:
                        points.append(
                            Point(
                                directive["Namespace"],
                                definition["Name"],
                                dimensions,
                                definition.get("Unit", "None"),
                                definition.get("StorageResolution", 60),
                                float(value),
                                document["_aws"]["Timestamp"],
                            )
                        )
    return sorted(points)


# --- PutMetricData ------------------------------------------------------------------------------


@dataclass
class RecordingCloudWatch:
    """Stands in for a CloudWatch client: records PutMetricData calls, optionally fails some."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    fail_calls: set[int] = field(default_factory=set)

    def put_metric_data(self, **kwargs: Any) -> dict[str, Any]:
        index = len(self.calls)
        self.calls.append(kwargs)
        if index in self.fail_calls:
            raise ReadTimeoutError(endpoint_url="https://monitoring.us-east-1.amazonaws.com/")
        return {}

    def points(self) -> list[Point]:
        return sorted(
            Point(
                call["Namespace"],
                item["MetricName"],
                tuple((d["Name"], d["Value"]) for d in item.get("Dimensions", [])),
                item["Unit"],
                item["StorageResolution"],
                float(item["Value"]),
                int(item["Timestamp"].timestamp() * 1000),
            )
            for call in self.calls
            for item in call["MetricData"]
        )


# --- fault injection and paging over moto --------------------------------------------------------


@dataclass
class _Http:
    status_code: int


def fail_operation(client: Any, operation: str, code: str, status: int = 400) -> list[int]:
    """Make every `operation` call of `client` fail with the AWS error `code` (no request is sent).

    Uses the same `before-call` hook botocore's Stubber uses; returns a list that grows by one
    per failed call.
    """
    calls: list[int] = []

    def respond(**_: Any) -> tuple[_Http, dict[str, Any]]:
        calls.append(1)
        error = {"Error": {"Code": code, "Message": f"injected {code}"}}
        return _Http(status), {**error, "ResponseMetadata": {"HTTPStatusCode": status}}

    client.meta.events.register(f"before-call.{_event_name(client)}.{operation}", respond)
    return calls


def time_out_operation(client: Any, operation: str) -> None:
    """Make every `operation` call of `client` raise botocore's ReadTimeoutError."""

    def respond(**_: Any) -> None:
        raise ReadTimeoutError(endpoint_url=client.meta.endpoint_url)

    client.meta.events.register(f"before-call.{_event_name(client)}.{operation}", respond)


def count_calls(client: Any) -> dict[str, int]:
    """Counts every API call the client sends, by operation name."""
    counts: dict[str, int] = {}

    def count(model: Any, **_: Any) -> None:
        counts[model.name] = counts.get(model.name, 0) + 1

    client.meta.events.register(f"before-call.{_event_name(client)}", count)
    return counts


class MotoPages:
    """Serves a moto list operation in pages of the requested MaxResults, with NextToken.

    moto returns every item in one page whatever MaxResults says; this slices its answer the way
    AWS pages it, so the collectors' pagination is exercised across real page boundaries.
    """

    def __init__(self, client: Any, operation: str, items_key: str) -> None:
        self.items_key = items_key
        self.requests: list[tuple[int, int]] = []  # (start, size) of every page served
        name = f"{_event_name(client)}.{operation}"
        client.meta.events.register(f"provide-client-params.{name}", self._params)
        client.meta.events.register(f"after-call.{name}", self._page)

    def _params(self, params: dict[str, Any], **_: Any) -> None:
        start = int(params.pop("NextToken", None) or 0)
        self.requests.append((start, int(params.get("MaxResults", 1000))))

    def _page(self, parsed: dict[str, Any], **_: Any) -> None:
        start, size = self.requests[-1]
        items = parsed.get(self.items_key, [])
        parsed[self.items_key] = items[start : start + size]
        parsed.pop("NextToken", None)
        if start + size < len(items):
            parsed["NextToken"] = str(start + size)


def _event_name(client: Any) -> str:
    return str(client.meta.service_model.service_id.hyphenize())


def lambda_context() -> LambdaContext:
    """The emulator's fake Lambda context, with the five minutes a collector's timeout allows."""
    return cast("LambdaContext", FakeLambdaContext(aws_request_id=REQUEST_ID, remaining_ms=300_000))
