"""Lambda entry point of the reconcile job (`ec2_state_events.reconcile_handler.handler`), started by
a schedule every `reconcileMinutes`: a full count repairs the events table, and StateRepairs says
how much it had to repair."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from collector_core.catalogue import STATE_REPAIRS, Collector
from collector_core.clients import cloudwatch_client, dynamodb_client, ec2_client, event_client_config
from collector_core.container import PerContainer
from collector_core.datum import datum
from collector_core.faults import Budget
from collector_core.sample import Clock
from collector_core.settings import Settings
from collector_core.sinks import Sink, make_sink
from collector_core.xml_counting import install
from ec2_state_events.reconcile import reconcile
from ec2_state_events.store import Store

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client

logger = Logger()
clock: Clock = time.time
# Stop starting listing pages this long before the function's own timeout: the repairs and the
# datum still need time after the last page.
RESERVE_MS = 20_000


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    ec2: EC2Client
    store: Store
    sink: Sink


def build_runtime(settings: Settings) -> Runtime:
    config = event_client_config()
    return Runtime(
        settings,
        install(ec2_client(config)),  # the poll mode's streaming XML count: the fast path
        Store(dynamodb_client(config), settings.state_table),
        make_sink(settings, logger, lambda: cloudwatch_client(config)),
    )


runtime = PerContainer(Collector.EC2_EBS_STATE, build_runtime)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    rt = runtime()
    deadline = clock() + max(1.0, (context.get_remaining_time_in_millis() - RESERVE_MS) / 1000)
    report = reconcile(rt.ec2, rt.store, budget=Budget(clock, deadline), clock=clock)
    rt.sink.emit([datum(STATE_REPAIRS, report.repaired)], int(clock() * 1000))
    logger.info("reconciled", extra=report.as_dict())
    return report.as_dict()
