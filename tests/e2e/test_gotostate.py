"""End to end on moto's Step Functions engine: machines fail for real, gotostate resumes them with a
corrected input, and the resumed runs are checked event by event."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ops.gotostate import cli as gotostate
from tests.support.gotostate import ROLE_ARN, Emulator, emulated_aws

pytestmark = pytest.mark.e2e
ADDED = ["GoToState", "GoToState Resume"]


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with emulated_aws(monkeypatch) as emulated:
        yield emulated


def resume(
    emulator: Emulator, capsys: pytest.CaptureFixture[str], execution_arn: str, *options: str
) -> dict[str, Any]:
    """Run the CLI with --start --json, wait for the resumed execution, return the CLI's report."""
    capsys.readouterr()
    code = gotostate.main(["--failed-execution-arn", execution_arn, "--start", "--json", *options])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result: dict[str, Any] = json.loads(captured.out)
    emulator.wait(result["execution_arn"])
    return result


def assert_resumed(
    emulator: Emulator, result: dict[str, Any], state: str, corrected: Any, skipped: list[str]
) -> list[tuple[str, Any]]:
    """The resumed run succeeded, skipped what it should, and `state` got exactly `corrected`."""
    described = emulator.sfn.describe_execution(executionArn=result["execution_arn"])
    entered = emulator.entered(result["execution_arn"])
    names = [name for name, _ in entered]
    assert described["status"] == "SUCCEEDED", described
    assert names[:3] == [*ADDED, state]
    assert entered[2] == (state, corrected)
    assert not set(skipped) & set(names)
    return entered


def needs(*keys: str) -> Any:
    def handler(event: Any) -> Any:
        missing = [key for key in keys if key not in event]
        if missing:
            raise KeyError(f"missing {missing}")
        return {**event, "handled": True}

    return handler


def test_e2e_task_failure_after_choice(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    # given the first walkthrough: Start -> Route (Choice) -> Process A (Task) fails without "ok"
    process = emulator.add_function("process-a", needs("ok"))
    machine = emulator.create_machine(
        "Walkthrough",
        {
            "StartAt": "Start",
            "States": {
                "Start": {"Type": "Pass", "Result": {"kind": "a"}, "ResultPath": "$.route", "Next": "Route"},
                "Route": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.route.kind", "StringEquals": "a", "Next": "Process A"}],
                    "Default": "Done",
                },
                "Process A": {"Type": "Task", "Resource": process, "Next": "Done"},
                "Done": {"Type": "Succeed"},
            },
        },
    )
    failed = emulator.run(machine, {"order": 1})
    corrected = {"order": 1, "route": {"kind": "a"}, "ok": True}

    # when
    result = resume(emulator, capsys, failed, "--input", json.dumps(corrected))

    # then
    assert result["failed_state"] == "Process A"
    assert result["failed_state_input"] == {"order": 1, "route": {"kind": "a"}}
    assert result["state_machine_arn"].endswith(":stateMachine:Walkthrough-with-GoToState")
    assert_resumed(emulator, result, "Process A", corrected, skipped=["Start", "Route"])
    assert emulator.invocations["process-a"][-1] == corrected
    assert emulator.output(result["execution_arn"]) == {**corrected, "handled": True}


def test_e2e_choice_without_match_after_choice(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = emulator.create_machine(
        "NoMatch",
        {
            "StartAt": "First Choice",
            "States": {
                "First Choice": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.size", "IsPresent": True, "Next": "Size Choice"}],
                    "Default": "Done",
                },
                "Size Choice": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.size", "NumericGreaterThan": 10, "Next": "Done"}],
                },
                "Done": {"Type": "Succeed"},
            },
        },
    )
    failed = emulator.run(machine, {"size": 3})

    result = resume(emulator, capsys, failed, "--input", '{"size": 30}')

    assert result["failed_state"] == "Size Choice"
    assert_resumed(emulator, result, "Size Choice", {"size": 30}, skipped=["First Choice"])


