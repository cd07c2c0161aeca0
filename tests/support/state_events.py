"""Helpers for the events-mode tests: the state table as the stack declares it, and EventBridge
events in the shapes AWS documents (EC2 state-change and EBS volume notifications, and the recorded
documented events of tests/fixtures/aws_events/)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collector_core.state_table import Kind
from tests.support.collectors import ACCOUNT, REGION

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


FIXTURES = Path(__file__).parents[1] / "fixtures" / "aws_events"

# documented event -> (kind, id, state) it leaves, or None when it must change nothing
DOCUMENTED: dict[str, tuple[Kind, str, str] | None] = {
    "ec2_instance_state_change_pending": (Kind.INSTANCE, "i-1234567890abcdef0", "pending"),
    "ebs_create_volume_available": (Kind.VOLUME, "vol-01234567", "available"),
    "ebs_delete_volume_deleted": (Kind.VOLUME, "vol-01234567", "deleted"),
    "ebs_attach_volume_failed": None,
    "ebs_reattach_volume_failed": None,
    "cloudtrail_create_volume": (Kind.VOLUME, "vol-13439757", "creating"),
    "cloudtrail_attach_volume": (Kind.VOLUME, "vol-072577c46bexample", "in-use"),
    "cloudtrail_detach_volume": (Kind.VOLUME, "vol-072577c46bexample", "available"),
    "cloudtrail_delete_volume": (Kind.VOLUME, "vol-072577c46bexample", "deleting"),
    "cloudtrail_attach_volume_failed": None,
}


def documented_event(
    name: str, *, resource_id: str | None = None, seconds: float | None = None
) -> dict[str, Any]:
    """The event of tests/fixtures/aws_events/<name>.json (AWS's documented shape, see its README),
    with its resource id and time rewritten where the page puts them when asked; a fresh `id`."""
    event: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    event["id"] = str(uuid.uuid4())
    detail = event["detail"]
    if seconds is not None:
        event["time"] = _time(seconds)
        if "eventTime" in detail:
            detail["eventTime"] = event["time"]
    if resource_id is not None:
        if "instance-id" in detail:
            detail["instance-id"] = resource_id
        event["resources"] = [
            re.sub(r"(:(?:instance|volume)/).*$", rf"\g<1>{resource_id}", arn)
            if re.search(r":(instance|volume)/", arn)
            else arn
            for arn in event["resources"]
        ]
        for part in ("requestParameters", "responseElements"):
            if isinstance(detail.get(part), dict) and "volumeId" in detail[part]:
                detail[part]["volumeId"] = resource_id
    return event
