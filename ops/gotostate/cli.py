"""Resume a failed AWS Step Functions execution from the state where it failed.

Usage:
    python tools/gotostate.py --failed-execution-arn ARN [--state NAME] [--input JSON|@file]
                              [--execution-input JSON|@file] [--start] [--dry-run] [--redrive]
                              [--json] [--region REGION] [--profile PROFILE]

It reads the execution's whole history, finds the top-level state to resume at (the enclosing
Parallel/Map for a failure inside one; for a Fail state, the state whose Catch or Choice led there)
and the exact input that state received. It then creates or updates `<machine>-with-GoToState`:
the definition the execution ran, with a `GoToState` Choice as `StartAt` that jumps to that state
when the start input is a resume request and starts normally otherwise. Workflow variables set by
the skipped states are restored. The resumed execution's input is the failed execution's own input
(or `--execution-input`) with the resume request under the reserved key "gotostate", so
`$$.Execution.Input` reads what it read in the failed run. `--start` starts the resumed execution;
`--redrive` uses native RedriveExecution instead when the execution is eligible and the input is unchanged.

Examples:
    python tools/gotostate.py \
        --failed-execution-arn arn:aws:states:eu-west-1:123456789012:execution:Orders:run-42
    python tools/gotostate.py --failedExecutionArn ARN --input '{"foo": 1}' --start --json
    python tools/gotostate.py --failed-execution-arn ARN --state "Parallel 2" --input @fixed.json --dry-run

The standard AWS settings apply (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL for moto or
LocalStack). The region defaults to the one in the ARN. See docs/GOTOSTATE.md for the IAM policy.
Exit status: 0 on success, 2 on any error (one line on stderr, nothing created).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from ops.gotostate.apply import Outcome, apply_plan
from ops.gotostate.errors import GoToStateError
from ops.gotostate.execution import error_code, parse_execution_arn
from ops.gotostate.resume import Options, Plan, plan_resume
from ops.gotostate.rewrite import RESUME_KEY, definition_diff, format_definition

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

PROG = "gotostate"
EXIT_ERROR = 2
# Every call is bounded so that a silent endpoint fails in well under 30 s instead of hanging an
# operator: 3 attempts x 6 s read (or 5 s connect) plus standard-mode backoff of at most 1 s + 2 s
# is 21 s. The read timeout bounds each wait for data, not a whole response, so 6 s is still
# generous for these small API calls.
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 6
TOTAL_ATTEMPTS = 3
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": TOTAL_ATTEMPTS},
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
)
UNREACHABLE = (ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError, ConnectionClosedError)
# The settings botocore takes a Step Functions endpoint from, most specific first.
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_SFN", "AWS_ENDPOINT_URL")
# Emulators answer unimplemented calls with whole HTML pages; one line stays readable.
MAX_MESSAGE = 300
_PERMISSION_IN_MESSAGE = re.compile(r"perform: ([\w-]+:\w+)")


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Resume a failed Step Functions execution from the state where it failed.",
        epilog="See docs/GOTOSTATE.md.",
    )
    parser.add_argument(
        "--failed-execution-arn",
        "--failedExecutionArn",
        dest="execution_arn",
        required=True,
        metavar="ARN",
        help="the FAILED, TIMED_OUT or ABORTED Standard execution to resume",
    )
    parser.add_argument(
        "--state", metavar="NAME", help="resume at this top-level state instead of the detected one"
    )
    parser.add_argument(
        "--input",
        metavar="JSON|@file",
        help="corrected input for the resume state (default: the input it received); @- reads stdin",
    )
    parser.add_argument(
        "--execution-input",
        metavar="JSON|@file",
        help="corrected execution input, what $$.Execution.Input reads in the resumed run "
        "(default: the failed execution's input); @- reads stdin",
    )
    parser.add_argument("--start", action="store_true", help="start the resumed execution and print its ARN")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the rewritten definition and a diff; create nothing"
    )
    parser.add_argument(
        "--redrive",
        action="store_true",
        help="use native RedriveExecution when the execution is eligible and no --input/--state is given",
    )
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    parser.add_argument("--region", help="AWS region (default: the region in the ARN)")
    parser.add_argument("--profile", help="AWS named profile")
    return parser


def parse_input(text: str, option: str = "--input") -> Any:
    """A JSON option value, from the argument itself, from @file, or from @- (stdin)."""
    if text.startswith("@"):
        path = text[1:]
        try:
            text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise GoToStateError(f"cannot read {option} file {path!r}: {exc.strerror}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise GoToStateError(
            f"{option} is not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"
        ) from exc


def make_client(profile: str | None, region: str | None) -> SFNClient:
    """A Step Functions client as the AWS CLI would build it; honours AWS_ENDPOINT_URL."""
    session = boto3.Session(profile_name=profile, region_name=region)
    return session.client("stepfunctions", config=CLIENT_CONFIG)


def describe_client_error(exc: ClientError) -> str:
    code = error_code(exc)
    message = " ".join(str(exc.response.get("Error", {}).get("Message", "")).split())
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    operation = exc.operation_name
    if code in ("AccessDeniedException", "AccessDenied"):
        found = _PERMISSION_IN_MESSAGE.search(message)
        permission = found.group(1) if found else f"states:{operation}"
        return f"access denied: missing permission {permission} ({message})"
    if code == "ExecutionDoesNotExist":
        return f"the execution does not exist ({message})"
    if code == "InvalidArn":
        return f"malformed ARN ({message})"
    return f"{operation} failed: {code}: {message}"


def run(client: SFNClient, options: Options) -> dict[str, Any]:
    """Plan, then (unless --dry-run) apply; returns the report `main` prints."""
    plan = plan_resume(client, options)
    if options.dry_run:
        outcome = Outcome("dry-run", plan.source_machine_arn if plan.redrive else plan.machine_arn, None)
    else:
        outcome = apply_plan(client, plan, start=options.start)
    return report(plan, outcome, dry_run=options.dry_run)


def report(plan: Plan, outcome: Outcome, *, dry_run: bool) -> dict[str, Any]:
    resume = plan.resume
    result: dict[str, Any] = {
        "failed_state": resume.state,
        "failed_state_input": plan.recorded_input,
        "state_machine_arn": outcome.state_machine_arn,
        "execution_arn": outcome.execution_arn,
        "source_execution_arn": plan.execution_arn,
        "status": resume.status,
        "error": resume.error,
        "cause": resume.cause,
        "innermost_failed_state": resume.failed_state,
        "reason": resume.reason,
        "entered_event_id": resume.entered_event_id,
        "resume_input": plan.corrected_input,
        "failed_execution_input": plan.recorded_execution_input,
        "execution_input": plan.execution_input,
        "execution_input_carried": plan.execution_input_carried,
        "variables": resume.variables,
        "method": "redrive" if plan.redrive else "gotostate",
        "action": outcome.action,
        "start_input": None if plan.redrive else plan.start_input,
        "history_events": plan.event_count,
        "warnings": plan.warnings,
    }
    if dry_run and not plan.redrive:
        result["definition"] = plan.definition
        result["diff"] = definition_diff(plan.original_definition, plan.definition)
    return result


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def render_text(result: dict[str, Any], out: TextIO) -> None:
    failure = result["status"] + (f": {result['error']}" if result["error"] else "")
    lines = [f"Execution:      {result['source_execution_arn']} ({failure})"]
    inner = result["innermost_failed_state"]
    if inner and inner != result["failed_state"]:
        lines.append(f"Failed in:      {inner!r}")
    event = f" (entered at event #{result['entered_event_id']})" if result["entered_event_id"] else ""
    lines += [
        f"Resume state:   {result['failed_state']!r}{event}: {result['reason']}",
        f"Its input:      {_compact(result['failed_state_input'])}",
    ]
    if result["resume_input"] != result["failed_state_input"]:
        lines.append(f"Resume input:   {_compact(result['resume_input'])}")
    if not result["execution_input_carried"]:
        lines.append("Execution input: the resume request only (see the warnings)")
    elif not isinstance(result["execution_input"], dict):
        lines.append("Execution input: the resume request, keeping the original (not an object) inside it")
    elif result["execution_input"] != result["failed_execution_input"]:
        corrected = _compact(result["execution_input"])
        lines.append(f"Execution input: {corrected} (corrected), plus {RESUME_KEY!r}")
    else:
        lines.append(f"Execution input: the failed run's, plus the resume request under {RESUME_KEY!r}")
    if result["variables"]:
        lines.append(f"Variables:      {', '.join(sorted(result['variables']))} (restored from the history)")
    if result["method"] == "redrive":
        verb = "would be redriven" if result["action"] == "dry-run" else "redriven with RedriveExecution"
        lines.append(f"Execution {verb}: {result['source_execution_arn']}")
    else:
        lines.append(f"State machine:  {result['state_machine_arn']} ({result['action']})")
        if result["execution_arn"]:
            lines.append(f"Started:        {result['execution_arn']}")
        else:
            lines += [
                "Start it with:",
                f"  aws stepfunctions start-execution --state-machine-arn {result['state_machine_arn']} "
                f"--input '{_compact(result['start_input'])}'",
            ]
    if "definition" in result:
        lines += ["", "Rewritten definition:", format_definition(result["definition"]), "", result["diff"]]
    out.write("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    client: SFNClient | None = None
    try:
        args = build_parser().parse_args(argv)
        if args.input == "@-" and args.execution_input == "@-":
            raise GoToStateError(
                "--input and --execution-input cannot both read stdin (@-); use a file for one"
            )
        options = Options(
            execution_arn=args.execution_arn,
            state=args.state,
            has_input=args.input is not None,
            corrected_input=parse_input(args.input) if args.input is not None else None,
            has_execution_input=args.execution_input is not None,
            execution_input=(
                parse_input(args.execution_input, "--execution-input")
                if args.execution_input is not None
                else None
            ),
            start=args.start,
            dry_run=args.dry_run,
            redrive=args.redrive,
        )
        arn = parse_execution_arn(args.execution_arn)
        client = make_client(args.profile, args.region or arn.region)
        result = run(client, options)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except (_UsageError, GoToStateError) as exc:
        return _fail(str(exc))
    except ClientError as exc:
        return _fail(describe_client_error(exc))
    except UNREACHABLE as exc:
        return _fail(describe_unreachable(exc, client, os.environ))
    except BotoCoreError as exc:
        return _fail(str(exc))
    for warning in result["warnings"]:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        render_text(result, sys.stdout)
    return 0


def describe_unreachable(exc: BotoCoreError, client: SFNClient | None, environ: Mapping[str, str]) -> str:
    """Which endpoint gave no answer, and the three settings that decide where it is."""
    url = str(getattr(exc, "kwargs", {}).get("endpoint_url") or (client.meta.endpoint_url if client else "?"))
    if isinstance(exc, ReadTimeoutError):
        what = f"no answer from {url} within {READ_TIMEOUT} s"
    elif isinstance(exc, ConnectTimeoutError):
        what = f"cannot connect to {url} within {CONNECT_TIMEOUT} s"
    elif isinstance(exc, ConnectionClosedError):
        what = f"{url} closed the connection without answering"
    else:
        what = f"cannot connect to {url}"
    configured = next((name for name in ENDPOINT_VARIABLES if environ.get(name)), None)
    endpoint = f"{configured} (set to {environ[configured]})" if configured else "AWS_ENDPOINT_URL (not set)"
    region = client.meta.region_name if client else "?"
    return (
        f"{what} ({TOTAL_ATTEMPTS} attempts); check the network, {endpoint} "
        f"and the region ({region}; --region sets it, else the ARN's)"
    )


def _fail(message: str) -> int:
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
