"""What one sample writes, measured by running each real handler on moto."""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from collector_core.catalogue import Collector
from collector_core.collectors import collector_of_handler
from collector_core.settings import Settings, load_settings
from cost.items import (
    EstimateError,
)
from synthesis.handler_runner import function_environment, invoke_capturing, pinned_handler, schedule_event


@dataclass(frozen=True)
class SampleOutput:
    """What one healthy sample of a collector writes, as measured."""

    log_bytes: int  # everything the handler printed (EMF documents and any log lines)
    log_events: int
    datums: int

    def put_metric_data_calls(self) -> int:
        return math.ceil(self.datums / 1000)


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
    collector = collector_of_handler(handler)
    now = int(time.time())
    minute = datetime.fromtimestamp(now - now % 60, UTC)
    event = schedule_event(minute, 7)
    with function_environment(env), mock_aws():
        _seed(collector, load_settings(env, collector), clusters, services_per_cluster)
        with pinned_handler(handler, now=minute.timestamp() + 7.05) as module:
            invoke_capturing(module, event)  # warm-up: ListClusters happens once a minute
            summary, printed = invoke_capturing(module, event)
    if summary.get("errors") or summary.get("dropped"):
        raise EstimateError(f"{handler} did not run a healthy sample on moto: {summary}")
    lines = [line for line in printed.splitlines() if line]
    return SampleOutput(sum(len(line.encode()) for line in lines), len(lines), int(summary["emitted"]))
