"""Where a sample's datums go: EMF log lines (default) or PutMetricData calls.

Both write the same datums, each stamped with the sample's second, high resolution, with exactly
the catalogue's dimensions.

`EmfSink` prints one compact EMF document per dimension set (one per cluster, per state, ...)
through Powertools' `EphemeralMetrics` (its CloudWatch EMF provider without the state `Metrics`
shares between instances, so nothing leaks from one document or sample to the next). It makes no
API call; CloudWatch Logs extracts the metrics. Powertools adds a `service` dimension whenever a
service name is configured (e.g. POWERTOOLS_SERVICE_NAME set by the stack), and an alarm on
`ClusterName` alone never sees a metric published as `ClusterName`+`service`: each document is
built by a fresh provider with an empty service name and no default dimensions, so nothing is
added.

`ApiSink` calls PutMetricData with explicit timestamps, up to 1,000 datums per call (the API's
limit per request).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricResolution
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from common.catalogue import STORAGE_RESOLUTION
from common.datum import Datum
from common.faults import Faults
from common.paging import chunks
from common.settings import Settings, SinkKind

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import MetricDatumTypeDef

PUT_METRIC_DATA_MAX_DATUMS = 1000


@dataclass(frozen=True)
class SinkResult:
    emitted: int  # datums handed over for publication
    errors: tuple[str, ...] = ()


class Sink(Protocol):
    def emit(self, datums: Sequence[Datum], timestamp_ms: int) -> SinkResult: ...


def by_dimensions(datums: Sequence[Datum]) -> dict[tuple[tuple[str, str], ...], list[Datum]]:
    """Datums grouped by dimension values, first-seen order: one EMF document per group."""
    groups: dict[tuple[tuple[str, str], ...], list[Datum]] = {}
    for d in datums:
        groups.setdefault(d.dimensions, []).append(d)
    return groups


class EmfSink:
    def __init__(self, namespace: str, logger: Logger | logging.Logger) -> None:
        self._namespace = namespace
        self._logger = logger

    def emit(self, datums: Sequence[Datum], timestamp_ms: int) -> SinkResult:
        if is_metrics_disabled():
            # POWERTOOLS_METRICS_DISABLED (or POWERTOOLS_DEV) makes Powertools print nothing.
            self._logger.warning("metrics disabled by Powertools settings", extra={"dropped": len(datums)})
            return SinkResult(0)
        for dimensions, group in by_dimensions(datums).items():
            # service="" (not None): None would fall back to POWERTOOLS_SERVICE_NAME and add `service`.
            document = EphemeralMetrics(namespace=self._namespace, service="")
            for name, value in dimensions:
                document.add_dimension(name=name, value=value)
            for d in group:
                document.add_metric(
                    name=d.spec.name, unit=d.spec.unit.value, value=d.value, resolution=MetricResolution.High
                )
            document.set_timestamp(timestamp_ms)
            document.flush_metrics()
        return SinkResult(len(datums))


class ApiSink:
    def __init__(self, cloudwatch: CloudWatchClient, namespace: str, logger: Logger | logging.Logger) -> None:
        self._cloudwatch = cloudwatch
        self._namespace = namespace
        self._logger = logger

    def emit(self, datums: Sequence[Datum], timestamp_ms: int) -> SinkResult:
        timestamp = datetime.fromtimestamp(timestamp_ms / 1000, UTC)
        faults = Faults(self._logger)
        emitted = 0
        for batch in chunks(datums, PUT_METRIC_DATA_MAX_DATUMS):
            metric_data = [_metric_datum(d, timestamp) for d in batch]
            try:
                self._cloudwatch.put_metric_data(Namespace=self._namespace, MetricData=metric_data)
            except Exception as exc:  # a lost batch must not lose the next one
                faults.record("PutMetricData", exc)
            else:
                emitted += len(batch)
        return SinkResult(emitted, tuple(faults.errors))


def _metric_datum(d: Datum, timestamp: datetime) -> MetricDatumTypeDef:
    entry: MetricDatumTypeDef = {
        "MetricName": d.spec.name,
        "Timestamp": timestamp,
        "Value": d.value,
        "Unit": d.spec.unit.value,
        "StorageResolution": STORAGE_RESOLUTION,
    }
    if d.dimensions:
        entry["Dimensions"] = [{"Name": name, "Value": value} for name, value in d.dimensions]
    return entry


def make_sink(
    settings: Settings, logger: Logger | logging.Logger, cloudwatch: Callable[[], CloudWatchClient]
) -> Sink:
    """The configured sink; the CloudWatch client is only created for the API sink."""
    if settings.sink is SinkKind.API:
        return ApiSink(cloudwatch(), settings.namespace, logger)
    return EmfSink(settings.namespace, logger)
