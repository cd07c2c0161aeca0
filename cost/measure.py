"""What one sample writes, measured by running each real handler on moto."""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import math
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from common.catalogue import Collector
from common.settings import Settings, load_settings
from cost.items import (
    EstimateError,
)
from cost.usage import collector_of


@dataclass(frozen=True)
class SampleOutput:
    """What one healthy sample of a collector writes, as measured."""

    log_bytes: int  # everything the handler printed (EMF documents and any log lines)
    log_events: int
    datums: int

    def put_metric_data_calls(self) -> int:
        return math.ceil(self.datums / 1000)


@dataclass(frozen=True)
class _Context:
    function_name: str = "estimate"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:estimate"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"


@contextlib.contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(variables)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _seed(collector: Collector, settings: Settings, clusters: int, services_per_cluster: int) -> None:
    import boto3

    if collector is Collector.ECS_COUNTS:
        ecs = boto3.client("ecs", region_name="us-east-1")
        names = (
            [f"cluster-{i:02d}" for i in range(clusters)]
            if settings.discover_clusters
            else [c.rsplit("/", 1)[-1] for c in settings.ecs_clusters]
        )
        if settings.ecs_service_metrics:
            ecs.register_task_definition(
                family="app", containerDefinitions=[{"name": "app", "image": "app", "memory": 64}]
            )
        for name in names:
            ecs.create_cluster(clusterName=name)
            for s in range(services_per_cluster if settings.ecs_service_metrics else 0):
                ecs.create_service(cluster=name, serviceName=f"service-{s:02d}", taskDefinition="app")


class _Http:
    status_code = 200


def _no_impaired_volumes(**_: Any) -> tuple[_Http, dict[str, Any]]:
    # moto does not implement DescribeVolumeStatus; AWS answers the collector's impaired-only
    # filter with an empty list on a healthy account.
    return _Http(), {"VolumeStatuses": [], "ResponseMetadata": {"HTTPStatusCode": 200}}


@functools.cache
def measure_sample(
    handler: str, environment: tuple[tuple[str, str], ...], clusters: int, services_per_cluster: int
) -> SampleOutput:
    """Run the real handler once, warm, on moto with its template environment; count its output."""
    from moto import mock_aws

    env = {
        **dict(environment),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
    collector = collector_of(handler)
    module: Any = importlib.import_module(handler.rsplit(".", 1)[0])
    now = int(time.time())
    minute = datetime.fromtimestamp(now - now % 60, UTC)
    event = {"time": minute.strftime("%Y-%m-%dT%H:%M:%SZ"), "offset": 7}
    second = (minute + timedelta(seconds=7)).timestamp()
    with _environment(env), mock_aws():
        _seed(collector, load_settings(env, collector), clusters, services_per_cluster)
        module.runtime.cache_clear()
        saved_clock = module.clock
        module.clock = lambda: second + 0.05
        try:
            runtime = module.runtime()
            client = getattr(runtime, "ec2", None)
            if client is not None:
                client.meta.events.register("before-call.ec2.DescribeVolumeStatus", _no_impaired_volumes)
            with contextlib.redirect_stdout(io.StringIO()):
                module.handler(event, _Context())  # warm-up: ListClusters happens once a minute
            buffer = io.StringIO()
            log_handler = module.logger.registered_handler
            saved_stream = log_handler.setStream(buffer)
            try:
                with contextlib.redirect_stdout(buffer):
                    summary = module.handler(event, _Context())
            finally:
                log_handler.setStream(saved_stream)
        finally:
            module.clock = saved_clock
            module.runtime.cache_clear()
    if summary.get("errors") or summary.get("dropped"):
        raise EstimateError(f"{handler} did not run a healthy sample on moto: {summary}")
    lines = [line for line in buffer.getvalue().splitlines() if line]
    return SampleOutput(sum(len(line.encode()) for line in lines), len(lines), int(summary["emitted"]))
