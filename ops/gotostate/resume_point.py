"""Where to resume a failed execution, from one pass over its history (`history.analyse_history`).

The failed top-level state (the enclosing Parallel/Map for a failure inside one), or for a Fail
state the state whose Catch or Choice led there; the input it received and the workflow variables
the skipped states left. Pure: no AWS calls.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ops.gotostate.errors import GoToStateError
from ops.gotostate.history import (
    TERMINAL_EVENT_STATUS,
    Event,
    HistoryAnalysis,
    StateVisit,
    analyse_history,
    terminal_details,
)

# Failure events of work done inside a state (not of the containers around it).
_LEAF_FAILURES = frozenset(
    {
        "TaskFailed",
        "TaskTimedOut",
        "TaskStartFailed",
        "TaskSubmitFailed",
        "LambdaFunctionFailed",
        "LambdaFunctionTimedOut",
        "LambdaFunctionStartFailed",
        "LambdaFunctionScheduleFailed",
        "ActivityFailed",
        "ActivityTimedOut",
        "ActivityScheduleFailed",
        "EvaluationFailed",
    }
)
# AWS (and moto) word States.Runtime causes like this; state names may hold spaces and quotes.
_CAUSE_STATE = re.compile(r"executing the state '(?P<name>.+)' \(entered at the event id #(?P<id>\d+)\)")
# Following previousEventId from a leaf failure to its state's entry takes a handful of hops.
_MAX_CHAIN_HOPS = 64


@dataclass(frozen=True)
class ResumePoint:
    """Where to resume a failed execution, and what that state received."""

    state: str
    state_type: str
    entered_event_id: int | None
    input_text: str | None
    input_truncated: bool
    variables: dict[str, Any]
    variables_truncated: bool
    status: str
    error: str | None
    cause: str | None
    failed_state: str | None
    reason: str
    fail_state: str | None = None

    def recorded_input(self) -> Any:
        """The input the resume state received, as a JSON value."""
        if self.entered_event_id is None:
            raise GoToStateError(f"this execution never entered {self.state!r}; pass its input with --input")
        if self.input_text is None:
            raise GoToStateError(
                f"the history holds no input for state {self.state!r} "
                "(recorded without execution data?); pass it with --input"
            )
        try:
            return json.loads(self.input_text)
        except json.JSONDecodeError as exc:
            hint = " (the recording was truncated)" if self.input_truncated else ""
            raise GoToStateError(
                f"the recorded input of state {self.state!r} is not valid JSON{hint}; pass it with --input"
            ) from exc


def _visit_named_by_cause(analysis: HistoryAnalysis, cause: str | None) -> tuple[int | None, str | None]:
    """The top-level visit a `States.Runtime`-style cause points at, and the state it names."""
    match = _CAUSE_STATE.search(cause or "")
    if match is None:
        return None, None
    name, entered_id = match.group("name"), int(match.group("id"))
    entered = analysis.events_by_id.get(entered_id)
    named_entry = (entered or {}).get("stateEnteredEventDetails") or {}
    if named_entry.get("name") == name and entered_id in analysis.owner:
        return analysis.owner[entered_id], name
    # Some emulators put a wrong event id in the cause; the name is still right.
    if name in analysis.last_entered:
        return analysis.owner.get(analysis.last_entered[name]), name
    return None, name


def _innermost_failed_state(analysis: HistoryAnalysis, terminal_id: int) -> str | None:
    """The state whose own work failed last (e.g. the Lambda task inside a Parallel branch)."""
    for event_id in range(terminal_id - 1, 0, -1):
        event = analysis.events_by_id.get(event_id)
        if event is None or event["type"] not in _LEAF_FAILURES:
            continue
        for _ in range(_MAX_CHAIN_HOPS):
            entered = event.get("stateEnteredEventDetails")
            if entered:
                return str(entered.get("name"))
            previous = analysis.events_by_id.get(int(event.get("previousEventId") or 0))
            if previous is None:
                return None
            event = previous
        return None
    return None


def _restored_variables(visits: Sequence[StateVisit]) -> tuple[dict[str, Any], bool]:
    """Variables as the skipped top-level states left them (later assignments win)."""
    variables: dict[str, Any] = {}
    truncated = False
    for visit in visits:
        truncated = truncated or visit.assigned_variables_truncated
        for name, text in visit.assigned_variables.items():
            try:
                variables[name] = json.loads(text)
            except (TypeError, json.JSONDecodeError):
                truncated = True
    return variables, truncated


def _resolve_fail_state(
    visits: Sequence[StateVisit], fail_index: int, skip: Collection[str]
) -> tuple[int, str]:
    """A Fail state is never the fix: resume where the path to it was decided."""
    earliest = fail_index
    for index in range(fail_index - 1, -1, -1):
        visit = visits[index]
        if visit.name in skip:
            break
        if visit.caught_error:
            return index, f"its error was caught and routed to Fail state {visits[fail_index].name!r}"
        if visit.state_type == "Choice":
            return index, f"it chose the path to Fail state {visits[fail_index].name!r}"
        earliest = index
    if earliest == fail_index:
        raise GoToStateError(
            f"the execution ended in Fail state {visits[fail_index].name!r} with no state before it; "
            "choose one with --state"
        )
    return earliest, (
        f"no Catch or Choice leads to Fail state {visits[fail_index].name!r}; "
        "resuming at the first state on its path"
    )


def find_resume_point(
    events: Iterable[Event],
    *,
    state: str | None = None,
    skip: Collection[str] = (),
    status: str | None = None,
) -> ResumePoint:
    """Analyse a whole history and say where to resume. Linear in the number of events.

    `state` overrides the detection with a top-level state; `skip` names states added by
    gotostate itself, which are never resume points. `status` is the execution's status from
    DescribeExecution, trusted when the history lacks its terminal event (moto omits it for an
    execution stopped very early).
    """
    return resume_point_from(analyse_history(events), state=state, skip=skip, status=status)


def resume_point_from(
    analysis: HistoryAnalysis,
    *,
    state: str | None = None,
    skip: Collection[str] = (),
    status: str | None = None,
) -> ResumePoint:
    terminal, failed_visit = analysis.terminal, analysis.failed_visit
    if terminal is None:
        if status not in TERMINAL_EVENT_STATUS.values():
            raise GoToStateError(
                "the history has no ExecutionFailed, ExecutionTimedOut or ExecutionAborted event"
            )
        synthetic_type = next(key for key, value in TERMINAL_EVENT_STATUS.items() if value == status)
        terminal = {"id": max(analysis.events_by_id, default=0) + 1, "type": synthetic_type}
        failed_visit = analysis.active_at_end
    details = terminal_details(terminal)
    error, cause = details.get("error"), details.get("cause")
    cause_visit, cause_state = _visit_named_by_cause(analysis, cause)
    failed_state = cause_state or _innermost_failed_state(analysis, int(terminal["id"]))
    visits = analysis.visits
    fail_state: str | None = None

    if state is not None:
        index, reason = _visit_for_requested_state(analysis, state)
    else:
        index = cause_visit if cause_visit is not None else failed_visit
        if index is None:
            raise GoToStateError(
                "could not tell from the history which state failed; choose one with --state"
            )
        top = visits[index]
        if failed_state and failed_state != top.name:
            reason = (
                f"the failure in {failed_state!r} happened inside top-level {top.state_type} {top.name!r}"
            )
        elif top.state_type in ("Parallel", "Map"):
            reason = f"the failure happened inside this top-level {top.state_type}"
        else:
            reason = f"it is the state that failed ({TERMINAL_EVENT_STATUS[str(terminal['type'])]})"
        if top.state_type == "Fail":
            fail_state = top.name
            index, reason = _resolve_fail_state(visits, index, skip)
    if index is not None and visits[index].name in skip:
        raise GoToStateError(
            f"the execution failed in {visits[index].name!r}, a state added by gotostate; "
            "choose an original state with --state"
        )

    # No index: --state names a top-level state this execution never entered.
    visit = None if index is None else visits[index]
    variables, variables_truncated = _restored_variables(visits if index is None else visits[:index])
    return ResumePoint(
        state=str(state) if visit is None else visit.name,
        state_type="" if visit is None else visit.state_type,
        entered_event_id=None if visit is None else visit.entered_event_id,
        input_text=None if visit is None else visit.input_text,
        input_truncated=False if visit is None else visit.input_truncated,
        variables=variables,
        variables_truncated=variables_truncated,
        status=TERMINAL_EVENT_STATUS[str(terminal["type"])],
        error=error,
        cause=cause,
        failed_state=failed_state,
        reason=reason,
        fail_state=fail_state,
    )


def _visit_for_requested_state(analysis: HistoryAnalysis, state: str) -> tuple[int | None, str]:
    """The last top-level visit of `state`; None when it is top-level but was never entered."""
    for index in range(len(analysis.visits) - 1, -1, -1):
        if analysis.visits[index].name == state:
            return index, "chosen with --state"
    entered_id = analysis.last_entered.get(state)
    if entered_id is not None and entered_id in analysis.owner:
        top = analysis.visits[analysis.owner[entered_id]].name
        raise GoToStateError(f"state {state!r} is nested inside top-level state {top!r}; use --state {top!r}")
    return None, "chosen with --state (never entered by this execution)"
