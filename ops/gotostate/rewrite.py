"""Pure rewrite of an Amazon States Language definition so a new execution can start at any
top-level state.

The rewritten machine starts at a `GoToState` Choice. With ordinary input it goes to the original
`StartAt`, so the machine still runs normally. With a resume request as its input, which is the
failed execution's own input with one reserved key added,

    {...the original execution input...,
     "gotostate": {"resume": true, "input": <corrected input>, "variables": {...}, ...}}

it goes to a Pass state that restores the workflow variables (`Assign`) and unwraps the request
(`OutputPath` in JSONPath, `Output` in JSONata), so the resume state receives exactly
`<corrected input>`, whatever its JSON type, while the context object's `Execution.Input` still
holds the original keys. The states are written in the machine's query language, carry a marker
comment, and are replaced (not nested) when a rewritten machine is rewritten again.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from ops.gotostate.errors import GoToStateError

Definition = dict[str, Any]

RESUME_KEY = "gotostate"
# Where a resume request keeps an execution input that is not an object (so cannot hold RESUME_KEY).
EXECUTION_INPUT_KEY = "execution_input"
MARKER = "[gotostate]"
NAME_SUFFIX = "-with-GoToState"
MAX_NAME_LENGTH = 80
CHOICE_NAME = "GoToState"
RESUME_NAME = "GoToState Resume"
# CreateStateMachine/StartExecution names: no whitespace, brackets, wildcards, these specials,
# or control characters.
_INVALID_NAME_CHARS = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


def query_language(definition: Mapping[str, Any]) -> str:
    return str(definition.get("QueryLanguage", "JSONPath"))


def _child_machines(state: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from state.get("Branches") or []
    for key in ("ItemProcessor", "Iterator"):
        if isinstance(state.get(key), Mapping):
            yield state[key]


def _nested_names(machine: Mapping[str, Any]) -> Iterator[str]:
    for name, state in (machine.get("States") or {}).items():
        yield name
        for child in _child_machines(state):
            yield from _nested_names(child)


def all_state_names(definition: Mapping[str, Any]) -> set[str]:
    """Every state name at any depth (ASL requires them unique across the whole machine)."""
    return set(_nested_names(definition))


def top_level_state_of(definition: Mapping[str, Any], name: str) -> str | None:
    """The top-level state that is `name` or holds it in a branch or iteration."""
    for top, state in (definition.get("States") or {}).items():
        if top == name or any(name in set(_nested_names(child)) for child in _child_machines(state)):
            return str(top)
    return None


def added_state_names(definition: Mapping[str, Any]) -> set[str]:
    """Top-level states a previous gotostate rewrite added."""
    return {
        name
        for name, state in (definition.get("States") or {}).items()
        if str(state.get("Comment", "")).startswith(MARKER)
    }


def strip_gotostate(definition: Mapping[str, Any]) -> Definition:
    """The definition without a previous rewrite's states, starting where it originally started."""
    stripped = copy.deepcopy(dict(definition))
    added = added_state_names(stripped)
    if not added:
        return stripped
    start = stripped.get("StartAt")
    if start in added:
        stripped["StartAt"] = stripped["States"][start].get("Default")
    stripped["States"] = {name: state for name, state in stripped["States"].items() if name not in added}
    return stripped


def _free_name(wanted: str, taken: set[str]) -> str:
    name, number = wanted, 2
    while name in taken:
        name, number = f"{wanted} {number}", number + 1
    return name


def _added_states(
    choice: str, resume: str, start_at: str, target: str, variables: list[str], *, jsonata: bool
) -> dict[str, Any]:
    """The GoToState Choice and the Pass state it leads to, in the machine's query language."""
    rule: dict[str, Any]
    if jsonata:
        request = f"$states.input.{RESUME_KEY}"
        output: dict[str, Any] = {"Output": f"{{% {request}.input %}}"}
        assign = {name: f"{{% {request}.variables.{name} %}}" for name in variables}
        rule = {
            "Condition": f"{{% $type($states.input) = 'object' and $type({request}) = 'object' "
            f"and {request}.resume = true and $exists({request}.input) %}}"
        }
    else:
        request = f"$.{RESUME_KEY}"
        output = {"OutputPath": f"{request}.input"}
        assign = {f"{name}.$": f"{request}.variables.{name}" for name in variables}
        # Ordered so that an absent or non-boolean flag never reaches BooleanEquals.
        rule = {
            "And": [
                {"Variable": f"{request}.resume", "IsPresent": True},
                {"Variable": f"{request}.resume", "IsBoolean": True},
                {"Variable": f"{request}.resume", "BooleanEquals": True},
                {"Variable": f"{request}.input", "IsPresent": True},
            ]
        }
    resume_state: dict[str, Any] = {
        "Type": "Pass",
        "Comment": f"{MARKER} Restores the workflow variables; hands {target!r} exactly the corrected input.",
        **output,
        "Next": target,
    }
    if assign:
        resume_state["Assign"] = assign
    return {
        choice: {
            "Type": "Choice",
            "Comment": f"{MARKER} Resumes at {target!r} when the input is a gotostate resume request; "
            f"otherwise starts at {start_at!r} as before.",
            "Choices": [{**rule, "Next": resume}],
            "Default": start_at,
        },
        resume: resume_state,
    }


