"""The pure ASL rewrite: GoToState entry, query languages, collisions, re-rewrites, names."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from ops.gotostate.errors import GoToStateError
from ops.gotostate.rewrite import (
    MARKER,
    added_state_names,
    all_state_names,
    definition_diff,
    gotostate_machine_name,
    is_resume_request,
    original_execution_input,
    resume_request,
    rewrite_definition,
    strip_gotostate,
    top_level_state_of,
)

JSONPATH_MACHINE: dict[str, Any] = {
    "Comment": "two parallels",
    "StartAt": "Parallel",
    "States": {
        "Parallel": {
            "Type": "Parallel",
            "Branches": [{"StartAt": "P1", "States": {"P1": {"Type": "Pass", "End": True}}}],
            "Next": "Parallel 2",
        },
        "Parallel 2": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Needs Foo",
                    "States": {"Needs Foo": {"Type": "Pass", "Parameters": {"f.$": "$.foo"}, "End": True}},
                }
            ],
            "Next": "Iterate",
        },
        "Iterate": {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
            "End": True,
        },
    },
}
JSONATA_MACHINE: dict[str, Any] = {
    "QueryLanguage": "JSONata",
    "StartAt": "Init",
    "States": {
        "Init": {"Type": "Pass", "Assign": {"count": 1}, "Next": "Use"},
        "Use": {"Type": "Pass", "Output": "{% $count %}", "End": True},
    },
}


def _every_field_value(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [value for item in node.values() for value in _every_field_value(item)]
    if isinstance(node, list):
        return [value for item in node for value in _every_field_value(item)]
    return [node] if isinstance(node, str) else []


def test_rewrite_jsonpath_choice_defaults_to_original_start() -> None:
    rewritten = rewrite_definition(JSONPATH_MACHINE, "Parallel 2", ["x"])

    choice = rewritten["States"][rewritten["StartAt"]]
    resume = rewritten["States"][choice["Choices"][0]["Next"]]
    assert rewritten["StartAt"] == "GoToState"
    assert choice["Type"] == "Choice"
    assert choice["Default"] == "Parallel"
    # the presence check comes before any comparison, so an absent flag never errors
    checks = choice["Choices"][0]["And"]
    assert checks[0] == {"Variable": "$.gotostate.resume", "IsPresent": True}
    assert checks[2] == {"Variable": "$.gotostate.resume", "BooleanEquals": True}
    assert resume == {
        "Type": "Pass",
        "Comment": resume["Comment"],
        "OutputPath": "$.gotostate.input",
        "Next": "Parallel 2",
        "Assign": {"x.$": "$.gotostate.variables.x"},
    }
    assert rewritten["Comment"] == "two parallels"
    assert {name: rewritten["States"][name] for name in JSONPATH_MACHINE["States"]} == JSONPATH_MACHINE[
        "States"
    ]


def test_rewrite_jsonata_machine_uses_only_jsonata_fields() -> None:
    rewritten = rewrite_definition(JSONATA_MACHINE, "Use", ["count"])

    added = {name: rewritten["States"][name] for name in added_state_names(rewritten)}
    choice, resume = added["GoToState"], added["GoToState Resume"]
    assert choice["Choices"][0]["Condition"].startswith("{%")
    assert "$exists($states.input.gotostate.input)" in choice["Choices"][0]["Condition"]
    assert resume["Output"] == "{% $states.input.gotostate.input %}"
    assert resume["Assign"] == {"count": "{% $states.input.gotostate.variables.count %}"}
    jsonpath_fields = {"Variable", "InputPath", "OutputPath", "Parameters", "ResultPath", "IsPresent"}
    assert not jsonpath_fields & {key for state in added.values() for key in state}
    assert not [key for state in added.values() for key in state.get("Assign", {}) if key.endswith(".$")]


def test_rewrite_without_variables_has_no_assign() -> None:
    rewritten = rewrite_definition(JSONPATH_MACHINE, "Iterate")

    assert "Assign" not in rewritten["States"]["GoToState Resume"]


def test_rewrite_names_do_not_collide_with_existing_states() -> None:
    # given user states already named like ours, one of them nested
    machine = json.loads(json.dumps(JSONPATH_MACHINE))
    machine["States"]["GoToState"] = {"Type": "Pass", "Next": "Parallel"}
    machine["StartAt"] = "GoToState"
    machine["States"]["Iterate"]["ItemProcessor"]["States"] = {
        "GoToState Resume": {"Type": "Pass", "End": True}
    }
    machine["States"]["Iterate"]["ItemProcessor"]["StartAt"] = "GoToState Resume"

    rewritten = rewrite_definition(machine, "Parallel 2")

    assert rewritten["StartAt"] == "GoToState 2"
    assert rewritten["States"]["GoToState 2"]["Default"] == "GoToState"
    assert rewritten["States"]["GoToState 2"]["Choices"][0]["Next"] == "GoToState Resume 2"
    assert rewritten["States"]["GoToState"] == {"Type": "Pass", "Next": "Parallel"}


def test_rewrite_of_rewritten_machine_replaces_gotostate() -> None:
    first = rewrite_definition(JSONPATH_MACHINE, "Parallel 2", ["a"])

    second = rewrite_definition(first, "Iterate", ["b"])

    assert added_state_names(second) == {"GoToState", "GoToState Resume"}
    assert second["States"]["GoToState"]["Default"] == "Parallel"
    assert second["States"]["GoToState Resume"]["Next"] == "Iterate"
    assert strip_gotostate(second) == JSONPATH_MACHINE
    assert sum(MARKER in value for value in _every_field_value(second)) == 2


def test_rewrite_is_deterministic() -> None:
    assert rewrite_definition(JSONATA_MACHINE, "Use", ["count"]) == rewrite_definition(
        JSONATA_MACHINE, "Use", ["count"]
    )


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("Needs Foo", "nested inside top-level state 'Parallel 2'"),
        ("Nope", "not a state of this state machine"),
    ],
)
def test_rewrite_rejects_nested_and_unknown_states(state: str, message: str) -> None:
    with pytest.raises(GoToStateError, match=message):
        rewrite_definition(JSONPATH_MACHINE, state)


def test_rewrite_helpers_see_nested_states() -> None:
    assert all_state_names(JSONPATH_MACHINE) == {
        "Parallel",
        "P1",
        "Parallel 2",
        "Needs Foo",
        "Iterate",
        "Item",
    }
    assert top_level_state_of(JSONPATH_MACHINE, "Item") == "Iterate"
    assert top_level_state_of(JSONPATH_MACHINE, "Iterate") == "Iterate"
    assert top_level_state_of(JSONPATH_MACHINE, "Missing") is None


def test_rewrite_resume_request_wraps_input_and_variables() -> None:
    request = resume_request(["not", "an", "object"], {"v": 1}, resume_state="S", source_execution_arn="arn")

    assert request["gotostate"]["resume"] is True
    assert request["gotostate"]["input"] == ["not", "an", "object"]
    assert request["gotostate"]["variables"] == {"v": 1}


def test_rewrite_resume_request_rides_in_the_original_execution_input() -> None:
    original = {"tenant": "acme", "items": [1, 2]}

    request = resume_request(
        {"amount": 3},
        {"v": 1},
        resume_state="S",
        source_execution_arn="arn",
        execution_input=original,
        carry_execution_input=True,
    )

    # the original keys stay where $$.Execution.Input.<key> reads them; one reserved key is added
    assert {key: value for key, value in request.items() if key != "gotostate"} == original
    assert request["gotostate"]["input"] == {"amount": 3}
    assert request["gotostate"]["state"] == "S"
    assert is_resume_request(request)
    assert original == {"tenant": "acme", "items": [1, 2]}


@pytest.mark.parametrize("original", [{"a": 1}, {}, [1, 2], "text", 3, None, True])
def test_rewrite_original_execution_input_is_recovered_from_a_resume_request(original: Any) -> None:
    request = resume_request(
        "state input",
        {},
        resume_state="S",
        source_execution_arn="arn",
        execution_input=original,
        carry_execution_input=True,
    )

    assert original_execution_input(request) == original
    if not isinstance(original, dict):
        # a non-object cannot hold the reserved key: the request keeps a copy instead
        assert set(request) == {"gotostate"}
        assert request["gotostate"]["execution_input"] == original


@pytest.mark.parametrize(
    "ordinary",
    [
        {"gotostate": {"resume": False, "input": 1}},
        {"gotostate": "mine"},
        {"gotostate": {"resume": True}},
        [1],
        "x",
    ],
)
def test_rewrite_ordinary_input_is_no_resume_request_and_kept_as_it_is(ordinary: Any) -> None:
    # the same rule as the GoToState Choice: resume is the boolean true and an input is present
    assert not is_resume_request(ordinary)
    assert original_execution_input(ordinary) == ordinary


def test_rewrite_resume_request_refuses_an_execution_input_with_the_reserved_key() -> None:
    with pytest.raises(GoToStateError, match="already has a top-level 'gotostate' key"):
        resume_request(
            1,
            {},
            resume_state="S",
            source_execution_arn="arn",
            execution_input={"gotostate": "mine"},
            carry_execution_input=True,
        )


_VALID_NAME = re.compile(r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/]{1,80}$")


@pytest.mark.parametrize("length", [1, 40, 64, 65, 66, 79, 80])
def test_rewrite_machine_name_fits_80_characters(length: int) -> None:
    source = ("Orders-" * 20)[:length]

    name = gotostate_machine_name(source)

    assert len(name) <= 80
    assert _VALID_NAME.match(name)
    assert name.endswith("-with-GoToState")
    # re-resuming the resumed machine keeps the same name
    assert gotostate_machine_name(name) == name
    assert gotostate_machine_name(source) == name


def test_rewrite_long_names_sharing_a_prefix_stay_distinct() -> None:
    first = gotostate_machine_name("A" * 70 + "-first")
    second = gotostate_machine_name("A" * 70 + "-second")

    assert first != second
    assert len(first) == len(second) == 80


def test_rewrite_diff_shows_new_start() -> None:
    diff = definition_diff(JSONPATH_MACHINE, rewrite_definition(JSONPATH_MACHINE, "Iterate"))

    assert '-  "StartAt": "Parallel",' in diff
    assert '+  "StartAt": "GoToState",' in diff
