"""gotostate: time and API calls to find where to resume, and whether the answer is right.

Run: python -m bench.gotostate_bench

Synthetic failed histories of 1,000 / 10,000 / 25,000 events (`synthetic_history`: a long chain of
top-level Pass states, then a Map whose last iteration's Task fails) are served through a
botocore Stubber in pages of 1,000 events, as GetExecutionHistory pages them. Ours reads every page
(`read_history`) and analyses the whole history (`find_resume_point`). Next to it, the original
technique, reimplemented here from its description: read the history newest first and follow the
`previousEventId` chain back from the last event to the first `...StateEntered` event, and call
that "the state that failed". It reads fewer pages, but it names the innermost state, which
cannot be resumed when it sits inside a Parallel or Map, and it finds nothing when the failure
event's `previousEventId` is 0 (a States.Runtime error).

Correctness is also checked on the recorded real histories in tests/fixtures/histories/
against what their README says a resume tool must find.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bench.report import REPO_ROOT, median, table, write_result

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "histories"
# What tests/fixtures/histories/README.md says a resume tool must find in each recording.
FIXTURE_EXPECTED = {
    "aws-parallel-lambda-failed.json": "Parallel 2",
    "aws-task-failed.json": "Start",
    "aws-states-runtime-fragment.json": "Glue StartJobRun",
}
SIZES = (1_000, 10_000, 25_000)
RUNS = {1_000: 20, 10_000: 5, 25_000: 3}
PAGE_SIZE = 1000
# `synthetic_history` fails in a Task inside the top-level Map state "Fan Out".
SYNTHETIC_EXPECTED = "Fan Out"
EXECUTION_ARN = "arn:aws:states:us-east-1:123456789012:execution:Bench:run-1"


def api_shaped(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events as GetExecutionHistory returns them: with a timestamp, and the members the API
    model requires that the synthetic generator leaves out."""
    shaped = []
    for event in events:
        copy = {**event, "timestamp": datetime(2026, 11, 22, tzinfo=UTC)}
        if "taskFailedEventDetails" in copy:
            copy["taskFailedEventDetails"] = {
                "resourceType": "lambda",
                "resource": "invoke",
                **event["taskFailedEventDetails"],
            }
        shaped.append(copy)
    return shaped


def stubbed_client(events: Sequence[dict[str, Any]], *, reverse: bool) -> tuple[Any, Any, list[int]]:
    """A Step Functions client whose GetExecutionHistory pages come from `events`."""
    import boto3
    from botocore.stub import Stubber

    client = boto3.client(
        "stepfunctions", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    stubber = Stubber(client)
    ordered = sorted(events, key=lambda e: int(e["id"]), reverse=reverse)
    for start in range(0, max(len(ordered), 1), PAGE_SIZE):
        response: dict[str, Any] = {"events": ordered[start : start + PAGE_SIZE]}
        if start + PAGE_SIZE < len(ordered):
            response["nextToken"] = f"page-{start + PAGE_SIZE}"
        expected: dict[str, Any] = {"executionArn": EXECUTION_ARN, "maxResults": PAGE_SIZE}
        expected |= {"reverseOrder": True} if reverse else {"includeExecutionData": True}
        if start:
            expected["nextToken"] = f"page-{start}"
        stubber.add_response("get_execution_history", response, expected)
    calls: list[int] = []
    client.meta.events.register("after-call.sfn.GetExecutionHistory", lambda **_: calls.append(1))
    stubber.activate()
    return client, stubber, calls


def ours(client: Any) -> str | None:
    from ops.gotostate.errors import GoToStateError
    from ops.gotostate.execution import read_history
    from ops.gotostate.resume_point import find_resume_point

    try:
        return find_resume_point(read_history(client, EXECUTION_ARN)).state
    except GoToStateError:
        return None


def original(client: Any) -> str | None:
    """The original technique: newest event first, follow previousEventId to a state's entry."""
    by_id: dict[int, dict[str, Any]] = {}
    request: dict[str, Any] = {"executionArn": EXECUTION_ARN, "maxResults": PAGE_SIZE, "reverseOrder": True}
    page = client.get_execution_history(**request)
    by_id.update({int(e["id"]): e for e in page["events"]})
    current = page["events"][0]
    while True:
        details = current.get("stateEnteredEventDetails")
        if str(current["type"]).endswith("StateEntered") and details:
            return str(details["name"])
        previous = int(current.get("previousEventId") or 0)
        if previous == 0:
            return None  # the chain ends here: no state to name
        while previous not in by_id and page.get("nextToken"):
            page = client.get_execution_history(**request, nextToken=page["nextToken"])
            by_id.update({int(e["id"]): e for e in page["events"]})
        if previous not in by_id:
            return None
        current = by_id[previous]


def measure(events: Sequence[dict[str, Any]], runs: int) -> dict[str, Any]:
    """Median time, API calls and answer of both techniques on one history."""
    result: dict[str, Any] = {}
    for name, technique, reverse in (("ours", ours, False), ("original", original, True)):
        times, answer, calls = [], None, 0
        for _ in range(runs):
            client, stubber, counted = stubbed_client(events, reverse=reverse)
            started = time.perf_counter()
            answer = technique(client)
            times.append(time.perf_counter() - started)
            calls = len(counted)
            stubber.deactivate()
        result[name] = {"ms": median(times) * 1000, "calls": calls, "state": answer}
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.gotostate_bench", description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    from ops.gotostate.history import synthetic_history

    synthetic = []
    for size in SIZES:
        events = api_shaped(synthetic_history(size))
        measured = measure(events, RUNS[size])
        synthetic.append({"events": len(events), "runs": RUNS[size], **measured})
    rows = [
        [
            r["events"],
            r["ours"]["calls"],
            r["ours"]["ms"],
            r["ours"]["state"] == SYNTHETIC_EXPECTED,
            r["original"]["calls"],
            r["original"]["ms"],
            r["original"]["state"] == SYNTHETIC_EXPECTED,
            r["original"]["state"],
            r["runs"],
        ]
        for r in synthetic
    ]
    print(
        f"Synthetic failed histories, pages of {PAGE_SIZE:,} events "
        f"(expected resume state: {SYNTHETIC_EXPECTED!r})"
    )
    print(
        table(
            (
                "events",
                "calls ours",
                "ms ours",
                "right",
                "calls orig",
                "ms orig",
                "right",
                "orig names",
                "runs",
            ),
            rows,
        )
    )

    recorded = []
    for name, expected in FIXTURE_EXPECTED.items():
        events = json.loads((FIXTURES / name).read_text())["events"]
        measured = measure(api_shaped(events), 1)
        recorded.append({"history": name, "expected": expected, **measured})
    print(f"\nRecorded AWS histories ({FIXTURES.relative_to(REPO_ROOT.parent)})")
    print(
        table(
            ("history", "expected", "ours", "original"),
            [[r["history"], r["expected"], r["ours"]["state"], r["original"]["state"]] for r in recorded],
        )
    )
    right = {
        technique: sum(r[technique]["state"] == r["expected"] for r in recorded)
        for technique in ("ours", "original")
    }
    print(
        f"right on recorded histories: ours {right['ours']}/{len(recorded)}, "
        f"original {right['original']}/{len(recorded)}"
    )
    write_result("gotostate", {"synthetic": synthetic, "recorded": recorded, "right_on_recorded": right})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
