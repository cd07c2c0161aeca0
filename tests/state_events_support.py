"""Helpers for the events-mode tests: the state table as the stack declares it, and EventBridge
events in the shapes AWS documents (EC2 state-change and EBS volume notifications)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from tests.collector_fixtures import ACCOUNT, REGION

TABLE = "highres-state"


def create_state_table(dynamodb: Any, name: str = TABLE) -> str:
    """The table of stacks/constructs/ec2_state_events_construct.py: pk/sk strings, on demand."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def _time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ec2_event(
    detail_type: str, resource: str, detail: dict[str, str], seconds: float, event_id: str | None
) -> dict[str, Any]:
    """An EventBridge event from EC2 in the fake account, as the service delivers it."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.ec2",
        "account": ACCOUNT,
        "time": _time(seconds),
        "region": REGION,
        "resources": [f"arn:aws:ec2:{REGION}:{ACCOUNT}:{resource}"],
        "detail": detail,
    }


def instance_event(
    instance_id: str, state: str, seconds: float, event_id: str | None = None
) -> dict[str, Any]:
    detail = {"instance-id": instance_id, "state": state}
    return _ec2_event(
        "EC2 Instance State-change Notification", f"instance/{instance_id}", detail, seconds, event_id
    )


def volume_event(
    volume_id: str, event: str, result: str, seconds: float, event_id: str | None = None
) -> dict[str, Any]:
    detail = {"event": event, "result": result, "cause": "", "request-id": ""}
    return _ec2_event("EBS Volume Notification", f"volume/{volume_id}", detail, seconds, event_id)
