"""What CloudWatch Logs does with a function's Embedded Metric Format log lines in AWS: each EMF
document becomes metric data, one datum per metric and value, at the document's own time. Here the
lines a handler printed are parsed and written to the emulated CloudWatch with PutMetricData."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any


def emf_documents(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The EMF documents among printed lines (JSON objects with an `_aws` member)."""
    return [doc for doc in map(_json_or_none, lines) if doc and "_aws" in doc]


def publish_emf(cloudwatch: Any, documents: Iterable[dict[str, Any]]) -> None:
    """Write every metric of `documents` to `cloudwatch`, as CloudWatch Logs extracts them."""
    for document in documents:
        timestamp = datetime.fromtimestamp(document["_aws"]["Timestamp"] / 1000, UTC)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dims = [{"Name": key, "Value": document[key]} for key in dimension_set]
                datums = [
                    {
                        "MetricName": metric["Name"],
                        "Dimensions": dims,
                        "Timestamp": timestamp,
                        "Value": float(value),
                        "Unit": metric.get("Unit", "None"),
                        "StorageResolution": metric.get("StorageResolution", 60),
                    }
                    for metric in directive["Metrics"]
                    for value in _values(document[metric["Name"]])
                ]
                cloudwatch.put_metric_data(Namespace=directive["Namespace"], MetricData=datums)


def publish_emf_lines(cloudwatch: Any, lines: Iterable[str]) -> int:
    """Extract and write the EMF documents among `lines`; how many there were."""
    documents = emf_documents(lines)
    publish_emf(cloudwatch, documents)
    return len(documents)


def _json_or_none(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        parsed = json.loads(line)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _values(target: Any) -> list[float]:
    """An EMF metric member holds one value or an array of values."""
    return [float(v) for v in target] if isinstance(target, list) else [float(target)]
