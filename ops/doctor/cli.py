"""Is a deployed highres-metrics stack working? Read-only checks with one line per finding.

Usage:
    python tools/doctor.py --stack HighResMetrics [--region eu-west-1] [--minutes 5] [--json]
    python tools/doctor.py --stack-set HighResMetrics [--call-as SELF|DELEGATED_ADMIN] [--region R]
                           [--monitoring-account ID] [--json]
    python tools/doctor.py --monitoring [--namespace HighResMetrics] [--region R] [--minutes 5] [--json]

`--stack-set` (management account or delegated administrator) checks an organization's rollout:
the StackSet's status, permission model and auto-deployment, each stack instance (CURRENT,
OUTDATED, INOPERABLE with its reason), targeted regions without instances and accounts of the OUs
without one (ops/doctor/stack_set.py). `--monitoring` (monitoring account) names the source
accounts whose samples stopped (ops/doctor/monitoring.py).

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
import re
import sys
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from collector_core.catalogue import DEFAULT_NAMESPACE
from ops.doctor.checks import diagnose
from ops.doctor.clients import (
    TOTAL_ATTEMPTS,
    make_clients,
    make_monitoring_clients,
    make_stack_set_clients,
)
from ops.doctor.monitoring import diagnose_monitoring
from ops.doctor.report import INFO, OK, PROBLEM, Report
from ops.doctor.stack import DoctorError
from ops.doctor.stack_set import CALL_AS, diagnose_stack_set

_MARKS = {OK: "ok     ", PROBLEM: "PROBLEM", INFO: "info   "}


def main(argv: list[str] | None = None, clients: Any = None) -> int:
    """`clients`: a Clients (--stack), StackSetClients (--stack-set) or MonitoringClients
    (--monitoring) for tests; made from the default session otherwise."""
    parser = argparse.ArgumentParser(prog="tools/doctor.py", description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--stack", help="the stack name, e.g. HighResMetrics")
    what.add_argument("--stack-set", help="a StackSet's name, e.g. HighResMetrics (organization mode)")
    what.add_argument(
        "--monitoring", action="store_true", help="from the monitoring account: whose samples stopped"
    )
    parser.add_argument("--region", help="the region to read (default: the AWS CLI's)")
    parser.add_argument(
        "--minutes", type=int, help="how far back executions and samples are counted (default 5)"
    )
    parser.add_argument(
        "--call-as", choices=CALL_AS, help="with --stack-set: SELF (default) or DELEGATED_ADMIN"
    )
    parser.add_argument(
        "--monitoring-account",
        help="with --stack-set: the monitoring account (organization.monitoringAccount), which the "
        "StackSet excludes from its OUs",
    )
    parser.add_argument(
        "--namespace", help=f"with --monitoring: the metrics' namespace ({DEFAULT_NAMESPACE})"
    )
    parser.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    args = parser.parse_args(argv)
    if args.call_as and not args.stack_set:
        parser.error("--call-as goes with --stack-set")
    if args.monitoring_account and not args.stack_set:
        parser.error("--monitoring-account goes with --stack-set")
    if args.monitoring_account and not re.fullmatch(r"\d{12}", args.monitoring_account):
        parser.error(f"--monitoring-account takes a 12-digit account id, not {args.monitoring_account!r}")
    if args.namespace and not args.monitoring:
        parser.error("--namespace goes with --monitoring")
    if args.minutes is not None and args.stack_set:
        parser.error("--minutes goes with --stack or --monitoring (a StackSet has no samples)")
    minutes = 5 if args.minutes is None else args.minutes
    if not 1 <= minutes <= 180:
        parser.error("--minutes takes a whole number from 1 to 180 (one-second data is kept 3 hours)")
    try:
        if args.stack_set:
            report = diagnose_stack_set(
                clients or make_stack_set_clients(args.region),
                args.stack_set,
                call_as=args.call_as or "SELF",
                monitoring_account=args.monitoring_account,
            )
        elif args.monitoring:
            report = diagnose_monitoring(
                clients or make_monitoring_clients(args.region),
                args.namespace or DEFAULT_NAMESPACE,
                minutes=minutes,
                now=datetime.now(UTC),
            )
        else:
            report = diagnose(clients or make_clients(args.region), args.stack, minutes=minutes)
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
    if report.subject == "stack":
        print(f"doctor: {report.stack} in {report.region}; alarms should be as {report.should_be_from}")
    else:
        subject = f"{report.subject} {report.stack} in {report.region}"
        print(f"doctor: {subject}; compared against {report.should_be_from}")
    for finding in report.findings:
        print(f"{_MARKS[finding.status]} {finding.check}: {finding.message}")
    problems = sum(1 for f in report.findings if f.status == PROBLEM)
    print("all checks passed" if report.ok else f"{problems} problem(s)")


if __name__ == "__main__":
    sys.exit(main())
