"""The doctor in the monitoring account: which source accounts' samples stopped arriving?

One Metrics Insights query over the last 3 hours, `SELECT COUNT(SampleDelay) FROM
SCHEMA("<namespace>", Collector) GROUP BY AWS.AccountId`: every sample a member's pipeline takes
publishes one SampleDelay (the catalogue's health metric), and OAM shares it with the monitoring
account, so each linked account that sampled at all in those 3 hours is one series. An account
seen then but without a sample in the last `--minutes` stopped (its schedule, its state machine,
its functions or its OAM link). GetMetricData takes one Metrics Insights query per call, and
Metrics Insights reads the most recent three hours only (GetMetricData, CloudWatch API Reference).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from collector_core import catalogue as cat
from collector_core.insights import MAX_SERIES, insights_query
from ops.doctor.clients import MonitoringClients
from ops.doctor.report import OK, PROBLEM, Finding, Report
from ops.doctor.stack import pages

LOOKBACK = timedelta(hours=3)
PERIOD_SECONDS = 60
MONITORING_SHOULD_BE_FROM = (
    "the accounts whose samples the monitoring account saw in the last 3 hours (Metrics Insights "
    "reads no further back)"
)
_ACCOUNT_ID = re.compile(r"\b\d{12}\b")


def samples_query(namespace: str) -> str:
    return insights_query("COUNT", cat.SAMPLE_DELAY, namespace, by_account=True, by_dimensions=False)


def diagnose_monitoring(clients: MonitoringClients, namespace: str, *, minutes: int, now: datetime) -> Report:
    """Samples per source account: over the last `minutes`, against the last 3 hours."""
    end = now.replace(second=0, microsecond=0)
    since = end - timedelta(minutes=minutes)
    results = pages(
        clients.cloudwatch,
        "get_metric_data",
        "MetricDataResults",
        MetricDataQueries=[
            {
                "Id": "samples",
                "Expression": samples_query(namespace),
                "Period": PERIOD_SECONDS,
                "ReturnData": True,
            }
        ],
        StartTime=end - LOOKBACK,
        EndTime=end,
    )
    report = Report(namespace, clients.region, MONITORING_SHOULD_BE_FROM, subject="namespace")
    report.findings += check_accounts_sampling(results, namespace, since, minutes)
    return report


def per_account(results: list[dict[str, Any]]) -> dict[str, list[tuple[datetime, float]]]:
    """Account id -> its (timestamp, samples) points. A GROUP BY query answers one result per
    series, labelled with its group's value (the account id); pages of one series are joined."""
    points: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for result in results:
        match = _ACCOUNT_ID.search(str(result.get("Label", "")))
        if match:
            points[match.group()] += list(
                zip(result.get("Timestamps", []), result.get("Values", []), strict=True)
            )
    return points


def check_accounts_sampling(
    results: list[dict[str, Any]], namespace: str, since: datetime, minutes: int
) -> list[Finding]:
    findings = [
        Finding("samples", PROBLEM, f"the query answered {result.get('StatusCode')}: {_messages(result)}")
        for result in results
        if result.get("StatusCode") in ("InternalError", "Forbidden")
    ]
    accounts = per_account(results)
    if not accounts:
        nothing = (
            f"no account's {cat.SAMPLE_DELAY.name} in {namespace} reached this account in the last 3 h: "
            "check the namespace, the sink (aws oam list-attached-links) and the members' pipelines"
        )
        return [*findings, Finding("samples", PROBLEM, nothing)]
    if len(accounts) >= MAX_SERIES:
        findings.append(
            Finding(
                "samples",
                PROBLEM,
                f"{len(accounts)} accounts: a query sees at most {MAX_SERIES}, some are left out",
            )
        )
    for account, points in sorted(accounts.items()):
        recent = sum(value for when, value in points if when >= since)
        if recent:
            findings.append(
                Finding("samples", OK, f"{account}: {recent:g} samples in the last {minutes} min")
            )
            continue
        sampled = [when for when, value in points if value]
        last = f"the last at {max(sampled):%H:%M} UTC" if sampled else "none counted"
        findings.append(
            Finding(
                "samples",
                PROBLEM,
                f"{account}: no sample in the last {minutes} min ({last}): its schedule, state machine or "
                "OAM link stopped (run the doctor there: tools/doctor.py --stack "
                "StackSet-HighResMetrics-<id>, the stack named in its StackSet instance)",
            )
        )
    return findings


def _messages(result: dict[str, Any]) -> str:
    return "; ".join(str(m.get("Value", "")) for m in result.get("Messages") or []) or "no message"
