"""The CLI: arguments, output formats, bad input, AWS errors, pagination and redrive (stubbed or moto)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import ANY, Stubber

from ops.gotostate import apply
from ops.gotostate import cli as gotostate
from ops.gotostate.errors import GoToStateError
from ops.gotostate.execution import redrive_refusal
from ops.gotostate.resume import Options, plan_resume
from tests.support.collectors import FAKE_AWS_ENV
from tests.support.gotostate import ACCOUNT, REGION, ROLE_ARN, Emulator, emulated_aws, load_history

MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Orders"
EXECUTION_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:Orders:run-1"


# A one-state machine that fails when its input has no "v": the quickest failed execution to resume.
NEEDS_V = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"v.$": "$.v"}, "End": True}}}


def failed_without_v(emulator: Emulator, name: str) -> str:
    """The ARN of a failed execution of a NEEDS_V machine named `name`, started without "v"."""
    return emulator.run(emulator.create_machine(name, NEEDS_V), {"w": 1})


def _parallel(step: int, **then: Any) -> dict[str, Any]:
    """A Parallel state of two Pass branches, named as the recorded history (Parallel) names them."""
    names = [f"Parallel Step {step}, Process {process}" for process in (1, 2)]
    branches = [{"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}} for name in names]
    return {"Type": "Parallel", "Branches": branches, **then}


DEFINITION = {
    "StartAt": "Parallel",
    "States": {"Parallel": _parallel(1, Next="Parallel 2"), "Parallel 2": _parallel(2, End=True)},
}


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with emulated_aws(monkeypatch) as emulated:
        yield emulated


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = gotostate.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, out: str, err: str, fragment: str) -> None:
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("gotostate: error: "), err
    assert "Traceback" not in err
    assert fragment in err


class StubbedSfn:
    """A real client whose responses come from a Stubber: the reads plan_resume makes, in order."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "stepfunctions", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
        )
        self.stubber = Stubber(self.client)

    def describe(self, status: str = "FAILED", stopped: datetime | None = None, **extra: Any) -> None:
        response = {
            "executionArn": EXECUTION_ARN,
            "stateMachineArn": MACHINE_ARN,
            "status": status,
            "startDate": datetime(2025, 1, 1, tzinfo=UTC),
            "stopDate": stopped or datetime.now(UTC),
            **extra,
        }
        self.stubber.add_response("describe_execution", response, {"executionArn": EXECUTION_ARN})

    def machine(self) -> None:
        self.stubber.add_response(
            "describe_state_machine",
            {
                "stateMachineArn": MACHINE_ARN,
                "name": "Orders",
                "definition": json.dumps(DEFINITION),
                "roleArn": ROLE_ARN,
                "type": "STANDARD",
                "creationDate": datetime(2025, 1, 1, tzinfo=UTC),
            },
            {"stateMachineArn": MACHINE_ARN},
        )

    def machine_that_ran(self, definition: dict[str, Any] = DEFINITION) -> None:
        """DescribeStateMachineForExecution: the definition the execution ran."""
        self.stubber.add_response(
            "describe_state_machine_for_execution",
            {
                "stateMachineArn": MACHINE_ARN,
                "name": "Orders",
                "definition": json.dumps(definition),
                "roleArn": ROLE_ARN,
                "updateDate": datetime(2025, 1, 1, tzinfo=UTC),
            },
            {"executionArn": EXECUTION_ARN},
        )

    def ran(self) -> None:
        self.machine_that_ran()
        self.stubber.add_response(
            "list_tags_for_resource", {"tags": [{"key": "team", "value": "a"}]}, {"resourceArn": MACHINE_ARN}
        )

    def every_read(self, page_size: int = 1000, **described: Any) -> None:
        """The reads of a plan, in order: the recorded history served `page_size` events a page."""
        self.describe(**described)
        self.machine()
        self.ran()
        self.history_pages(fixture_events(), page_size=page_size)

    def history_pages(self, events: list[dict[str, Any]], page_size: int) -> None:
        pages = [events[start : start + page_size] for start in range(0, len(events), page_size)]
        for number, page in enumerate(pages):
            expected: dict[str, Any] = {
                "executionArn": EXECUTION_ARN,
                "includeExecutionData": True,
                "maxResults": 1000,
            }
            if number:
                expected["nextToken"] = f"token-{number}"
            response: dict[str, Any] = {"events": [_api_event(event) for event in page]}
            if number < len(pages) - 1:
                response["nextToken"] = f"token-{number + 1}"
            self.stubber.add_response("get_execution_history", response, expected)


