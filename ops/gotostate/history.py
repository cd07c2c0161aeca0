"""One pass over a Step Functions execution history: which top-level state each event belongs to.

Input is the list of events `GetExecutionHistory` returns (all pages, any order); output is a
`HistoryAnalysis` that `resume_point` turns into where to resume. No AWS calls happen here, so the
recorded histories under tests/fixtures/histories/ and synthetic ones (see `synthetic_history`,
also used by benchmarks) can be analysed offline.

Top-level states run one at a time, so a single pass in event-id order can attribute every event
to the top-level state that was active when it happened. That is what makes a failure deep inside
a Parallel branch or a Map iteration resolve to its enclosing top-level state, and it works even
on histories whose `previousEventId` is 0 (older AWS and emulator recordings).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Event = Mapping[str, Any]

TERMINAL_EVENT_STATUS = {
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}
_TERMINAL_DETAILS = {
    "ExecutionFailed": "executionFailedEventDetails",
    "ExecutionTimedOut": "executionTimedOutEventDetails",
    "ExecutionAborted": "executionAbortedEventDetails",
}


@dataclass
class StateVisit:
    """One run of a top-level state, from its `...StateEntered` event to its exit (if any)."""

    name: str
    state_type: str
    entered_event_id: int
    input_text: str | None
    input_truncated: bool
    exited_event_id: int | None = None
    caught_error: bool = False
    assigned_variables: dict[str, str] = field(default_factory=dict)
    assigned_variables_truncated: bool = False


@dataclass
class HistoryAnalysis:
    """Every top-level visit in order, plus what is needed to attribute a failure to one of them."""

    visits: list[StateVisit]
    terminal: Event | None
    failed_visit: int | None
    active_at_end: int | None
    owner: dict[int, int]
    events_by_id: dict[int, Event]
    last_entered: dict[str, int]


def _state_type(event_type: str) -> str:
    return event_type.removesuffix("StateEntered").removesuffix("StateExited")


def _is_failure(event_type: str) -> bool:
    return event_type.endswith(("Failed", "TimedOut"))


def analyse_history(events: Iterable[Event]) -> HistoryAnalysis:
    """One pass over the history in event-id order (already sorted or reversed input sorts in O(n))."""
    ordered = sorted(events, key=lambda event: int(event["id"]))
    visits: list[StateVisit] = []
    owner: dict[int, int] = {}
    by_id: dict[int, Event] = {}
    last_entered: dict[str, int] = {}
    active: int | None = None
    last_inner_type: str | None = None
    terminal: Event | None = None
    failed_visit: int | None = None

    for event in ordered:
        event_id = int(event["id"])
        event_type = str(event["type"])
        by_id[event_id] = event
        if event_type.endswith("StateEntered"):
            details = event.get("stateEnteredEventDetails") or {}
            name = str(details.get("name", ""))
            last_entered[name] = event_id
            if active is None:
                active = len(visits)
                last_inner_type = None
                visits.append(
                    StateVisit(
                        name=name,
                        state_type=_state_type(event_type),
                        entered_event_id=event_id,
                        input_text=details.get("input"),
                        input_truncated=bool((details.get("inputDetails") or {}).get("truncated")),
                    )
                )
                owner[event_id] = active
                continue
        if event_type in TERMINAL_EVENT_STATUS:
            terminal, failed_visit = event, active
        elif event_type == "ExecutionRedriven":
            # A redrive re-enters the failed state; the failed attempt's visit ends here.
            active = None
        if active is None:
            continue
        owner[event_id] = active
        visit = visits[active]
        exited = event.get("stateExitedEventDetails") or {}
        if event_type.endswith("StateExited") and exited.get("name") == visit.name:
            visit.exited_event_id = event_id
            visit.caught_error = last_inner_type is not None and _is_failure(last_inner_type)
            visit.assigned_variables = dict(exited.get("assignedVariables") or {})
            visit.assigned_variables_truncated = bool(
                (exited.get("assignedVariablesDetails") or {}).get("truncated")
            )
            active = None
        else:
            last_inner_type = event_type

    return HistoryAnalysis(
        visits=visits,
        terminal=terminal,
        failed_visit=failed_visit,
        active_at_end=active,
        owner=owner,
        events_by_id=by_id,
        last_entered=last_entered,
    )


def terminal_details(terminal: Event) -> Mapping[str, Any]:
    return terminal.get(_TERMINAL_DETAILS[str(terminal["type"])]) or {}


def synthetic_history(event_count: int, *, failing_state: str = "Process Item") -> list[dict[str, Any]]:
    """A failed history of about `event_count` events: a long top-level chain of Pass states that
    assign variables, then a Map whose last iteration fails. For benchmarks and tests."""
    events: list[dict[str, Any]] = [
        {
            "id": 1,
            "previousEventId": 0,
            "type": "ExecutionStarted",
            "executionStartedEventDetails": {"input": "{}", "inputDetails": {"truncated": False}},
        }
    ]

    def add(event_type: str, **details: Any) -> None:
        events.append({"id": len(events) + 1, "previousEventId": len(events), "type": event_type, **details})

    body = max(event_count - 10, 2)
    for step in range(body // 4):
        name = f"Step {step}"
        add("PassStateEntered", stateEnteredEventDetails={"name": name, "input": json.dumps({"step": step})})
        add(
            "PassStateExited",
            stateExitedEventDetails={
                "name": name,
                "output": json.dumps({"step": step + 1}),
                "assignedVariables": {"last_step": json.dumps(step)},
            },
        )
    add("MapStateEntered", stateEnteredEventDetails={"name": "Fan Out", "input": '{"items": [1, 2]}'})
    add("MapStateStarted", mapStateStartedEventDetails={"length": 2})
    for index in range(body // 2):
        add("MapIterationStarted", mapIterationStartedEventDetails={"name": "Fan Out", "index": index})
        if len(events) >= event_count - 6:
            break
    add("TaskStateEntered", stateEnteredEventDetails={"name": failing_state, "input": "1"})
    add("TaskFailed", taskFailedEventDetails={"error": "Boom", "cause": "synthetic"})
    add("MapIterationFailed", mapIterationFailedEventDetails={"name": "Fan Out", "index": 0})
    add("MapStateFailed")
    add("ExecutionFailed", executionFailedEventDetails={"error": "Boom", "cause": "synthetic"})
    return events
