"""Lambda entry point of the event function (`ec2_state_events.handler.handler`): EventBridge
delivers one EC2 instance state-change or EBS volume notification per invocation; it is applied to
the state table (ec2_state_events.store) and a one-line summary returned."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from collector_core import env_names
from collector_core.catalogue import Collector
from collector_core.clients import dynamodb_client, event_client_config
from collector_core.container import PerContainer
from collector_core.settings import Settings, SettingsError
from ec2_state_events.events import parse_event
from ec2_state_events.store import Store

logger = Logger()


def build_store(settings: Settings) -> Store:
    """One client per container; the table name comes from the stack."""
    if not settings.state_table:
        raise SettingsError(env_names.STATE_TABLE_NAME, "", "the state table's name")
    return Store(dynamodb_client(event_client_config()), settings.state_table)


store = PerContainer(Collector.EC2_EBS_STATE, build_store)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    change = parse_event(event)
    if change is None:
        # Nothing this table keeps (a failed attach, an unknown event): acknowledged, so EventBridge
        # does not retry it; the reconcile job has the last word on the state.
        logger.info("event carries no state kept here", extra={"event_id": event.get("id")})
        return {"applied": False, "reason": "ignored"}
    applied = store().apply(change)
    logger.info(
        "state event",
        extra={"resource": change.resource_id, "state": change.state, "applied": applied},
    )
    return {"applied": applied, "resource": change.resource_id, "state": change.state}
