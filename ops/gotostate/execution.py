"""The failed execution as Step Functions records it: its ARN, its whole history, and whether it
can be resumed or redriven at all. Reads only; takes the Step Functions client as an argument."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ops.gotostate.errors import GoToStateError

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.type_defs import DescribeExecutionOutputTypeDef

_EXECUTION_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):states:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<kind>execution|express):(?P<machine>[^:\s]+):(?P<name>[^:\s]+)(?::(?P<extra>[^:\s]+))?$"
)
RESUMABLE_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
# RedriveExecution limits (API reference): 14 days after the stop, fewer than 24,999 events.
REDRIVE_WINDOW = timedelta(days=14)
REDRIVE_MAX_EVENTS = 24_999


@dataclass(frozen=True)
class ExecutionArn:
    arn: str
    partition: str
    region: str
    account: str
    machine: str
    name: str


def parse_execution_arn(arn: str) -> ExecutionArn:
    match = _EXECUTION_ARN.match(arn.strip())
    if match is None:
        raise GoToStateError(
            f"malformed execution ARN {arn!r} "
            "(expected arn:aws:states:<region>:<account>:execution:<machine>:<name>)"
        )
    if match.group("kind") == "express":
        raise GoToStateError(
            "this is an Express execution: Step Functions keeps no history for Express workflows "
            "(GetExecutionHistory and RedriveExecution do not support them), "
            "so there is nothing to resume from"
        )
    return ExecutionArn(
        arn=arn.strip(),
        partition=match.group("partition"),
        region=match.group("region"),
        account=match.group("account"),
        machine=match.group("machine"),
        name=match.group("name"),
    )


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def read_history(client: SFNClient, execution_arn: str) -> list[dict[str, Any]]:
    """Every event, following nextToken page by page (1,000 per page, the API maximum)."""
    events: list[dict[str, Any]] = []
    paginator = client.get_paginator("get_execution_history")
    pages = paginator.paginate(
        executionArn=execution_arn, includeExecutionData=True, PaginationConfig={"PageSize": 1000}
    )
    for page in pages:
        events.extend(dict(event) for event in page["events"])
    return events


def redrive_refusal(execution: DescribeExecutionOutputTypeDef, event_count: int, now: datetime) -> str | None:
    """Why RedriveExecution would refuse this execution, or None when it is eligible."""
    status = execution["status"]
    if status not in RESUMABLE_STATUSES:
        return f"the execution is {status}"
    redrive_status = execution.get("redriveStatus")
    if redrive_status == "NOT_REDRIVABLE":
        reason = execution.get("redriveStatusReason", "no reason given")
        return f"Step Functions says it is not redrivable: {reason}"
    if redrive_status == "REDRIVABLE_BY_MAP_RUN":
        return "only its Distributed Map Run can be redriven"
    stopped = execution.get("stopDate")
    if stopped is not None and now - stopped > REDRIVE_WINDOW:
        return (
            f"it stopped {(now - stopped).days} days ago and RedriveExecution only accepts the last 14 days"
        )
    if event_count >= REDRIVE_MAX_EVENTS:
        return (
            f"its history has {event_count} events and RedriveExecution needs fewer than {REDRIVE_MAX_EVENTS}"
        )
    return None


def check_resumable(status: str) -> None:
    if status == "RUNNING":
        raise GoToStateError("the execution is still RUNNING; wait for it to fail or stop it first")
    if status == "SUCCEEDED":
        raise GoToStateError("the execution SUCCEEDED; there is nothing to resume")
    if status not in RESUMABLE_STATUSES:
        raise GoToStateError(
            f"the execution is {status}; only FAILED, TIMED_OUT or ABORTED ones can be resumed"
        )
