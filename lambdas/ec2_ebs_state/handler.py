"""Lambda entry point: one EC2/EBS sample per invocation (handler string `ec2_ebs_state.handler.handler`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from collector_core.catalogue import Collector
from collector_core.clients import client_config, cloudwatch_client, dynamodb_client, ec2_client
from collector_core.container import PerContainer
from collector_core.datum import Datum
from collector_core.faults import Budget, Faults
from collector_core.runner import SampleRuntime, handle_sample
from collector_core.sample import Clock
from collector_core.settings import Settings, StateSource
from collector_core.sinks import make_sink
from collector_core.state_table import StateTable
from collector_core.xml_counting import install
from ec2_ebs_state.collect import FleetWatch, collect
from ec2_ebs_state.from_table import collect_from_table

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client

logger = Logger()
# Wall clock, module-level so tests can pin it.
clock: Clock = time.time


@dataclass(frozen=True, kw_only=True)
class Runtime(SampleRuntime):
    """The EC2 client, the last fleet size and (events mode) the state table, besides the settings
    and the sink."""

    ec2: EC2Client
    fleet: FleetWatch
    table: StateTable | None = None


def build_runtime(settings: Settings) -> Runtime:
    config = client_config(settings.period_seconds)
    sink = make_sink(settings, logger, lambda: cloudwatch_client(config))
    table = None
    if settings.ec2_state_source is StateSource.EVENTS:
        # Same bounds as the EC2 calls: the Query must fit the sample's period too.
        table = StateTable(dynamodb_client(config), settings.state_table)
    # The two large listings are counted from their XML (collector_core.xml_counting): 7-10x less
    # CPU than botocore's parse (bench/ec2_parsing).
    return Runtime(
        settings=settings, sink=sink, ec2=install(ec2_client(config)), fleet=FleetWatch(), table=table
    )


runtime = PerContainer(Collector.EC2_EBS_STATE, build_runtime)


def collect_ec2(rt: Runtime, budget: Budget, faults: Faults) -> list[Datum]:
    if rt.table is not None:
        watch = rt.settings.watch_instance_ids
        return collect_from_table(rt.ec2, rt.table, watch, budget=budget, faults=faults)
    return collect(rt.ec2, rt.settings, budget=budget, faults=faults, fleet=rt.fleet)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_sample(
        event, runtime, collect_ec2, collector=Collector.EC2_EBS_STATE, clock=clock, logger=logger
    )
