"""Lambda entry point: one ECS sample per invocation (handler string `ecs_counts.handler.handler`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from collector_core.catalogue import Collector
from collector_core.clients import client_config, cloudwatch_client, ecs_client
from collector_core.container import PerContainer
from collector_core.datum import Datum
from collector_core.faults import Budget, Faults
from collector_core.runner import SampleRuntime, handle_sample
from collector_core.sample import Clock
from collector_core.settings import Settings
from collector_core.sinks import make_sink
from ecs_counts.collect import ClusterCache, collect

if TYPE_CHECKING:
    from mypy_boto3_ecs.client import ECSClient

logger = Logger()
# Wall clock, module-level so tests can pin it.
clock: Clock = time.time


@dataclass(frozen=True, kw_only=True)
class Runtime(SampleRuntime):
    """The ECS client and the cluster list, besides the settings and the sink."""

    ecs: ECSClient
    clusters: ClusterCache


def build_runtime(settings: Settings) -> Runtime:
    config = client_config(settings.period_seconds)
    sink = make_sink(settings, logger, lambda: cloudwatch_client(config))
    return Runtime(settings=settings, sink=sink, ecs=ecs_client(config), clusters=ClusterCache())


runtime = PerContainer(Collector.ECS_COUNTS, build_runtime)


def collect_ecs(rt: Runtime, budget: Budget, faults: Faults) -> list[Datum]:
    return collect(rt.ecs, rt.settings, cache=rt.clusters, clock=clock, budget=budget, faults=faults)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_sample(
        event, runtime, collect_ecs, collector=Collector.ECS_COUNTS, clock=clock, logger=logger
    )