def _api_event(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "timestamp": datetime(2025, 1, 1, tzinfo=UTC)}


def fixture_events() -> list[dict[str, Any]]:
    return [
        {key: value for key, value in event.items() if key != "timestamp"}
        for event in load_history("aws-parallel-lambda-failed.json")
    ]


# --- arguments and bad input: one line on stderr, exit 2, nothing created ----------------------


def test_cli_no_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run_cli(capsys), "--failed-execution-arn")


@pytest.mark.parametrize(
    ("arn", "fragment"),
    [
        ("not-an-arn", "malformed execution ARN"),
        (f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Orders", "malformed execution ARN"),
        (f"arn:aws:states:{REGION}:{ACCOUNT}:express:Orders:run-1:abc", "no history for Express"),
    ],
)
def test_cli_rejects_arn_before_any_call(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, arn: str, fragment: str
) -> None:
    monkeypatch.setattr(gotostate, "make_client", pytest.fail)

    assert_one_line_error(*run_cli(capsys, "--failed-execution-arn", arn), fragment)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("{not json", "--input is not valid JSON"), ("@/nonexistent/input.json", "cannot read --input file")],
)
def test_cli_rejects_bad_input(capsys: pytest.CaptureFixture[str], value: str, fragment: str) -> None:
    assert_one_line_error(
        *run_cli(capsys, "--failed-execution-arn", EXECUTION_ARN, "--input", value), fragment
    )


def test_cli_reads_input_from_file(tmp_path: Path) -> None:
    (tmp_path / "fixed.json").write_text('{"foo": [1, 2]}')

    assert gotostate.parse_input(f"@{tmp_path / 'fixed.json'}") == {"foo": [1, 2]}
    assert gotostate.parse_input('"text"') == "text"


def test_cli_unknown_profile_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")

    code, out, err = run_cli(capsys, "--failed-execution-arn", EXECUTION_ARN, "--profile", "nobody")

    assert_one_line_error(code, out, err, "nobody")


def test_cli_client_honours_endpoint_and_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:4566")
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    client = gotostate.make_client(None, "eu-west-3")

    assert client.meta.endpoint_url == "http://localhost:4566"
    assert client.meta.region_name == "eu-west-3"
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 3}  # type: ignore[attr-defined]