def rewrite_definition(
    definition: Mapping[str, Any], resume_state: str, variable_names: list[str] | None = None
) -> Definition:
    """`definition` with a GoToState entry that can resume at top-level `resume_state`."""
    base = strip_gotostate(definition)
    states = base.get("States") or {}
    if resume_state not in states:
        top = top_level_state_of(base, resume_state)
        if top is not None:
            raise GoToStateError(
                f"state {resume_state!r} is nested inside top-level state {top!r}; use --state {top!r}"
            )
        raise GoToStateError(f"state {resume_state!r} is not a state of this state machine")
    if states[resume_state].get("Type") == "Fail" or resume_state in added_state_names(definition):
        raise GoToStateError(f"cannot resume at {resume_state!r}: it is a Fail state or a gotostate state")
    taken = all_state_names(base)
    choice = _free_name(CHOICE_NAME, taken)
    resume = _free_name(RESUME_NAME, taken | {choice})
    jsonata = query_language(base) == "JSONata"
    variables = sorted(variable_names or [])
    added = _added_states(choice, resume, str(base["StartAt"]), resume_state, variables, jsonata=jsonata)

    rewritten: Definition = {}
    for key, value in base.items():
        if key == "StartAt":
            rewritten[key] = choice
        elif key == "States":
            rewritten[key] = {**added, **value}
        else:
            rewritten[key] = value
    return rewritten


def is_resume_request(value: Any) -> bool:
    """Whether the GoToState Choice would take `value` (a start input) as a resume request."""
    if not isinstance(value, Mapping):
        return False
    directive = value.get(RESUME_KEY)
    return isinstance(directive, Mapping) and directive.get("resume") is True and "input" in directive


def original_execution_input(value: Any) -> Any:
    """The execution input a run started with, before any resume request was added to it.

    For a resumed run that is its input without the reserved key (or, when the original input was
    not an object and could not carry the key, the copy kept in the request); anything else is
    returned as it is.
    """
    if not is_resume_request(value):
        return value
    directive = value[RESUME_KEY]
    if EXECUTION_INPUT_KEY in directive:
        return directive[EXECUTION_INPUT_KEY]
    return {key: item for key, item in value.items() if key != RESUME_KEY}


def resume_request(
    corrected_input: Any,
    variables: Mapping[str, Any],
    *,
    resume_state: str,
    source_execution_arn: str,
    execution_input: Any = None,
    carry_execution_input: bool = False,
) -> dict[str, Any]:
    """The start input that makes a rewritten machine resume at `resume_state`.

    With `carry_execution_input`, an object `execution_input` becomes the start input with the
    directive under the reserved key, so `$$.Execution.Input.<key>` reads what it read in the failed
    run. Any other JSON value cannot hold the key: the directive is then the whole start input and
    keeps a copy of it, from which a later resume of this run recovers it.
    """
    directive: dict[str, Any] = {
        "resume": True,
        "state": resume_state,
        "source_execution": source_execution_arn,
        "input": corrected_input,
        "variables": dict(variables),
    }
    if not carry_execution_input:
        return {RESUME_KEY: directive}
    if isinstance(execution_input, Mapping):
        if RESUME_KEY in execution_input:
            raise GoToStateError(
                f"the execution input already has a top-level {RESUME_KEY!r} key, which the resume "
                f"request needs; pass --execution-input without it"
            )
        return {**execution_input, RESUME_KEY: directive}
    return {RESUME_KEY: {**directive, EXECUTION_INPUT_KEY: execution_input}}


def start_input_text(start_input: Any) -> str:
    """The start input exactly as StartExecution receives it (compact, UTF-8 rather than escapes)."""
    return json.dumps(start_input, separators=(",", ":"), ensure_ascii=False)


def sanitize_name(name: str) -> str:
    return _INVALID_NAME_CHARS.sub("-", name)


def gotostate_machine_name(source_name: str) -> str:
    """`<name>-with-GoToState`, at most 80 characters; stable across re-resumes.

    A name too long for the suffix keeps a prefix plus a short hash of the whole name, so two long
    names that share a prefix still get different machines.
    """
    base = sanitize_name(source_name).removesuffix(NAME_SUFFIX)
    name = base + NAME_SUFFIX
    if len(name) <= MAX_NAME_LENGTH:
        return name
    digest = hashlib.sha256(base.encode()).hexdigest()[:8]
    keep = MAX_NAME_LENGTH - len(NAME_SUFFIX) - len(digest) - 1
    return f"{base[:keep]}-{digest}{NAME_SUFFIX}"


def format_definition(definition: Mapping[str, Any]) -> str:
    return json.dumps(definition, indent=2, ensure_ascii=False)


def definition_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """A unified diff of the two definitions, pretty-printed, for humans."""
    return "".join(
        difflib.unified_diff(
            format_definition(before).splitlines(keepends=True),
            format_definition(after).splitlines(keepends=True),
            fromfile="definition that ran",
            tofile="rewritten definition",
        )
    )
