"""The writes of a resume: create or update the GoToState machine, start the resumed execution
(under a name no other run takes), or redrive. `resume.plan_resume` has validated everything."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ops.gotostate.errors import GoToStateError
from ops.gotostate.execution import error_code
from ops.gotostate.resume import Plan
from ops.gotostate.rewrite import MAX_NAME_LENGTH, sanitize_name, start_input_text

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

# Random hex digits in a resumed execution's name: two runs in the same second (a script, an
# impatient re-run) draw the same 24 bits once in 16 million, not every time.
NAME_TOKEN_BYTES = 3


@dataclass(frozen=True)
class Outcome:
    action: str
    state_machine_arn: str
    execution_arn: str | None


def execution_name(source_name: str, now: datetime, token: str) -> str:
    """A traceable, valid, unique execution name: the failed execution's name, when it was resumed
    and a random token, at most 80 characters (StartExecution refuses a name already used:
    ExecutionAlreadyExists)."""
    suffix = f"-gotostate-{now:%Y%m%dT%H%M%SZ}-{token}"
    return sanitize_name(source_name)[: MAX_NAME_LENGTH - len(suffix)] + suffix


def _ensure_machine(client: SFNClient, plan: Plan) -> str:
    """Create the GoToState machine, or bring an existing one up to date. Returns what happened."""
    try:
        existing = client.describe_state_machine(stateMachineArn=plan.machine_arn)
    except ClientError as exc:
        if error_code(exc) != "StateMachineDoesNotExist":
            raise
        try:
            client.create_state_machine(
                name=plan.machine_name,
                definition=json.dumps(plan.definition),
                roleArn=plan.role_arn,
                type=plan.machine_type,
                tags=plan.tags,
                **plan.configuration,
            )
            return "created"
        except ClientError as create_exc:
            if error_code(create_exc) != "StateMachineAlreadyExists":
                raise
            existing = client.describe_state_machine(stateMachineArn=plan.machine_arn)
    if existing["type"] != plan.machine_type:
        raise GoToStateError(
            f"{plan.machine_name} exists with type {existing['type']}, not {plan.machine_type}; "
            "delete or rename it"
        )
    current: dict[str, Any] = {
        "definition": json.loads(existing["definition"]),
        "roleArn": existing["roleArn"],
        **{key: existing.get(key) for key in plan.configuration},
    }
    wanted = {"definition": plan.definition, "roleArn": plan.role_arn, **plan.configuration}
    action = "unchanged"
    if current != wanted:
        client.update_state_machine(
            stateMachineArn=plan.machine_arn,
            definition=json.dumps(plan.definition),
            roleArn=plan.role_arn,
            **plan.configuration,
        )
        action = "updated"
    client.tag_resource(resourceArn=plan.machine_arn, tags=plan.tags)
    return action


def apply_plan(client: SFNClient, plan: Plan, *, start: bool, now: datetime | None = None) -> Outcome:
    """Redrive, or create/update the GoToState machine and optionally start the resumed execution."""
    now = now or datetime.now(UTC)
    if plan.redrive:
        # A deterministic token makes a retried call redrive once, not twice.
        token = hashlib.sha256(f"{plan.execution_arn}:{plan.event_count}".encode()).hexdigest()[:64]
        client.redrive_execution(executionArn=plan.execution_arn, clientToken=token)
        return Outcome("redriven", plan.source_machine_arn, plan.execution_arn)
    action = _ensure_machine(client, plan)
    if not start:
        return Outcome(action, plan.machine_arn, None)
    started = client.start_execution(
        stateMachineArn=plan.machine_arn,
        name=execution_name(plan.execution_arn.split(":")[7], now, secrets.token_hex(NAME_TOKEN_BYTES)),
        input=start_input_text(plan.start_input),
    )
    return Outcome(action, plan.machine_arn, started["executionArn"])