def test_e2e_second_parallel_needs_missing_foo(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # given the second walkthrough: two Parallel states, the second one's Lambda needs "foo"
    first = emulator.add_function("first", lambda event: {"seen": event})
    second = emulator.add_function("second", needs("foo"))

    def branch(name: str, arn: str) -> dict[str, Any]:
        return {"StartAt": name, "States": {name: {"Type": "Task", "Resource": arn, "End": True}}}

    machine = emulator.create_machine(
        "TwoParallels",
        {
            "StartAt": "Parallel",
            "States": {
                "Parallel": {
                    "Type": "Parallel",
                    "Branches": [branch("Step 1, Process 1", first), branch("Step 1, Process 2", first)],
                    "ResultPath": "$.output",
                    "Next": "Parallel 2",
                },
                "Parallel 2": {
                    "Type": "Parallel",
                    "Branches": [branch("Step 2, Process 1", second), branch("Step 2, Process 2", second)],
                    "End": True,
                },
            },
        },
    )
    failed = emulator.run(machine, {"Message": "hello"})
    recorded = emulator.entered(failed)[-1][1]
    corrected = {**recorded, "foo": "bar"}
    first_calls = len(emulator.invocations["first"])

    result = resume(emulator, capsys, failed, "--input", json.dumps(corrected))

    assert result["failed_state"] == "Parallel 2"
    assert result["innermost_failed_state"] in {"Step 2, Process 1", "Step 2, Process 2"}
    assert result["failed_state_input"] == {
        "Message": "hello",
        "output": [{"seen": {"Message": "hello"}}] * 2,
    }
    assert_resumed(emulator, result, "Parallel 2", corrected, skipped=["Parallel", "Step 1, Process 1"])
    assert len(emulator.invocations["first"]) == first_calls
    assert emulator.invocations["second"][-2:] == [corrected, corrected]


def test_e2e_map_iteration_failure_resumes_at_map(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    work = emulator.add_function("work", needs("v"))
    machine = emulator.create_machine(
        "MapMachine",
        {
            "StartAt": "Prepare",
            "States": {
                "Prepare": {"Type": "Pass", "Next": "Each Item"},
                "Each Item": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "INLINE"},
                        "StartAt": "Work",
                        "States": {"Work": {"Type": "Task", "Resource": work, "End": True}},
                    },
                    "End": True,
                },
            },
        },
    )
    failed = emulator.run(machine, {"items": [{"v": 1}, {"w": 2}]})
    corrected = {"items": [{"v": 1}, {"v": 2}]}

    result = resume(emulator, capsys, failed, "--input", json.dumps(corrected))

    assert (result["failed_state"], result["innermost_failed_state"]) == ("Each Item", "Work")
    assert_resumed(emulator, result, "Each Item", corrected, skipped=["Prepare"])


