"""The gotostate benchmark: both techniques on recorded and synthetic histories, through a Stubber."""

from __future__ import annotations

import json

from bench import gotostate_bench as gb
from ops.gotostate.history import synthetic_history


def test_gotostate_bench_recorded_histories_ours_right_original_not() -> None:
    answers = {}
    for name in gb.FIXTURE_EXPECTED:
        events = json.loads((gb.FIXTURES / name).read_text())["events"]
        answers[name] = gb.measure(gb.api_shaped(events), runs=1)

    for name, expected in gb.FIXTURE_EXPECTED.items():
        assert answers[name]["ours"]["state"] == expected
    # the original names the failed Lambda's own (nested) state, and nothing for previousEventId 0
    assert answers["aws-parallel-lambda-failed.json"]["original"]["state"] == "Parallel Step 2, Process 2"
    assert answers["aws-task-failed.json"]["original"]["state"] == "Start"
    assert answers["aws-states-runtime-fragment.json"]["original"]["state"] is None


def test_gotostate_bench_reads_every_page_of_a_long_history() -> None:
    events = gb.api_shaped(synthetic_history(2_500))

    measured = gb.measure(events, runs=1)

    assert measured["ours"]["calls"] == 3  # pages of 1,000 events
    assert measured["ours"]["state"] == gb.SYNTHETIC_EXPECTED
    assert measured["original"]["calls"] == 1
    assert measured["original"]["state"] == "Process Item"  # inside the Map: not resumable
