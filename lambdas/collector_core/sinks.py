"""Where a sample's datums go: EMF log lines (default) or PutMetricData calls.

Both write the same datums, each stamped with the sample's second, high resolution, with exactly
the catalogue's dimensions and units.

`EmfSink` prints the documents `collector_core.emf` packs (as few bytes as the EMF specification allows:
several directives per document, plain numbers, no `Unit` where it is `None`). It makes no API
call; CloudWatch Logs extracts the metrics. Only the catalogue's dimensions are written: no
`service` or default dimension is ever added, since an alarm on `ClusterName` alone never sees a
metric published as `ClusterName`+`service`.

`ApiSink` calls PutMetricData with explicit timestamps, up to 1,000 datums per call (the API's
limit per request).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from collector_core import emf
from collector_core.catalogue import STORAGE_RESOLUTION
from collector_core.datum import Datum
from collector_core.faults import Faults
from collector_core.paging import chunks
from collector_core.settings import Settings, SinkKind

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


class EmfSink:
    def __init__(self, namespace: str, logger: Logger | logging.Logger) -> None:
        self._namespace = namespace
        self._logger = logger

    def emit(self, datums: Sequence[Datum], timestamp_ms: int) -> SinkResult:
        if is_metrics_disabled():
            # Powertools' switch (POWERTOOLS_METRICS_DISABLED, or POWERTOOLS_DEV) still silences
            # metrics, as it did when Powertools wrote them.
            self._logger.warning("metrics disabled by Powertools settings", extra={"dropped": len(datums)})
            return SinkResult(0)
        finite = [d for d in datums if math.isfinite(d.value)]
        if len(finite) < len(datums):
            # JSON has no NaN or infinity; one such value must not cost the sample's other metrics.
            skipped = sorted({d.spec.name for d in datums if not math.isfinite(d.value)})
            self._logger.warning("non-finite values not written", extra={"metrics": skipped})
        for line in emf.documents(finite, self._namespace, timestamp_ms):
            print(line)
        return SinkResult(len(finite))


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
