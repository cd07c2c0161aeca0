"""The AWS side of gotostate: read a failed execution, plan its resume, then create what the plan says.

`plan_resume` only reads (DescribeExecution, DescribeStateMachineForExecution, GetExecutionHistory,
DescribeStateMachine, ListTagsForResource) and validates everything, so bad input never leaves
anything behind. `apply_plan` does the writes. Both take the Step Functions client as an argument.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ops.gotostate.errors import GoToStateError
from ops.gotostate.history import ResumePoint, analyse_history, resume_point_from
from ops.gotostate.rewrite import (
    RESUME_KEY,
    added_state_names,
    gotostate_machine_name,
    rewrite_definition,
    sanitize_name,
    start_input_text,
    top_level_state_of,
)
from ops.gotostate.start_input import recorded_execution_input, start_input_for

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.literals import StateMachineTypeType
    from mypy_boto3_stepfunctions.type_defs import (
        DescribeExecutionOutputTypeDef,
        DescribeStateMachineForExecutionOutputTypeDef,
        TagTypeDef,
    )

_EXECUTION_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):states:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<kind>execution|express):(?P<machine>[^:\s]+):(?P<name>[^:\s]+)(?::(?P<extra>[^:\s]+))?$"
)
RESUMABLE_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
# RedriveExecution limits (API reference): 14 days after the stop, fewer than 24,999 events.
REDRIVE_WINDOW = timedelta(days=14)
REDRIVE_MAX_EVENTS = 24_999
MAX_TAGS = 50
MAX_TAG_VALUE = 256
_INVALID_TAG_CHARS = re.compile(r"[^\w .:/=+\-@]")
TAG_RESUMES = "gotostate:resumes-execution"
TAG_STATE = "gotostate:resume-state"


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


@dataclass(frozen=True)
class Options:
    execution_arn: str
    state: str | None = None
    has_input: bool = False
    corrected_input: Any = None
    has_execution_input: bool = False
    execution_input: Any = None
    start: bool = False
    dry_run: bool = False
    redrive: bool = False


@dataclass
class Plan:
    execution_arn: str
    source_machine_arn: str
    resume: ResumePoint
    recorded_input: Any
    corrected_input: Any
    original_definition: dict[str, Any]
    definition: dict[str, Any]
    machine_name: str
    machine_arn: str
    machine_type: StateMachineTypeType
    role_arn: str
    configuration: dict[str, Any]
    tags: list[TagTypeDef]
    start_input: dict[str, Any]
    event_count: int
    # The failed run's execution input (as corrected), without any earlier resume request; None
    # when neither DescribeExecution nor the history holds it.
    execution_input: Any = None
    execution_input_carried: bool = False
    recorded_execution_input: Any = None
    redrive: bool = False
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    action: str
    state_machine_arn: str
    execution_arn: str | None


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


def _tag_value(text: str) -> str:
    return _INVALID_TAG_CHARS.sub("_", text)[:MAX_TAG_VALUE]


def _new_tags(
    source_tags: list[TagTypeDef], execution_arn: str, state: str, warnings: list[str]
) -> list[TagTypeDef]:
    ours: list[TagTypeDef] = [
        {"key": TAG_RESUMES, "value": _tag_value(execution_arn)},
        {"key": TAG_STATE, "value": _tag_value(state)},
    ]
    # aws: keys belong to AWS (CloudFormation sets them) and cannot be written by callers.
    kept = [
        tag
        for tag in source_tags
        if not tag.get("key", "").startswith("aws:") and tag.get("key") not in (TAG_RESUMES, TAG_STATE)
    ]
    if len(kept) + len(ours) > MAX_TAGS:
        warnings.append(f"the original machine has {len(kept)} tags; kept the first {MAX_TAGS - len(ours)}")
        kept = kept[: MAX_TAGS - len(ours)]
    return kept + ours


def _resume_state(definition: dict[str, Any], resume: ResumePoint, requested: str | None) -> str:
    """The top-level state to resume at, checked against the definition that ran."""
    states = definition.get("States") or {}
    if resume.state in states:
        return resume.state
    top = top_level_state_of(definition, resume.state)
    if requested is not None or top is None:
        if top is not None:
            raise GoToStateError(
                f"state {resume.state!r} is nested inside top-level state {top!r}; use --state {top!r}"
            )
        raise GoToStateError(
            f"unknown state {resume.state!r}: top-level states are {', '.join(map(repr, states))}"
        )
    return top


def _check_resumable(status: str) -> None:
    if status == "RUNNING":
        raise GoToStateError("the execution is still RUNNING; wait for it to fail or stop it first")
    if status == "SUCCEEDED":
        raise GoToStateError("the execution SUCCEEDED; there is nothing to resume")
    if status not in RESUMABLE_STATUSES:
        raise GoToStateError(
            f"the execution is {status}; only FAILED, TIMED_OUT or ABORTED ones can be resumed"
        )


def _locate_resume(
    events: list[dict[str, Any]],
    definition: dict[str, Any],
    requested: str | None,
    status: str,
    warnings: list[str],
) -> ResumePoint:
    skip = added_state_names(definition)
    analysis = analyse_history(events)
    resume = resume_point_from(analysis, state=requested, skip=skip, status=status)
    resume_state = _resume_state(definition, resume, requested)
    if resume_state != resume.state:
        warnings.append(
            f"{resume.state!r} is not a top-level state; resuming at {resume_state!r}, which holds it"
        )
        resume = resume_point_from(analysis, state=resume_state, skip=skip, status=status)
    if resume.input_truncated:
        warnings.append(f"the recorded input of {resume.state!r} was truncated by Step Functions")
    if resume.variables_truncated:
        warnings.append("some recorded variable values were truncated; check 'variables' in the start input")
    return resume


def _configuration(ran: DescribeStateMachineForExecutionOutputTypeDef) -> dict[str, Any]:
    """Logging, tracing and encryption exactly as the execution ran with them."""
    configuration: dict[str, Any] = {}
    if ran.get("loggingConfiguration"):
        configuration["loggingConfiguration"] = ran["loggingConfiguration"]
    if ran.get("tracingConfiguration"):
        configuration["tracingConfiguration"] = ran["tracingConfiguration"]
    if ran.get("encryptionConfiguration"):
        configuration["encryptionConfiguration"] = ran["encryptionConfiguration"]
    return configuration


def plan_resume(client: SFNClient, options: Options, now: datetime | None = None) -> Plan:
    """Read and validate everything needed to resume; creates nothing."""
    now = now or datetime.now(UTC)
    arn = parse_execution_arn(options.execution_arn)
    execution = client.describe_execution(executionArn=arn.arn)
    source_machine_arn = execution["stateMachineArn"]
    warnings: list[str] = []
    described_type = _source_machine_type(client, source_machine_arn, warnings)
    if described_type == "EXPRESS":
        raise GoToStateError(
            "this is an Express state machine: Step Functions keeps no execution history for it"
        )
    _check_resumable(execution["status"])

    # The definition the execution ran, not the machine's current one.
    ran = client.describe_state_machine_for_execution(executionArn=arn.arn)
    original = json.loads(ran["definition"])
    # A deleted machine was Standard (it has a history); its tags are gone with it.
    machine_type: StateMachineTypeType = described_type or "STANDARD"
    source_tags = (
        list(client.list_tags_for_resource(resourceArn=source_machine_arn)["tags"]) if described_type else []
    )

    events = read_history(client, arn.arn)
    resume = _locate_resume(events, original, options.state, execution["status"], warnings)
    try:
        recorded = resume.recorded_input()
    except GoToStateError:
        if not options.has_input:
            raise
        recorded = None
    corrected = options.corrected_input if options.has_input else recorded

    definition = rewrite_definition(original, resume.state, list(resume.variables))
    recorded_known, recorded_input = recorded_execution_input(execution, events)
    known, execution_input = _execution_input(execution, events, options)
    start_input, carried = start_input_for(
        corrected,
        resume,
        arn.arn,
        execution_input,
        known=known,
        definition_text=ran["definition"],
        warnings=warnings,
    )
    name = gotostate_machine_name(source_machine_arn.split(":")[6])
    plan = Plan(
        execution_arn=arn.arn,
        source_machine_arn=source_machine_arn,
        resume=resume,
        recorded_input=recorded,
        corrected_input=corrected,
        original_definition=original,
        definition=definition,
        machine_name=name,
        machine_arn=":".join([*source_machine_arn.split(":")[:6], name]),
        machine_type=machine_type,
        role_arn=ran["roleArn"],
        configuration=_configuration(ran),
        tags=_new_tags(source_tags, arn.arn, resume.state, warnings),
        start_input=start_input,
        event_count=len(events),
        execution_input=execution_input if known else None,
        execution_input_carried=carried,
        recorded_execution_input=recorded_input if recorded_known else None,
        warnings=warnings,
    )
    if options.redrive:
        refusal = _redrive_refusal_for(options, execution, resume, len(events), now)
        if refusal is None:
            plan.redrive = True
        else:
            warnings.append(
                f"not using RedriveExecution: {refusal}; resuming with a GoToState machine instead"
            )
    return plan


def _execution_input(
    execution: DescribeExecutionOutputTypeDef, events: list[dict[str, Any]], options: Options
) -> tuple[bool, Any]:
    """(known, value): the execution input the resumed run should carry."""
    if options.has_execution_input:
        if isinstance(options.execution_input, dict) and RESUME_KEY in options.execution_input:
            raise GoToStateError(
                f"--execution-input has a top-level {RESUME_KEY!r} key, which is reserved for the "
                "resume request; remove it"
            )
        return True, options.execution_input
    return recorded_execution_input(execution, events)


def _redrive_refusal_for(
    options: Options,
    execution: DescribeExecutionOutputTypeDef,
    resume: ResumePoint,
    event_count: int,
    now: datetime,
) -> str | None:
    if resume.fail_state is not None:
        return f"the execution ended in Fail state {resume.fail_state!r}, which a redrive would just rerun"
    if options.has_input:
        return "it always reruns with the recorded input, and --input was given"
    if options.has_execution_input:
        return "it always reruns with the recorded input, and --execution-input was given"
    if options.state is not None:
        return "it always resumes at the failed state, and --state was given"
    return redrive_refusal(execution, event_count, now)


def _source_machine_type(
    client: SFNClient, machine_arn: str, warnings: list[str]
) -> StateMachineTypeType | None:
    """The original machine's type, or None when it has been deleted since."""
    try:
        return client.describe_state_machine(stateMachineArn=machine_arn)["type"]
    except ClientError as exc:
        if error_code(exc) != "StateMachineDoesNotExist":
            raise
        warnings.append("the original state machine no longer exists; its tags cannot be copied")
        return None


def execution_name(source_name: str, now: datetime) -> str:
    """A traceable, valid execution name: the failed execution's name plus when it was resumed."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    suffix = f"-gotostate-{stamp}"
    return sanitize_name(source_name)[: 80 - len(suffix)] + suffix


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
        name=execution_name(plan.execution_arn.split(":")[7], now),
        input=start_input_text(plan.start_input),
    )
    return Outcome(action, plan.machine_arn, started["executionArn"])
