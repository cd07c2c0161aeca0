"""Reads the one-second metrics back from the emulated CloudWatch, as the demo and tests see them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

MetricKey = tuple[str, tuple[tuple[str, str], ...]]  # (metric name, sorted (dimension, value) pairs)
# GetMetricData takes at most 500 queries per request.
QUERIES_PER_REQUEST = 500


def read_metrics(
    cloudwatch: Any, namespace: str, start: datetime, end: datetime
) -> dict[MetricKey, list[tuple[datetime, float]]]:
    """Every metric of `namespace` at a one-second period (Maximum), as sorted (time, value) lists."""
    series: dict[MetricKey, list[tuple[datetime, float]]] = {}
    listed = {
        _metric_key(m): m
        for page in cloudwatch.get_paginator("list_metrics").paginate(Namespace=namespace)
        for m in page["Metrics"]
    }
    metrics = list(listed.values())
    for batch_start in range(0, len(metrics), QUERIES_PER_REQUEST):
        batch = metrics[batch_start : batch_start + QUERIES_PER_REQUEST]
        queries = [
            {
                "Id": f"m{i}",
                "MetricStat": {"Metric": metric, "Period": 1, "Stat": "Maximum"},
                "ReturnData": True,
            }
            for i, metric in enumerate(batch)
        ]
        for page in cloudwatch.get_paginator("get_metric_data").paginate(
            MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending"
        ):
            for result in page["MetricDataResults"]:
                points = series.setdefault(_metric_key(batch[int(result["Id"][1:])]), [])
                points += zip(result["Timestamps"], result["Values"], strict=True)
    return {key: sorted(points) for key, points in series.items()}


def _metric_key(metric: dict[str, Any]) -> MetricKey:
    dimensions = tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", [])))
    return metric["MetricName"], dimensions