def test_cli_region_defaults_to_the_arn(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    regions: list[str | None] = []

    def fake_client(profile: str | None, region: str | None) -> Any:
        regions.append(region)
        raise GoToStateError("stop here")

    monkeypatch.setattr(gotostate, "make_client", fake_client)
    arn = EXECUTION_ARN.replace(REGION, "ap-southeast-2")

    run_cli(capsys, "--failedExecutionArn", arn)
    run_cli(capsys, "--failed-execution-arn", arn, "--region", "eu-central-1")

    assert regions == ["ap-southeast-2", "eu-central-1"]


def test_cli_missing_execution(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    emulator.create_machine("Orders", DEFINITION)

    assert_one_line_error(*run_cli(capsys, "--failed-execution-arn", EXECUTION_ARN), "does not exist")
    assert len(emulator.sfn.list_state_machines()["stateMachines"]) == 1


def test_cli_succeeded_and_express_executions(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    simple = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
    succeeded = emulator.run(emulator.create_machine("Fine", simple), {})
    express = emulator.run(emulator.create_machine("Quick", simple, type="EXPRESS"), {})

    assert_one_line_error(
        *run_cli(capsys, "--failed-execution-arn", succeeded), "SUCCEEDED; there is nothing"
    )
    assert_one_line_error(*run_cli(capsys, "--failed-execution-arn", express), "Express")
    assert len(emulator.sfn.list_state_machines()["stateMachines"]) == 2


def test_cli_running_execution() -> None:
    stubbed = StubbedSfn()
    stubbed.describe(status="RUNNING")
    stubbed.machine()

    with stubbed.stubber, pytest.raises(GoToStateError, match="still RUNNING"):
        gotostate.run(stubbed.client, Options(execution_arn=EXECUTION_ARN))


@pytest.mark.parametrize(
    ("state", "fragment"),
    [("Nope", "unknown state 'Nope'"), ("Inner", "nested inside top-level state 'Outer'")],
)
def test_cli_bad_state_option(
    emulator: Emulator, capsys: pytest.CaptureFixture[str], state: str, fragment: str
) -> None:
    machine = emulator.create_machine(
        "States",
        {
            "StartAt": "Outer",
            "States": {
                "Outer": {
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": True}}}],
                    "Next": "Last",
                },
                "Last": {"Type": "Pass", "Parameters": {"v.$": "$.v"}, "End": True},
            },
        },
    )
    failed = emulator.run(machine, {})

    assert_one_line_error(*run_cli(capsys, "--failed-execution-arn", failed, "--state", state), fragment)
    assert len(emulator.sfn.list_state_machines()["stateMachines"]) == 1


def test_cli_access_denied_names_the_permission(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stubbed = StubbedSfn()
    stubbed.describe()
    stubbed.machine()
    stubbed.ran()
    stubbed.stubber.add_client_error(
        "get_execution_history",
        service_error_code="AccessDeniedException",
        service_message="User: arn:aws:iam::123456789012:user/dev is not authorized to perform: "
        "states:GetExecutionHistory on resource: x because no identity-based policy allows it",
        http_status_code=400,
    )
    monkeypatch.setattr(gotostate, "make_client", lambda profile, region: stubbed.client)

    with stubbed.stubber:
        code, out, err = run_cli(capsys, "--failed-execution-arn", EXECUTION_ARN)

    assert_one_line_error(code, out, err, "missing permission states:GetExecutionHistory")


def test_cli_access_denied_without_permission_in_message_uses_operation() -> None:
    error = ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, "CreateStateMachine"
    )

    assert "missing permission states:CreateStateMachine" in gotostate.describe_client_error(error)


def test_cli_long_error_pages_are_cut_to_one_short_line() -> None:
    page = "<!doctype html>\n<title>500 Internal Server Error</title>\n" + "<p>detail</p>\n" * 100
    error = ClientError({"Error": {"Code": "500", "Message": page}}, "RedriveExecution")

    message = gotostate.describe_client_error(error)

    assert "\n" not in message
    assert len(message) < 400


# --- pagination, dry run and output ------------------------------------------------------------


def test_cli_follows_next_token_on_every_page() -> None:
    # given the recorded 28-event history served 10 events a page (moto ignores nextToken)
    stubbed = StubbedSfn()
    stubbed.every_read(page_size=10)

    with stubbed.stubber:
        result = gotostate.run(stubbed.client, Options(execution_arn=EXECUTION_ARN, dry_run=True))
        stubbed.stubber.assert_no_pending_responses()

    assert result["history_events"] == 28
    assert result["failed_state"] == "Parallel 2"
    assert result["action"] == "dry-run"
    assert result["state_machine_arn"] == f"{MACHINE_ARN}-with-GoToState"
    assert result["definition"]["StartAt"] == "GoToState"
    assert result["start_input"]["gotostate"]["input"] == result["failed_state_input"]


def test_cli_dry_run_json_is_one_object_and_creates_nothing(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = failed_without_v(emulator, "Dry")

    code, out, err = run_cli(capsys, "--failed-execution-arn", failed, "--dry-run", "--json", "--start")

    assert code == 0, err
    result = json.loads(out)
    assert {"failed_state", "failed_state_input", "state_machine_arn", "execution_arn"} <= set(result)
    assert (result["failed_state"], result["failed_state_input"], result["execution_arn"]) == (
        "A",
        {"w": 1},
        None,
    )
    assert '+  "StartAt": "GoToState",' in result["diff"]
    assert [m["name"] for m in emulator.sfn.list_state_machines()["stateMachines"]] == ["Dry"]


def test_cli_human_output(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    machine = emulator.create_machine(
        "Readable",
        {
            "StartAt": "My Step",
            "States": {"My Step": {"Type": "Pass", "Parameters": {"v.$": "$.v"}, "End": True}},
        },
    )
    failed = emulator.run(machine, {"w": 1})

    code, out, err = run_cli(capsys, "--failed-execution-arn", failed, "--input", '{"v": 2}')

    assert code == 0, err
    assert "Resume state:   'My Step' (entered at event #2)" in out
    assert 'Its input:      {"w":1}' in out
    assert 'Resume input:   {"v":2}' in out
    assert "Readable-with-GoToState (created)" in out
    assert "aws stepfunctions start-execution" in out


def test_cli_two_starts_in_the_same_second_both_start_and_say_which(
    emulator: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a failed run, and a clock that stays in one second (a script, an impatient re-run)
    failed = failed_without_v(emulator, "Twice")
    second = datetime(2026, 12, 1, 22, 7, 54, tzinfo=UTC)

    class OneSecond(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> OneSecond:
            return cls.fromtimestamp(second.timestamp(), tz)

    monkeypatch.setattr(apply, "datetime", OneSecond)
    # when: the same command twice, back to back
    runs = [run_cli(capsys, "--failed-execution-arn", failed, "--input", '{"v": 2}', "--start") for _ in "12"]
    # then: both exit 0, each names the execution it started, and those are two executions
    assert [code for code, _, _ in runs] == [0, 0], [err for _, _, err in runs]
    started = [
        line.split()[-1] for _, out, _ in runs for line in out.splitlines() if line.startswith("Started:")
    ]
    assert len(started) == len(set(started)) == 2
    assert all(":Twice-with-GoToState:first-run-gotostate-20261201T220754Z-" in arn for arn in started)
    assert all(len(arn.rsplit(":", 1)[-1]) <= 80 for arn in started)
    assert "Twice-with-GoToState (created)" in runs[0][1] and "(unchanged)" in runs[1][1]
    for arn in started:
        assert emulator.wait(arn)["status"] == "SUCCEEDED"


# --- redrive -----------------------------------------------------------------------------------


def test_cli_redrive_when_eligible() -> None:
    stubbed = StubbedSfn()
    stubbed.every_read(redriveStatus="REDRIVABLE")
    stubbed.stubber.add_response(
        "redrive_execution",
        {"redriveDate": datetime.now(UTC)},
        {"executionArn": EXECUTION_ARN, "clientToken": ANY},
    )

    with stubbed.stubber:
        result = gotostate.run(stubbed.client, Options(execution_arn=EXECUTION_ARN, redrive=True))

    assert (result["method"], result["action"]) == ("redrive", "redriven")
    assert result["execution_arn"] == EXECUTION_ARN
    assert result["state_machine_arn"] == MACHINE_ARN


@pytest.mark.parametrize(
    ("options", "described", "reason"),
    [
        ({"has_input": True, "corrected_input": {}}, {}, "--input was given"),
        ({"state": "Parallel"}, {}, "--state was given"),
        ({}, {"stopped": datetime.now(UTC) - timedelta(days=20)}, "only accepts the last 14 days"),
        (
            {},
            {
                "redriveStatus": "NOT_REDRIVABLE",
                "redriveStatusReason": "Execution history event limit exceeded",
            },
            "event limit exceeded",
        ),
    ],
)
def test_cli_redrive_refused_explains_and_falls_back(
    options: dict[str, Any], described: dict[str, Any], reason: str
) -> None:
    stubbed = StubbedSfn()
    stubbed.every_read(**described)

    with stubbed.stubber:
        result = gotostate.run(
            stubbed.client, Options(execution_arn=EXECUTION_ARN, redrive=True, dry_run=True, **options)
        )

    assert result["method"] == "gotostate"
    assert any(
        reason in warning and "not using RedriveExecution" in warning for warning in result["warnings"]
    )


def test_cli_deleted_original_machine_is_resumed_as_standard_without_tags() -> None:
    stubbed = StubbedSfn()
    stubbed.describe()
    stubbed.stubber.add_client_error("describe_state_machine", service_error_code="StateMachineDoesNotExist")
    stubbed.machine_that_ran()
    stubbed.history_pages(fixture_events(), page_size=1000)

    with stubbed.stubber:
        plan = plan_resume(stubbed.client, Options(execution_arn=EXECUTION_ARN))
        stubbed.stubber.assert_no_pending_responses()

    assert plan.machine_type == "STANDARD"
    assert [tag["key"] for tag in plan.tags] == ["gotostate:resumes-execution", "gotostate:resume-state"]
    assert any("no longer exists" in warning for warning in plan.warnings)


def test_cli_redrive_refusal_rules() -> None:
    now = datetime(2025, 6, 1, tzinfo=UTC)
    described: Any = {"status": "FAILED", "stopDate": now - timedelta(days=1)}

    assert redrive_refusal(described, 100, now) is None
    assert "fewer than 24999" in str(redrive_refusal(described, 24_999, now))
    by_map_run: Any = {**described, "redriveStatus": "REDRIVABLE_BY_MAP_RUN"}
    assert "Map Run" in str(redrive_refusal(by_map_run, 1, now))


# --- the execution input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--execution-input", "{oops"], "--execution-input is not valid JSON"),
        (["--execution-input", "@/nonexistent/in.json"], "cannot read --execution-input file"),
        (["--input", "@-", "--execution-input", "@-"], "cannot both read stdin"),
    ],
)
def test_cli_rejects_bad_execution_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str], fragment: str
) -> None:
    monkeypatch.setattr(gotostate, "make_client", pytest.fail)

    assert_one_line_error(*run_cli(capsys, "--failed-execution-arn", EXECUTION_ARN, *argv), fragment)


def test_cli_execution_input_with_the_reserved_key_is_refused(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = emulator.create_machine(
        "Reserved",
        NEEDS_V,
    )
    failed = emulator.run(machine, {})

    assert_one_line_error(
        *run_cli(capsys, "--failed-execution-arn", failed, "--execution-input", '{"gotostate": 1}'),
        "--execution-input has a top-level 'gotostate' key",
    )
    assert len(emulator.sfn.list_state_machines()["stateMachines"]) == 1


def _big_failure(emulator: Emulator, name: str, reads_execution_input: bool) -> str:
    # ~150 KB of input that the first state receives whole: carried twice it exceeds 256 KiB
    parameters = {"v.$": "$.v", **({"blob.$": "$$.Execution.Input.blob"} if reads_execution_input else {})}
    machine = emulator.create_machine(
        name, {"StartAt": "Go", "States": {"Go": {"Type": "Pass", "Parameters": parameters, "End": True}}}
    )
    return emulator.run(machine, {"blob": "x" * 150_000})


def test_cli_resume_request_over_256_kib_is_one_line_and_creates_nothing(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = _big_failure(emulator, "Big", reads_execution_input=True)

    code, out, err = run_cli(capsys, "--failed-execution-arn", failed, "--start")

    assert_one_line_error(code, out, err, "StartExecution accepts at most 262,144 (256 KiB)")
    assert "--execution-input" in err
    assert len(emulator.sfn.list_state_machines()["stateMachines"]) == 1


def test_cli_large_input_leaves_out_an_execution_input_nothing_reads(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = _big_failure(emulator, "BigUnread", reads_execution_input=False)

    code, out, err = run_cli(capsys, "--failed-execution-arn", failed, "--json")

    assert code == 0, err
    assert "never reads $$.Execution.Input" in err
    result = json.loads(out)
    assert set(result["start_input"]) == {"gotostate"}
    assert result["execution_input_carried"] is False


def test_cli_unavailable_execution_input_warns_when_the_definition_reads_it() -> None:
    # given a history and a DescribeExecution answer that hold no execution input
    stubbed = StubbedSfn()
    stubbed.describe()
    stubbed.stubber.add_response(
        "describe_state_machine",
        {
            "stateMachineArn": MACHINE_ARN,
            "name": "Orders",
            "definition": "{}",
            "roleArn": ROLE_ARN,
            "type": "STANDARD",
            "creationDate": datetime(2025, 1, 1, tzinfo=UTC),
        },
        {"stateMachineArn": MACHINE_ARN},
    )
    reading = json.loads(json.dumps(DEFINITION))
    reading["States"]["Parallel 2"]["Parameters"] = {"id.$": "$$.Execution.Input.id"}
    stubbed.machine_that_ran(reading)
    stubbed.stubber.add_response("list_tags_for_resource", {"tags": []}, {"resourceArn": MACHINE_ARN})
    events = fixture_events()
    del events[0]["executionStartedEventDetails"]["input"]
    stubbed.history_pages(events, page_size=1000)

    with stubbed.stubber:
        result = gotostate.run(stubbed.client, Options(execution_arn=EXECUTION_ARN, dry_run=True))

    assert result["execution_input_carried"] is False
    assert any("input is not available" in warning for warning in result["warnings"])


def test_cli_execution_input_taken_from_the_history_when_describe_has_none() -> None:
    stubbed = StubbedSfn()
    stubbed.every_read()

    with stubbed.stubber:
        result = gotostate.run(stubbed.client, Options(execution_arn=EXECUTION_ARN, dry_run=True))

    assert result["failed_execution_input"] == {"Message": "Your message here"}
    assert result["start_input"]["Message"] == "Your message here"


def test_cli_redrive_refused_when_execution_input_is_corrected() -> None:
    stubbed = StubbedSfn()
    stubbed.every_read(redriveStatus="REDRIVABLE")
    options = Options(
        execution_arn=EXECUTION_ARN, redrive=True, dry_run=True, has_execution_input=True, execution_input={}
    )

    with stubbed.stubber:
        result = gotostate.run(stubbed.client, options)

    assert result["method"] == "gotostate"
    assert any("--execution-input was given" in warning for warning in result["warnings"])


def test_cli_human_output_says_what_the_execution_input_is(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = failed_without_v(emulator, "Said")

    _, kept, _ = run_cli(capsys, "--failed-execution-arn", failed, "--input", '{"v": 2}', "--dry-run")
    _, fixed, _ = run_cli(
        capsys,
        "--failed-execution-arn",
        failed,
        "--input",
        '{"v": 2}',
        "--execution-input",
        '{"w": 2}',
        "--dry-run",
    )

    assert "Execution input: the failed run's, plus the resume request under 'gotostate'" in kept
    assert '--input \'{"w":1,"gotostate":' in kept
    assert 'Execution input: {"w":2} (corrected)' in fixed


@pytest.mark.parametrize(
    ("reads", "warned"),
    [
        ({"all.$": "$$.Execution.Input"}, True),
        ({"ctx.$": "$$"}, True),
        ({"id.$": "$$.Execution.Input.id", "name.$": "$$.Execution.Name"}, False),
    ],
    ids=["whole-input", "whole-context", "fields-only"],
)
def test_cli_warns_when_a_state_reads_the_whole_execution_input(
    emulator: Emulator, capsys: pytest.CaptureFixture[str], reads: dict[str, str], warned: bool
) -> None:
    parameters = {"v.$": "$.v", **reads}
    machine = emulator.create_machine(
        "Whole", {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": parameters, "End": True}}}
    )
    failed = emulator.run(machine, {"id": 1})

    code, _, err = run_cli(capsys, "--failed-execution-arn", failed, "--dry-run")

    assert code == 0, err
    assert ("also holds the 'gotostate' key" in err) is warned


# --- an endpoint that never answers ----------------------------------------------------------

REPOSITORY = Path(__file__).resolve().parents[2]


@contextmanager
def silent_endpoint(lifetime: float = 120.0) -> Iterator[tuple[str, list[socket.socket]]]:
    """A loopback server that accepts connections and never answers; it stops by itself."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        deadline = threading.Timer(lifetime, stop.set)
        deadline.start()
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue
        deadline.cancel()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in accepted:
            connection.close()
        server.close()


def test_cli_silent_endpoint_gives_up_with_one_line_naming_it() -> None:
    with silent_endpoint() as (url, accepted):
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("AWS_") and key.lower() not in ("http_proxy", "https_proxy", "all_proxy")
        }
        environment.update(
            FAKE_AWS_ENV,
            AWS_ENDPOINT_URL=url,
            AWS_CONFIG_FILE="/nonexistent/config",
            AWS_SHARED_CREDENTIALS_FILE="/nonexistent/credentials",
            NO_PROXY="127.0.0.1",
        )

        # when the documented command runs against it (the timeout only guards the test run)
        finished = subprocess.run(
            [sys.executable, "tools/gotostate.py", "--failed-execution-arn", EXECUTION_ARN],
            cwd=REPOSITORY,
            env=environment,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )

        # then it ended by itself, after a bounded number of attempts, with one line
        assert_one_line_error(finished.returncode, finished.stdout, finished.stderr, f"no answer from {url}")
        assert f"AWS_ENDPOINT_URL (set to {url})" in finished.stderr
        assert f"the region ({REGION};" in finished.stderr
        assert len(accepted) == gotostate.TOTAL_ATTEMPTS


def test_cli_silent_endpoint_bound_fits_in_30_seconds() -> None:
    # every attempt may wait the full read timeout; standard-mode backoff is at most 2**(n-1) s
    backoff = sum(2**attempt for attempt in range(gotostate.TOTAL_ATTEMPTS - 1))
    worst = gotostate.TOTAL_ATTEMPTS * max(gotostate.READ_TIMEOUT, gotostate.CONNECT_TIMEOUT) + backoff

    assert worst < 30


def test_cli_unreachable_endpoint_message_without_endpoint_variable() -> None:
    client = gotostate.make_client(None, "eu-north-1")
    error = EndpointConnectionError(endpoint_url="https://states.eu-north-1.amazonaws.com/")

    message = gotostate.describe_unreachable(error, client, {})

    assert message.startswith("cannot connect to https://states.eu-north-1.amazonaws.com/")
    assert "AWS_ENDPOINT_URL (not set)" in message
    assert "the region (eu-north-1;" in message
    named = gotostate.describe_unreachable(error, client, {"AWS_ENDPOINT_URL_SFN": "http://localhost:4566"})
    assert "AWS_ENDPOINT_URL_SFN (set to http://localhost:4566)" in named
