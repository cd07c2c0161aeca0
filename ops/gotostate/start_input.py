"""The resumed execution's input: the failed execution's own input with the resume request under
the reserved key, so `$$.Execution.Input` reads in the resumed run what it read in the failed one;
within StartExecution's size limit, with a warning wherever the definition would notice."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ops.gotostate.errors import GoToStateError
from ops.gotostate.resume_point import ResumePoint
from ops.gotostate.rewrite import (
    EXECUTION_INPUT_KEY,
    RESUME_KEY,
    original_execution_input,
    resume_request,
    start_input_text,
)

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions.type_defs import DescribeExecutionOutputTypeDef

# The context object, as JSONPath (`$$`) and JSONata (`$states.context`) spell it.
_CONTEXT = r"(?:\$\$|\$states\.context)"
# Reads of the whole execution input (or of the whole context), which also see the reserved key.
_WHOLE_CONTEXT_INPUT = re.compile(rf"{_CONTEXT}(?:\.Execution(?:\.Input)?)?(?![\w.\[])")
# Any read of the execution input through the context object.
_CONTEXT_INPUT = re.compile(rf"{_WHOLE_CONTEXT_INPUT.pattern}|{_CONTEXT}\.Execution\.Input")
# StartExecution accepts at most 262,144 bytes of input, counted in UTF-8 (API reference).
MAX_INPUT_BYTES = 262_144


def recorded_execution_input(
    execution: DescribeExecutionOutputTypeDef, events: list[dict[str, Any]]
) -> tuple[bool, Any]:
    """(found, value): the input the failed execution started with, without an earlier resume
    request (a resumed run's input is its original input plus the request)."""
    texts: list[str | None] = [execution.get("input")]
    texts += [
        (event.get("executionStartedEventDetails") or {}).get("input")
        for event in events
        if event.get("type") == "ExecutionStarted"
    ]
    for text in texts:
        if text is None:
            continue
        try:
            return True, original_execution_input(json.loads(text))
        except json.JSONDecodeError:
            continue
    return False, None


def start_input_for(
    corrected: Any,
    resume: ResumePoint,
    execution_arn: str,
    execution_input: Any,
    *,
    known: bool,
    definition_text: str,
    warnings: list[str],
) -> tuple[dict[str, Any], bool]:
    """(resume request, whether it carries the execution input), within StartExecution's limit."""
    reads_context_input = bool(_CONTEXT_INPUT.search(definition_text))

    def request(carry: bool) -> dict[str, Any]:
        return resume_request(
            corrected,
            resume.variables,
            resume_state=resume.state,
            source_execution_arn=execution_arn,
            execution_input=execution_input,
            carry_execution_input=carry,
        )

    if not known:
        if reads_context_input:
            warnings.append(
                "the failed execution's input is not available (DescribeExecution and the history "
                "hold none), so in the resumed run $$.Execution.Input is the resume request; "
                "pass it with --execution-input"
            )
        return _checked(request(carry=False), corrected, None), False
    start_input = request(carry=True)
    size = _size(start_input)
    if size > MAX_INPUT_BYTES and not reads_context_input:
        # Nothing reads the execution input: leaving it out keeps the resume within the limit.
        warnings.append(
            f"with the execution input the resume request would be {size:,} bytes, over the "
            f"{MAX_INPUT_BYTES:,}-byte limit; the definition never reads $$.Execution.Input, so the "
            "request carries only the resume state's input"
        )
        return _checked(request(carry=False), corrected, None), False
    if reads_context_input and not isinstance(execution_input, dict):
        warnings.append(
            f"the definition reads $$.Execution.Input, but the execution input is a JSON "
            f"{_json_type(execution_input)}, not an object, so it cannot carry the {RESUME_KEY!r} key: "
            f"in the resumed run $$.Execution.Input is the resume request, with the original under "
            f"{RESUME_KEY}.{EXECUTION_INPUT_KEY}"
        )
    elif _WHOLE_CONTEXT_INPUT.search(definition_text):
        warnings.append(
            "the definition reads the whole execution input (or context object); in the resumed run "
            f"that also holds the {RESUME_KEY!r} key of the resume request"
        )
    return _checked(start_input, corrected, execution_input), True


def _size(value: Any) -> int:
    return len(start_input_text(value).encode())


def _checked(start_input: dict[str, Any], corrected: Any, execution_input: Any) -> dict[str, Any]:
    size = _size(start_input)
    if size <= MAX_INPUT_BYTES:
        return start_input
    parts = f"the resume state's input is {_size(corrected):,} bytes"
    hint = "pass a smaller --input"
    if execution_input is not None:
        parts += f", the execution input {_size(execution_input):,}"
        hint += " or --execution-input"
    raise GoToStateError(
        f"the resume request would be {size:,} bytes and StartExecution accepts at most "
        f"{MAX_INPUT_BYTES:,} (256 KiB): {parts}; {hint}"
    )


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null"
