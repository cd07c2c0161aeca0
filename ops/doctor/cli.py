"""Is a deployed highres-metrics stack working? Read-only checks with one line per finding.

Usage:
    python tools/doctor.py --stack HighResMetrics [--region eu-west-1] [--minutes 5] [--json]

Checks: the stack's own status and drift status; every EventBridge rule of the stack (the
schedule, and in events mode the event rules and the reconcile schedule) exists and is enabled;
sampler executions succeeded in the last minutes (from the AWS/States metrics: Express executions
cannot be listed); samples arrived per collector (the pipeline's own SampleDelay sample count,
against what the sampling period promises); every alarm matches the deployed template's definition,
fields the template leaves out against their CloudFormation defaults (ok / differs: should be X,
is Y / missing), and its actions lead to a topic that exists; alarms now in ALARM; alarm-topic
subscriptions still pending confirmation; clusters without per-cluster alarms, with a config change
the synth accepts. Exit status: 0 all fine, 1 a problem found, 2 the checks could not run (no such
stack, a missing permission, no region or credentials, an endpoint that does not answer). It only
reads: the IAM policy in the README is all it needs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from ops.doctor.checks import diagnose
from ops.doctor.clients import TOTAL_ATTEMPTS, Clients, make_clients
from ops.doctor.report import INFO, OK, PROBLEM, Report
from ops.doctor.stack import DoctorError

_MARKS = {OK: "ok     ", PROBLEM: "PROBLEM", INFO: "info   "}


def main(argv: list[str] | None = None, clients: Clients | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/doctor.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="the stack name, e.g. HighResMetrics")
    parser.add_argument("--region", help="the stack's region (default: the AWS CLI's)")
    parser.add_argument(
        "--minutes", type=int, default=5, help="how far back executions and samples are counted"
    )
    parser.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    args = parser.parse_args(argv)
    if not 1 <= args.minutes <= 180:
        parser.error("--minutes takes a whole number from 1 to 180 (one-second data is kept 3 hours)")
    try:
        report = diagnose(clients or make_clients(args.region), args.stack, minutes=args.minutes)
    except (ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError) as error:
        print(f"doctor: error: {error} ({TOTAL_ATTEMPTS} attempts)", file=sys.stderr)
        return 2
    except (DoctorError, ValueError, BotoCoreError, ClientError) as error:
        # No stack, a missing permission, no region or credentials.
        print(f"doctor: error: {error}", file=sys.stderr)
        return 2
    _print(report, as_json=args.json)
    return 0 if report.ok else 1


def _print(report: Report, *, as_json: bool) -> None:
    if as_json:
        document: dict[str, Any] = report.as_json()
        print(json.dumps(document, indent=2))
        return
    print(f"doctor: {report.stack} in {report.region}; alarms should be as {report.should_be_from}")
    for finding in report.findings:
        print(f"{_MARKS[finding.status]} {finding.check}: {finding.message}")
    problems = sum(1 for f in report.findings if f.status == PROBLEM)
    print("all checks passed" if report.ok else f"{problems} problem(s)")


if __name__ == "__main__":
    sys.exit(main())
