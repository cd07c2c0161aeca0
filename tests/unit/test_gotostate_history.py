"""History analysis on recorded real-AWS histories and on small hand-written ones."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ops.gotostate.errors import GoToStateError
from ops.gotostate.history import analyse_history, synthetic_history
from ops.gotostate.resume_point import find_resume_point
from tests.support.gotostate import load_history


class History:
    """Builds a history event by event, with previousEventId chaining like AWS."""

    def __init__(self, execution_input: Any = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.add(
            "ExecutionStarted", executionStartedEventDetails={"input": json.dumps(execution_input or {})}
        )

    def add(self, event_type: str, previous: int | None = None, **details: Any) -> int:
        event_id = len(self.events) + 1
        prev = len(self.events) if previous is None else previous
        self.events.append({"id": event_id, "previousEventId": prev, "type": event_type, **details})
        return event_id

    def enter(self, state_type: str, name: str, state_input: Any, previous: int | None = None) -> int:
        details = {"name": name, "input": json.dumps(state_input), "inputDetails": {"truncated": False}}
        return self.add(f"{state_type}StateEntered", previous, stateEnteredEventDetails=details)

    def exit(self, state_type: str, name: str, output: Any, **variables: Any) -> int:
        details: dict[str, Any] = {"name": name, "output": json.dumps(output)}
        if variables:
            details["assignedVariables"] = {key: json.dumps(value) for key, value in variables.items()}
        return self.add(f"{state_type}StateExited", stateExitedEventDetails=details)

    def fail(self, error: str = "Boom", cause: str = "it broke") -> int:
        return self.add("ExecutionFailed", executionFailedEventDetails={"error": error, "cause": cause})


def test_history_parallel_fixture_resumes_at_second_parallel() -> None:
    # given a real history: a Lambda fails inside the second of two top-level Parallel states
    events = load_history("aws-parallel-lambda-failed.json")

    # when
    point = find_resume_point(events)

    # then
    assert point.state == "Parallel 2"
    assert point.state_type == "Parallel"
    assert point.entered_event_id == 16
    assert point.recorded_input() == {
        "Message": "Your message here",
        "output": [{"Message": "Your message here"}, {"Message": "Your message here"}],
    }
    assert point.failed_state == "Parallel Step 2, Process 2"
    assert point.error == "Lambda.Unknown"
    assert point.status == "FAILED"


def test_history_task_fixture_resumes_at_failed_task() -> None:
    point = find_resume_point(load_history("aws-task-failed.json"))

    assert point.state == "Start"
    assert point.state_type == "Task"
    assert point.recorded_input() == {"FunctionName": "<lambda_function_name>", "Payload": None}
    assert point.error == "Exception"


def test_history_states_runtime_fragment_names_state_with_space() -> None:
    # given two events in reverse order; ExecutionFailed has previousEventId 0 and no inputs recorded
    point = find_resume_point(load_history("aws-states-runtime-fragment.json"))

    assert point.state == "Glue StartJobRun"
    assert point.entered_event_id == 8
    assert point.error == "States.Runtime"
    with pytest.raises(GoToStateError, match="no input"):
        point.recorded_input()


def test_history_runtime_cause_for_nested_state_resolves_to_top_level() -> None:
    history = History()
    history.enter("Pass", "Prepare", {})
    history.exit("Pass", "Prepare", {"a": 1})
    history.enter("Map", "Fan Out", {"a": 1})
    history.add("MapStateStarted")
    history.add("MapIterationStarted", mapIterationStartedEventDetails={"name": "Fan Out", "index": 0})
    inner = history.enter("Pass", "It's 'quoted' here", 1)
    history.add(
        "ExecutionFailed",
        previous=0,
        executionFailedEventDetails={
            "error": "States.Runtime",
            "cause": f"An error occurred while executing the state 'It's 'quoted' here' "
            f"(entered at the event id #{inner}). The JSONPath '$.x' could not be found",
        },
    )

    point = find_resume_point(history.events)

    assert point.state == "Fan Out"
    assert point.failed_state == "It's 'quoted' here"
    assert point.recorded_input() == {"a": 1}


@pytest.mark.parametrize("state_type", ["Pass", "Wait", "Choice", "Task"])
def test_history_top_level_failure_in_any_state_type(state_type: str) -> None:
    history = History()
    history.enter("Pass", "First", {"n": 0})
    history.exit("Pass", "First", {"n": 1})
    history.enter(state_type, "Second State", {"n": 1})
    history.fail("States.Runtime", "RuntimeError(('No branching option reached in state %s', 'C'))")

    point = find_resume_point(history.events)

    assert (point.state, point.state_type) == ("Second State", state_type)
    assert point.recorded_input() == {"n": 1}


def test_history_nested_parallel_failure_resumes_at_outer_parallel() -> None:
    history = History()
    outer = history.enter("Parallel", "Outer", {"x": 1})
    started = history.add("ParallelStateStarted", outer)
    history.enter("Pass", "Sibling", {"x": 1}, previous=started)
    inner = history.enter("Parallel", "Inner", {"x": 1}, previous=started)
    inner_started = history.add("ParallelStateStarted", inner)
    task = history.enter("Task", "Deep Task", {"x": 1}, previous=inner_started)
    history.add("TaskFailed", task, taskFailedEventDetails={"error": "Oops", "cause": "deep"})
    history.add("ParallelStateFailed")
    history.add("ParallelStateFailed")
    history.fail("Oops", "deep")

    point = find_resume_point(history.events)

    assert point.state == "Outer"
    assert point.failed_state == "Deep Task"


def test_history_fail_state_after_catch_resumes_at_catching_state() -> None:
    history = History()
    history.enter("Pass", "Load", {})
    history.exit("Pass", "Load", {"id": 7}, loaded=True)
    task = history.enter("Task", "Charge Card", {"id": 7})
    history.add("TaskFailed", task, taskFailedEventDetails={"error": "Declined", "cause": "no"})
    history.exit("Task", "Charge Card", {"Error": "Declined"})
    history.enter("Fail", "Payment Failed", {"Error": "Declined"})
    history.fail("Declined", "no")

    point = find_resume_point(history.events)

    assert point.state == "Charge Card"
    assert point.fail_state == "Payment Failed"
    assert point.recorded_input() == {"id": 7}
    assert "caught" in point.reason
    assert point.variables == {"loaded": True}


def test_history_fail_state_after_choice_resumes_at_choice() -> None:
    history = History()
    history.enter("Pass", "Load", {})
    history.exit("Pass", "Load", {"kind": "bad"})
    history.enter("Choice", "Route", {"kind": "bad"})
    history.exit("Choice", "Route", {"kind": "bad"})
    history.enter("Pass", "Explain", {"kind": "bad"})
    history.exit("Pass", "Explain", {"kind": "bad"})
    history.enter("Fail", "Unknown Kind", {"kind": "bad"})
    history.fail("Unknown", "kind")

    point = find_resume_point(history.events)

    assert point.state == "Route"
    assert "chose" in point.reason


def test_history_retry_that_succeeded_is_not_a_caught_error() -> None:
    history = History()
    task = history.enter("Task", "Flaky", {})
    history.add("TaskFailed", task, taskFailedEventDetails={"error": "Again", "cause": ""})
    history.add("TaskSucceeded", taskSucceededEventDetails={"output": "{}"})
    history.exit("Task", "Flaky", {})
    history.enter("Choice", "Route", {})
    history.exit("Choice", "Route", {})
    history.enter("Fail", "Stop", {})
    history.fail()

    assert find_resume_point(history.events).state == "Route"


def test_history_fail_state_without_catch_or_choice_resumes_at_first_state() -> None:
    history = History()
    history.enter("Pass", "One", {"v": 1})
    history.exit("Pass", "One", {"v": 2})
    history.enter("Pass", "Two", {"v": 2})
    history.exit("Pass", "Two", {"v": 3})
    history.enter("Fail", "Stop", {"v": 3})
    history.fail()

    point = find_resume_point(history.events)

    assert point.state == "One"
    assert "no Catch or Choice" in point.reason


def test_history_skips_states_added_by_gotostate() -> None:
    # given a resumed run: GoToState -> GoToState Resume -> Check (Choice) -> Fail
    history = History()
    history.enter("Choice", "GoToState", {})
    history.exit("Choice", "GoToState", {})
    history.enter("Pass", "GoToState Resume", {})
    history.exit("Pass", "GoToState Resume", {"v": 1}, restored=1)
    history.enter("Pass", "Work", {"v": 1})
    history.exit("Pass", "Work", {"v": 2})
    history.enter("Fail", "Stop", {"v": 2})
    history.fail()

    point = find_resume_point(history.events, skip={"GoToState", "GoToState Resume"})

    assert point.state == "Work"
    assert point.variables == {"restored": 1}


@pytest.mark.parametrize(
    ("terminal", "status"),
    [("ExecutionTimedOut", "TIMED_OUT"), ("ExecutionAborted", "ABORTED")],
)
def test_history_timed_out_and_aborted_resume_at_active_state(terminal: str, status: str) -> None:
    history = History()
    history.enter("Pass", "Before", {})
    history.exit("Pass", "Before", {"s": 1})
    history.enter("Wait", "Sleep", {"s": 1})
    history.add(terminal, previous=0)

    point = find_resume_point(history.events)

    assert (point.state, point.status) == ("Sleep", status)


def test_history_variables_last_assignment_wins_and_stop_at_resume_state() -> None:
    history = History()
    history.enter("Pass", "A", {})
    history.exit("Pass", "A", {}, x=1, y="a")
    history.enter("Pass", "B", {})
    history.exit("Pass", "B", {}, x={"deep": [1]})
    history.enter("Task", "C", {"c": True})
    history.fail()

    assert find_resume_point(history.events).variables == {"x": {"deep": [1]}, "y": "a"}
    # resuming earlier ignores what later states assigned
    assert find_resume_point(history.events, state="B").variables == {"x": 1, "y": "a"}


def test_history_nested_variables_are_not_top_level_variables() -> None:
    history = History()
    parallel = history.enter("Parallel", "P", {})
    started = history.add("ParallelStateStarted", parallel)
    history.enter("Pass", "Branch Pass", {}, previous=started)
    history.exit("Pass", "Branch Pass", {}, branch_only=1)
    history.add("ParallelStateSucceeded")
    history.exit("Parallel", "P", [{}])
    history.enter("Task", "T", [{}])
    history.fail()

    assert find_resume_point(history.events).variables == {}


def test_history_truncated_input_and_variables_are_flagged() -> None:
    history = History()
    history.enter("Pass", "A", {})
    history.add(
        "PassStateExited",
        stateExitedEventDetails={
            "name": "A",
            "assignedVariables": {"big": '{"cut'},
            "assignedVariablesDetails": {"truncated": True},
        },
    )
    history.add(
        "TaskStateEntered",
        stateEnteredEventDetails={"name": "T", "input": '{"cut', "inputDetails": {"truncated": True}},
    )
    history.fail()

    point = find_resume_point(history.events)

    assert point.input_truncated
    assert point.variables_truncated
    with pytest.raises(GoToStateError, match="truncated"):
        point.recorded_input()


def test_history_state_override_nested_name_names_top_level_state() -> None:
    events = load_history("aws-parallel-lambda-failed.json")

    with pytest.raises(GoToStateError, match="inside top-level state 'Parallel 2'"):
        find_resume_point(events, state="Parallel Step 2, Process 1")


def test_history_state_override_picks_last_visit() -> None:
    point = find_resume_point(load_history("aws-parallel-lambda-failed.json"), state="Parallel")

    assert point.state == "Parallel"
    assert point.recorded_input() == {"Message": "Your message here"}


def test_history_state_override_never_entered_needs_input() -> None:
    point = find_resume_point(load_history("aws-task-failed.json"), state="Later")

    assert point.entered_event_id is None
    with pytest.raises(GoToStateError, match="never entered"):
        point.recorded_input()


def test_history_without_terminal_event_trusts_described_status() -> None:
    # given moto's history of an execution stopped while a state ran: no ExecutionAborted event
    history = History()
    history.enter("Wait", "Sleep", {"s": 1})

    point = find_resume_point(history.events, status="ABORTED")

    assert (point.state, point.status) == ("Sleep", "ABORTED")


def test_history_without_failure_is_an_error() -> None:
    history = History()
    history.enter("Pass", "A", {})
    history.exit("Pass", "A", {})
    history.add("ExecutionSucceeded")

    with pytest.raises(GoToStateError, match="no ExecutionFailed"):
        find_resume_point(history.events)


@pytest.mark.parametrize("size", [1_000, 10_000, 25_000])
def test_history_synthetic_large_histories(size: int) -> None:
    events = synthetic_history(size)

    point = find_resume_point(events)

    assert abs(len(events) - size) <= 10
    assert point.state == "Fan Out"
    assert point.failed_state == "Process Item"
    assert point.variables == {"last_step": (size - 10) // 4 - 1}


def test_history_analysis_accepts_any_event_order() -> None:
    events = load_history("aws-parallel-lambda-failed.json")

    forwards = analyse_history(events)
    backwards = analyse_history(list(reversed(events)))

    assert [visit.name for visit in forwards.visits] == ["Parallel", "Parallel 2"]
    assert [visit.name for visit in backwards.visits] == ["Parallel", "Parallel 2"]
    assert forwards.visits[0].exited_event_id == 15