def test_e2e_nested_parallel_runtime_error_resumes_at_outer(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = {
        "StartAt": "Deep Pass",
        "States": {"Deep Pass": {"Type": "Pass", "Parameters": {"need.$": "$.need"}, "End": True}},
    }
    machine = emulator.create_machine(
        "Nested",
        {
            "StartAt": "Before",
            "States": {
                "Before": {"Type": "Pass", "Next": "Outer"},
                "Outer": {
                    "Type": "Parallel",
                    "Branches": [
                        {
                            "StartAt": "Inner",
                            "States": {"Inner": {"Type": "Parallel", "Branches": [deep], "End": True}},
                        }
                    ],
                    "End": True,
                },
            },
        },
    )
    failed = emulator.run(machine, {"x": 1})

    result = resume(emulator, capsys, failed, "--input", '{"need": 1}')

    assert result["failed_state"] == "Outer"
    assert_resumed(emulator, result, "Outer", {"need": 1}, skipped=["Before"])


@pytest.mark.parametrize(
    ("state", "broken", "corrected"),
    [
        (
            {"Type": "Pass", "Parameters": {"id.$": "$.id"}, "Next": "Done"},
            {"name": "x"},
            {"id": 4},
        ),
        ({"Type": "Wait", "SecondsPath": "$.secs", "Next": "Done"}, {"secs": "soon"}, {"secs": 0}),
    ],
    ids=["pass", "wait"],
)
def test_e2e_pass_and_wait_failures_with_spaced_names(
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
    state: dict[str, Any],
    broken: Any,
    corrected: Any,
) -> None:
    machine = emulator.create_machine(
        f"Runtime{state['Type']}",
        {
            "StartAt": "Set Up",
            "States": {
                "Set Up": {"Type": "Pass", "Next": "The Failing State"},
                "The Failing State": state,
                "Done": {"Type": "Succeed"},
            },
        },
    )
    failed = emulator.run(machine, broken)
    assert emulator.sfn.describe_execution(executionArn=failed)["error"] == "States.Runtime"

    result = resume(emulator, capsys, failed, "--input", json.dumps(corrected))

    assert result["failed_state"] == "The Failing State"
    assert result["failed_state_input"] == broken
    assert_resumed(emulator, result, "The Failing State", corrected, skipped=["Set Up"])


def test_e2e_fail_state_after_catch_resumes_at_catching_state(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    charge = emulator.add_function("charge", needs("card"))
    machine = emulator.create_machine(
        "Payments",
        {
            "StartAt": "Load",
            "States": {
                "Load": {"Type": "Pass", "Next": "Charge"},
                "Charge": {
                    "Type": "Task",
                    "Resource": charge,
                    "Catch": [
                        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Payment Failed"}
                    ],
                    "Next": "Done",
                },
                "Payment Failed": {"Type": "Fail", "Error": "PaymentFailed"},
                "Done": {"Type": "Succeed"},
            },
        },
    )
    failed = emulator.run(machine, {"amount": 5})

    result = resume(emulator, capsys, failed, "--input", '{"amount": 5, "card": "4242"}')

    assert result["failed_state"] == "Charge"
    assert result["error"] == "PaymentFailed"
    assert_resumed(emulator, result, "Charge", {"amount": 5, "card": "4242"}, skipped=["Load"])


def test_e2e_fail_state_after_choice_resumes_at_choice(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = emulator.create_machine(
        "Router",
        {
            "StartAt": "Load",
            "States": {
                "Load": {"Type": "Pass", "Next": "Route"},
                "Route": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.kind", "StringEquals": "known", "Next": "Done"}],
                    "Default": "Explain",
                },
                "Explain": {"Type": "Pass", "Next": "Unknown Kind"},
                "Unknown Kind": {"Type": "Fail", "Error": "UnknownKind"},
                "Done": {"Type": "Succeed"},
            },
        },
    )
    failed = emulator.run(machine, {"kind": "odd"})

    result = resume(emulator, capsys, failed, "--input", '{"kind": "known"}', "--redrive")

    assert result["failed_state"] == "Route"
    assert result["method"] == "gotostate"
    assert "Fail state 'Unknown Kind'" in result["warnings"][0]
    assert_resumed(emulator, result, "Route", {"kind": "known"}, skipped=["Load", "Explain"])


def test_e2e_timed_out_and_aborted_executions(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    definition = {
        "StartAt": "Before",
        "States": {
            "Before": {"Type": "Pass", "Next": "Sleep"},
            "Sleep": {"Type": "Wait", "SecondsPath": "$.secs", "End": True},
        },
    }
    timed_out = emulator.create_machine("Sleeper", {**definition, "TimeoutSeconds": 1})
    aborted = emulator.create_machine("Stopped", definition)
    timed_out_run = emulator.run(timed_out, {"secs": 3})
    started = emulator.sfn.start_execution(stateMachineArn=aborted, name="to-stop", input='{"secs": 3}')
    while ("Sleep", {"secs": 3}) not in emulator.entered(started["executionArn"]):
        time.sleep(0.02)
    emulator.sfn.stop_execution(executionArn=started["executionArn"])
    emulator.wait(started["executionArn"])

    for failed, status in ((timed_out_run, "TIMED_OUT"), (started["executionArn"], "ABORTED")):
        result = resume(emulator, capsys, failed, "--input", '{"secs": 0}')

        assert (result["status"], result["failed_state"]) == (status, "Sleep")
        assert_resumed(emulator, result, "Sleep", {"secs": 0}, skipped=["Before"])


def test_e2e_jsonata_machine_restores_variables(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a JSONata machine whose later state reads variables set by skipped states
    machine = emulator.create_machine(
        "JsonataVars",
        {
            "QueryLanguage": "JSONata",
            "StartAt": "Init",
            "States": {
                "Init": {
                    "Type": "Pass",
                    "Assign": {"rate": 3, "owner": "{% $states.input.owner %}", "tags": ["a", "b"]},
                    "Next": "Compute",
                },
                "Compute": {
                    "Type": "Pass",
                    "Output": {
                        "total": "{% $states.input.amount * $rate %}",
                        "owner": "{% $owner %}",
                        "tags": "{% $tags %}",
                    },
                    "End": True,
                },
            },
        },
    )
    failed = emulator.run(machine, {"owner": "ana"})  # no amount: the JSONata expression fails

    result = resume(emulator, capsys, failed, "--input", '{"amount": 2}')

    assert result["failed_state"] == "Compute"
    assert result["variables"] == {"rate": 3, "owner": "ana", "tags": ["a", "b"]}
    assert_resumed(emulator, result, "Compute", {"amount": 2}, skipped=["Init"])
    assert emulator.output(result["execution_arn"]) == {"total": 6, "owner": "ana", "tags": ["a", "b"]}
    definition = json.loads(
        emulator.sfn.describe_state_machine(stateMachineArn=result["state_machine_arn"])["definition"]
    )
    assert definition["QueryLanguage"] == "JSONata"


def test_e2e_jsonpath_machine_restores_variables_and_non_object_input(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = emulator.create_machine(
        "JsonPathVars",
        {
            "StartAt": "Init",
            "States": {
                "Init": {"Type": "Pass", "Assign": {"factor": 10, "label.$": "$.label"}, "Next": "Scale"},
                "Scale": {
                    "Type": "Pass",
                    "Parameters": {"first.$": "$[0]", "factor.$": "$factor", "label.$": "$label"},
                    "End": True,
                },
            },
        },
    )
    failed = emulator.run(machine, {"label": "L"})  # "$[0]" needs an array

    result = resume(emulator, capsys, failed, "--input", "[7, 8]")

    assert_resumed(emulator, result, "Scale", [7, 8], skipped=["Init"])
    assert emulator.output(result["execution_arn"]) == {"first": 7, "factor": 10, "label": "L"}


def test_e2e_rewritten_machine_still_runs_normally(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = emulator.create_machine(
        "Plain",
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Next": "B"},
                "B": {"Type": "Pass", "Parameters": {"v.$": "$.v"}, "End": True},
            },
        },
    )
    failed = emulator.run(machine, {})
    result = resume(emulator, capsys, failed, "--input", '{"v": 1}')

    ordinary_inputs = [
        ("plain", {"v": 3}),
        ("ordinary", {"v": 2, "gotostate": {"resume": False}}),
        ("text", "just text"),
    ]
    for name, ordinary in ordinary_inputs:
        run = emulator.run(result["state_machine_arn"], ordinary, name=name)
        entered = emulator.entered(run)
        assert [state for state, _ in entered] == ["GoToState", "A", "B"][: len(entered)]
        assert entered[1] == ("A", ordinary)
    assert emulator.sfn.describe_execution(executionArn=run)["error"] == "States.Runtime"  # "$.v" of a string


def test_e2e_resumes_definition_that_ran_and_keeps_settings(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a machine with tags, logging and tracing whose definition changed after the failure
    ran = {"StartAt": "Old", "States": {"Old": {"Type": "Pass", "Parameters": {"v.$": "$.v"}, "End": True}}}
    logging = {"level": "ERROR", "includeExecutionData": True, "destinations": []}
    machine = emulator.create_machine(
        "Settings",
        ran,
        tags=[{"key": "team", "value": "data"}],
        loggingConfiguration=logging,
        tracingConfiguration={"enabled": True},
    )
    failed = emulator.run(machine, {})
    emulator.sfn.update_state_machine(
        stateMachineArn=machine,
        definition=json.dumps({"StartAt": "New", "States": {"New": {"Type": "Succeed"}}}),
    )

    result = resume(emulator, capsys, failed, "--input", '{"v": 1}')

    assert_resumed(emulator, result, "Old", {"v": 1}, skipped=[])
    created = emulator.sfn.describe_state_machine(stateMachineArn=result["state_machine_arn"])
    assert "New" not in json.loads(created["definition"])["States"]
    assert (created["type"], created["roleArn"]) == ("STANDARD", ROLE_ARN)
    assert created["loggingConfiguration"]["level"] == "ERROR"
    assert created["tracingConfiguration"] == {"enabled": True}
    tags = {
        tag["key"]: tag["value"]
        for tag in emulator.sfn.list_tags_for_resource(resourceArn=created["stateMachineArn"])["tags"]
    }
    assert tags == {"team": "data", "gotostate:resumes-execution": failed, "gotostate:resume-state": "Old"}


def test_e2e_re_resume_of_resumed_run_and_idempotent_reruns(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a chain whose two states each need a key
    first = emulator.add_function("needs-a", needs("a"))
    second = emulator.add_function("needs-b", needs("b"))
    machine = emulator.create_machine(
        "Chain",
        {
            "StartAt": "Start",
            "States": {
                "Start": {"Type": "Pass", "Assign": {"run": 1}, "Next": "Need A"},
                "Need A": {"Type": "Task", "Resource": first, "Next": "Need B"},
                "Need B": {"Type": "Task", "Resource": second, "End": True},
            },
        },
    )
    failed = emulator.run(machine, {})

    # when the resumed run fails again at the next state, and that run is resumed
    resumed = resume(emulator, capsys, failed, "--input", '{"a": 1}')
    assert emulator.sfn.describe_execution(executionArn=resumed["execution_arn"])["status"] == "FAILED"
    again = resume(emulator, capsys, resumed["execution_arn"], "--input", '{"a": 1, "b": 2, "handled": true}')

    # then the same machine was updated, with one GoToState, and variables carried through both resumes
    assert again["state_machine_arn"] == resumed["state_machine_arn"]
    assert (again["failed_state"], again["action"]) == ("Need B", "updated")
    assert again["variables"] == {"run": 1}
    assert_resumed(emulator, again, "Need B", {"a": 1, "b": 2, "handled": True}, skipped=["Start", "Need A"])
    definition = json.loads(
        emulator.sfn.describe_state_machine(stateMachineArn=again["state_machine_arn"])["definition"]
    )
    assert sorted(definition["States"]) == sorted([*ADDED, "Start", "Need A", "Need B"])
    assert definition["States"]["GoToState"]["Default"] == "Start"
    # and running the tool twice on the same failure changes nothing
    capsys.readouterr()
    for _ in range(2):
        assert gotostate.main(["--failed-execution-arn", resumed["execution_arn"], "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["action"] == "unchanged"
    names = [machine["name"] for machine in emulator.sfn.list_state_machines()["stateMachines"]]
    assert sorted(names) == ["Chain", "Chain-with-GoToState"]


def test_e2e_near_80_character_name(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    long_name = "Nightly-Reconciliation-" + "x" * 55  # 78 characters
    machine = emulator.create_machine(
        long_name,
        {"StartAt": "Go", "States": {"Go": {"Type": "Pass", "Parameters": {"v.$": "$.v"}, "End": True}}},
    )
    failed = emulator.run(machine, {})

    # when resumed with an input that is still wrong, and that run resumed again
    still_failing = resume(emulator, capsys, failed, "--input", '{"w": 1}')
    result = resume(emulator, capsys, still_failing["execution_arn"], "--input", '{"v": 1}')

    # then both resumes use one valid machine name of at most 80 characters
    new_name = result["state_machine_arn"].split(":")[-1]
    assert result["state_machine_arn"] == still_failing["state_machine_arn"]
    assert len(new_name) <= 80
    assert new_name.startswith("Nightly-Reconciliation-") and new_name.endswith("-with-GoToState")
    assert len(result["execution_arn"].split(":")[-1]) <= 80
    assert_resumed(emulator, result, "Go", {"v": 1}, skipped=[])


def test_e2e_history_longer_than_1000_events(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    # given a Map over 300 items (4 events each) before the failing state
    machine = emulator.create_machine(
        "LongHistory",
        {
            "StartAt": "Fan Out",
            "States": {
                "Fan Out": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
                    "ResultPath": "$.results",
                    "Next": "Summarise",
                },
                "Summarise": {"Type": "Pass", "Parameters": {"total.$": "$.total"}, "End": True},
            },
        },
    )
    failed = emulator.run(machine, {"items": list(range(300))})
    assert len(emulator.history(failed)) > 1000

    result = resume(emulator, capsys, failed, "--input", '{"total": 300}')

    assert result["history_events"] > 1000
    assert_resumed(emulator, result, "Summarise", {"total": 300}, skipped=["Fan Out", "Item"])


# --- the execution input: $$.Execution.Input reads in the resumed run what it read in the failed one


ORDER = {"request_id": "req-7", "tenant": "acme", "items": [{"sku": "a"}, {"sku": "b"}]}


def map_reading_execution_input(language: str, charge: str, pick: str) -> dict[str, Any]:
    """Charge (fails without "card"), then a Map over the items of the *execution* input."""
    if language == "JSONPath":
        each: dict[str, Any] = {"ItemsPath": "$$.Execution.Input.items", "ResultPath": "$.picked"}
        processor = {"Pick": {"Type": "Task", "Resource": pick, "End": True}}
    else:
        each = {
            "Items": "{% $states.context.Execution.Input.items %}",
            "Output": "{% $merge([$states.input, {'picked': $states.result}]) %}",
        }
        processor = {
            "Pick": {"Type": "Task", "Resource": pick, "Arguments": "{% $states.input %}", "End": True}
        }
    return {
        "QueryLanguage": language,
        "StartAt": "Load",
        "States": {
            "Load": {"Type": "Pass", "Next": "Charge"},
            "Charge": {"Type": "Task", "Resource": charge, "Next": "Each Item"},
            "Each Item": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Pick",
                    "States": processor,
                },
                "End": True,
                **each,
            },
        },
    }


def parameters_reading_execution_input(language: str, notify: str) -> dict[str, Any]:
    """Compute (fails without "amount"), then a Task whose Parameters/Arguments read the execution input."""
    if language == "JSONPath":
        compute: dict[str, Any] = {"Parameters": {"total.$": "$.amount"}}
        arguments: dict[str, Any] = {
            "Parameters": {
                "request.$": "$$.Execution.Input.request_id",
                "tenant.$": "$$.Execution.Input.tenant",
                "total.$": "$.total",
            }
        }
    else:
        compute = {"Output": {"total": "{% $number($states.input.amount) %}"}}
        arguments = {
            "Arguments": {
                "request": "{% $states.context.Execution.Input.request_id %}",
                "tenant": "{% $states.context.Execution.Input.tenant %}",
                "total": "{% $states.input.total %}",
            }
        }
    return {
        "QueryLanguage": language,
        "StartAt": "Load",
        "States": {
            "Load": {"Type": "Pass", "Next": "Compute"},
            "Compute": {"Type": "Pass", "Next": "Notify", **compute},
            "Notify": {"Type": "Task", "Resource": notify, "End": True, **arguments},
        },
    }


def started_with(emulator: Emulator, execution_arn: str) -> Any:
    return json.loads(emulator.sfn.describe_execution(executionArn=execution_arn)["input"])


@pytest.mark.parametrize("language", ["JSONPath", "JSONata"])
def test_e2e_map_items_from_execution_input_after_resume(
    emulator: Emulator, capsys: pytest.CaptureFixture[str], language: str
) -> None:
    # given a failed run whose later Map iterates over $$.Execution.Input.items
    charge = emulator.add_function("charge", needs("card"))
    pick = emulator.add_function("pick", lambda item: {"picked": item["sku"]})
    machine = emulator.create_machine(
        f"Picking{language}", map_reading_execution_input(language, charge, pick)
    )
    failed = emulator.run(machine, ORDER)
    assert emulator.sfn.describe_execution(executionArn=failed)["status"] == "FAILED"
    corrected = {**ORDER, "card": "4242"}

    # when it is resumed with only the input of the failed state corrected
    result = resume(emulator, capsys, failed, "--input", json.dumps(corrected))

    # then the Map saw the original items, and Charge got exactly its corrected input
    assert result["failed_state"] == "Charge"
    assert_resumed(emulator, result, "Charge", corrected, skipped=["Load"])
    # (iterations run concurrently, so the calls come in any order; the Map's output keeps it)
    assert sorted(item["sku"] for item in emulator.invocations["pick"]) == ["a", "b"]
    assert emulator.output(result["execution_arn"])["picked"] == [{"picked": "a"}, {"picked": "b"}]
    started = started_with(emulator, result["execution_arn"])
    assert {key: value for key, value in started.items() if key != "gotostate"} == ORDER
    assert started["gotostate"]["input"] == corrected
    assert result["warnings"] == []


@pytest.mark.parametrize("language", ["JSONPath", "JSONata"])
def test_e2e_parameters_from_execution_input_after_resume(
    emulator: Emulator, capsys: pytest.CaptureFixture[str], language: str
) -> None:
    # given a failed run whose later Task reads request_id and tenant from the execution input
    notify = emulator.add_function("notify", lambda event: event)
    machine = emulator.create_machine(
        f"Notify{language}", parameters_reading_execution_input(language, notify)
    )
    failed = emulator.run(machine, ORDER)  # no "amount": Compute fails
    assert emulator.sfn.describe_execution(executionArn=failed)["status"] == "FAILED"

    result = resume(emulator, capsys, failed, "--input", '{"amount": 12}')

    assert result["failed_state"] == "Compute"
    assert_resumed(emulator, result, "Compute", {"amount": 12}, skipped=["Load"])
    assert emulator.invocations["notify"] == [{"request": "req-7", "tenant": "acme", "total": 12}]


@pytest.mark.parametrize("language", ["JSONPath", "JSONata"])
def test_e2e_execution_input_corrected_by_the_operator(
    emulator: Emulator, capsys: pytest.CaptureFixture[str], language: str
) -> None:
    notify = emulator.add_function("notify", lambda event: event)
    machine = emulator.create_machine(f"Fix{language}", parameters_reading_execution_input(language, notify))
    failed = emulator.run(machine, {**ORDER, "tenant": "wrong"})
    fixed = {**ORDER, "tenant": "acme-eu"}

    result = resume(
        emulator, capsys, failed, "--input", '{"amount": 3}', "--execution-input", json.dumps(fixed)
    )

    assert result["execution_input"] == fixed
    assert result["failed_execution_input"] == {**ORDER, "tenant": "wrong"}
    assert_resumed(emulator, result, "Compute", {"amount": 3}, skipped=["Load"])
    assert emulator.invocations["notify"] == [{"request": "req-7", "tenant": "acme-eu", "total": 3}]


def test_e2e_re_resume_carries_the_original_execution_input_once(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a run that fails at Need A, is resumed, and fails again at Need B
    first = emulator.add_function("needs-a", needs("a"))
    second = emulator.add_function("needs-b", needs("b"))
    machine = emulator.create_machine(
        "Tenants",
        {
            "StartAt": "Need A",
            "States": {
                "Need A": {"Type": "Task", "Resource": first, "Next": "Need B"},
                "Need B": {"Type": "Task", "Resource": second, "Next": "Report"},
                "Report": {
                    "Type": "Pass",
                    "Parameters": {"tenant.$": "$$.Execution.Input.tenant"},
                    "End": True,
                },
            },
        },
    )
    failed = emulator.run(machine, {"tenant": "acme"})
    resumed = resume(emulator, capsys, failed, "--input", '{"a": 1}')
    assert emulator.sfn.describe_execution(executionArn=resumed["execution_arn"])["status"] == "FAILED"

    # when the resumed run is resumed
    again = resume(emulator, capsys, resumed["execution_arn"], "--input", '{"b": 2}')

    # then its execution input is the original plus one resume request, and Report read the tenant
    assert again["failed_execution_input"] == {"tenant": "acme"}
    assert_resumed(emulator, again, "Need B", {"b": 2}, skipped=["Need A"])
    started = started_with(emulator, again["execution_arn"])
    assert set(started) == {"tenant", "gotostate"}
    assert started["gotostate"]["state"] == "Need B"
    assert emulator.output(again["execution_arn"]) == {"tenant": "acme"}


def test_e2e_non_object_execution_input_falls_back_with_a_warning(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a machine started with an array that later reads $$.Execution.Input
    machine = emulator.create_machine(
        "ArrayInput",
        {
            "StartAt": "First",
            "States": {
                "First": {
                    "Type": "Pass",
                    "Parameters": {"first.$": "$[0]", "all.$": "$$.Execution.Input"},
                    "End": True,
                }
            },
        },
    )
    failed = emulator.run(machine, {"not": "an array"})
    capsys.readouterr()

    code = gotostate.main(
        [
            "--failed-execution-arn",
            failed,
            "--input",
            "[1]",
            "--execution-input",
            "[1, 2]",
            "--start",
            "--json",
        ]
    )

    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "execution input is a JSON array, not an object" in captured.err
    result = json.loads(captured.out)
    emulator.wait(result["execution_arn"])
    started = started_with(emulator, result["execution_arn"])
    assert started["gotostate"]["execution_input"] == [1, 2]
    assert emulator.output(result["execution_arn"])["first"] == 1
