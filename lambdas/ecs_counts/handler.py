"""Lambda entry point: one ECS sample per invocation (handler string `ecs_counts.handler.handler`)."""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from collector_core.catalogue import Collector
from collector_core.clients import client_config, cloudwatch_client, ecs_client
from collector_core.datum import Datum
from collector_core.faults import Budget, Faults
from collector_core.runner import run_sample
from collector_core.sample import Clock, Sample
from collector_core.settings import Settings, load_settings
from collector_core.sinks import Sink, make_sink
from ecs_counts.collect import ClusterCache, collect

if TYPE_CHECKING:
    from mypy_boto3_ecs.client import ECSClient

logger = Logger()
# Wall clock, module-level so tests can pin it.
clock: Clock = time.time


@dataclass(frozen=True)
class Runtime:
    """What a container keeps between invocations: config, clients, sink, the cluster list."""

    settings: Settings
    ecs: ECSClient
    sink: Sink
    clusters: ClusterCache


@functools.cache
def runtime() -> Runtime:
    """Built on the first invocation of a container; a bad setting fails it with SettingsError."""
    settings = load_settings(os.environ, Collector.ECS_COUNTS)
    config = client_config(settings.period_seconds)
    sink = make_sink(settings, logger, lambda: cloudwatch_client(config))
    return Runtime(settings, ecs_client(config), sink, ClusterCache())


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    started = clock()  # before anything else: SampleDelay measures from here
    sample = Sample.from_event(event)
    rt = runtime()

    def collect_ecs(budget: Budget, faults: Faults) -> list[Datum]:
        return collect(rt.ecs, rt.settings, cache=rt.clusters, clock=clock, budget=budget, faults=faults)

    summary = run_sample(
        sample,
        started,
        collector=Collector.ECS_COUNTS,
        settings=rt.settings,
        sink=rt.sink,
        collect=collect_ecs,
        clock=clock,
        logger=logger,
    )
    return summary.as_dict()
