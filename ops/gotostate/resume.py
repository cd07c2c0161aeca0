"""Plan a resume: read the failed execution, find where to resume and with what, and validate it.

`plan_resume` only reads (DescribeExecution, DescribeStateMachineForExecution, GetExecutionHistory,
DescribeStateMachine, ListTagsForResource) and validates everything, so bad input never leaves
anything behind; `apply.apply_plan` does the writes. Both take the Step Functions client.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ops.gotostate.errors import GoToStateError
from ops.gotostate.execution import (
    check_resumable,
    error_code,
    parse_execution_arn,
    read_history,
    redrive_refusal,
)
from ops.gotostate.history import analyse_history
from ops.gotostate.resume_point import ResumePoint, resume_point_from
from ops.gotostate.rewrite import (
    RESUME_KEY,
    added_state_names,
    gotostate_machine_name,
    rewrite_definition,
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

MAX_TAGS = 50
MAX_TAG_VALUE = 256
_INVALID_TAG_CHARS = re.compile(r"[^\w .:/=+\-@]")
TAG_RESUMES = "gotostate:resumes-execution"
TAG_STATE = "gotostate:resume-state"


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
    check_resumable(execution["status"])

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
