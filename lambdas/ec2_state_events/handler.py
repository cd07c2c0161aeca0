"""Lambda entry point of the event function (`ec2_state_events.handler.handler`): EventBridge
delivers one EC2 instance state-change, EBS volume notification or EC2 API call (via CloudTrail)
per invocation; it is applied to the state table (ec2_state_events.store) and a one-line summary
returned. An event that carries nothing the table keeps is acknowledged and logged with its reason."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from collector_core import env_names
from collector_core.catalogue import Collector
from collector_core.clients import dynamodb_client, event_client_config
from collector_core.container import PerContainer
from collector_core.settings import Settings, SettingsError
from ec2_state_events.events import Ignored, read_event
from ec2_state_events.store import PARTITION_KEY_MAX_BYTES, Store, key_fits

logger = Logger()


def build_store(settings: Settings) -> Store:
    """One client per container; the table name comes from the stack."""
    if not settings.state_table:
        raise SettingsError(env_names.STATE_TABLE_NAME, "", "the state table's name")
    return Store(dynamodb_client(event_client_config()), settings.state_table)


store = PerContainer(Collector.EC2_EBS_STATE, build_store)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    change = read_event(event)
    if not isinstance(change, Ignored) and not key_fits(change.kind, change.resource_id):
        change = Ignored(f"{change.kind.value} id longer than the table's {PARTITION_KEY_MAX_BYTES}-byte key")
    if isinstance(change, Ignored):
        # Nothing this table keeps (a failed attach or API call, an unknown event, an unusable id):
        # acknowledged, so it is not retried and dropped; the reconcile job has the last word.
        logger.info(
            "event carries no state kept here",
            extra={
                "event_id": event.get("id"),
                "detail_type": event.get("detail-type"),
                "reason": change.reason,
            },
        )
        return {"applied": False, "reason": "ignored", "why": change.reason}
    applied = store().apply(change)
    logger.info(
        "state event",
        extra={"resource": change.resource_id, "state": change.state, "applied": applied},
    )
    return {"applied": applied, "resource": change.resource_id, "state": change.state}
