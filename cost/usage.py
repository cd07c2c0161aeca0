"""What the synthesized template runs per day: executions, branches, state transitions."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cost.items import (
    SECONDS_PER_DAY,
    EstimateError,
)
from synthesis.synthesized import Synthesized


@dataclass(frozen=True)
class Branch:
    function: str  # logical id of the function the branch invokes
    offset: int  # seconds past the scheduled minute


def executions_per_day(schedule: str) -> float:
    """Executions a day for a `rate(...)` schedule expression."""
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", schedule.strip())
    if not match:
        raise EstimateError(f"cannot estimate the schedule {schedule!r}: only rate(...) is supported")
    seconds = {"minute": 60, "hour": 3600, "day": SECONDS_PER_DAY}[match.group(2).rstrip("s")]
    return SECONDS_PER_DAY / (int(match.group(1)) * seconds)


def sampler_branches(synthesized: Synthesized) -> list[Branch]:
    """Every Lambda task of the sampler's Parallel state: which function, at which second."""
    machine = synthesized.state_machine
    definition = json.loads(machine.definition)
    branches = []
    for state in definition["States"].values():
        for branch in state.get("Branches", []):
            for task in branch["States"].values():
                if task.get("Type") != "Task":
                    continue
                arguments = task.get("Arguments") or task.get("Parameters") or {}
                function = str(arguments.get("FunctionName", ""))
                placeholder = re.fullmatch(r"\$\{([A-Za-z0-9]+)\}", function)
                if not placeholder or placeholder.group(1) not in machine.substitutions:
                    raise EstimateError(f"task {function!r} does not name a function of the template")
                offset = int((arguments.get("Payload") or {}).get("offset", 0))
                branches.append(Branch(machine.substitutions[placeholder.group(1)], offset))
    if not branches:
        raise EstimateError("the state machine has no Lambda task in a Parallel state")
    return branches


def state_transitions(states: Mapping[str, Any], start: str) -> int:
    """State transitions of one successful run from `start`: one per state entered (AWS counts "a
    state transition each time a step of your workflow is executed"), Parallel branches included."""
    count, name = 0, start
    while True:
        state = states[name]
        count += 1
        if state["Type"] == "Parallel":
            count += sum(state_transitions(b["States"], b["StartAt"]) for b in state["Branches"])
        elif state["Type"] in ("Map", "Choice"):
            raise EstimateError(f"cannot count transitions through {state['Type']} state {name!r}")
        if state.get("End") or state["Type"] in ("Succeed", "Fail"):
            return count
        name = state["Next"]
