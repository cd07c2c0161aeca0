"""The monitoring doctor on GetMetricData's documented answer shape (moto runs no Metrics Insights
query): botocore's Stubber checks the request the doctor sends and the answer against the API's
shapes. A GROUP BY query answers one MetricDataResult per series, all with the query's Id, each
labelled with its group's value: here the source account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ops.doctor import cli
from ops.doctor.clients import MonitoringClients
from ops.doctor.monitoring import diagnose_monitoring
from ops.doctor.report import OK, PROBLEM, Report

NOW = datetime(2026, 12, 7, 12, 0, 30, tzinfo=UTC)
END = NOW.replace(second=0)
QUERY = 'SELECT COUNT(SampleDelay) FROM SCHEMA("HighResMetrics", Collector) GROUP BY AWS.AccountId'
SAMPLING, STOPPED = "111122223333", "444455556666"


def series(account: str, minutes_ago: range, per_minute: float = 72.0) -> dict[str, Any]:
    """One account's counts per minute, newest first, as GetMetricData orders them by default."""
    stamps = [END - timedelta(minutes=m) for m in minutes_ago]
    return {
        "Id": "samples",
        "Label": account,
        "Timestamps": stamps,
        "Values": [per_minute] * len(stamps),
        "StatusCode": "Complete",
    }


def stubbed(*pages: list[dict[str, Any]]) -> tuple[MonitoringClients, Stubber]:
    cloudwatch = boto3.client("cloudwatch", region_name="eu-west-1")
    stubber = Stubber(cloudwatch)
    request = {
        "MetricDataQueries": [{"Id": "samples", "Expression": QUERY, "Period": 60, "ReturnData": True}],
        "StartTime": END - timedelta(hours=3),
        "EndTime": END,
    }
    for number, results in enumerate(pages):
        token = {"NextToken": f"t{number + 1}"} if number + 1 < len(pages) else {}
        asked = {**request, "NextToken": f"t{number}"} if number else request
        stubber.add_response("get_metric_data", {"MetricDataResults": results, **token}, asked)
    return MonitoringClients(cloudwatch, "eu-west-1"), stubber


def diagnose(clients: MonitoringClients, stubber: Stubber, minutes: int = 5) -> Report:
    with stubber:
        report = diagnose_monitoring(clients, "HighResMetrics", minutes=minutes, now=NOW)
        stubber.assert_no_pending_responses()
    return report


def test_monitoring_doctor_names_the_account_whose_samples_stopped() -> None:
    # The sampling account's series comes in two pages (GetMetricData pages long answers).
    clients, stubber = stubbed(
        [series(SAMPLING, range(1, 6)), series(STOPPED, range(40, 180))],
        [series(SAMPLING, range(6, 180))],
    )
    report = diagnose(clients, stubber)
    assert [(f.status, f.message) for f in report.findings] == [
        (OK, f"{SAMPLING}: 360 samples in the last 5 min"),
        (
            PROBLEM,
            f"{STOPPED}: no sample in the last 5 min (the last at 11:20 UTC): its schedule, state machine or "
            "OAM link stopped (run the doctor there: tools/doctor.py --stack "
            "StackSet-HighResMetrics-<id>, the stack named in its StackSet instance)",
        ),
    ]


def test_monitoring_doctor_no_account_at_all_is_a_problem() -> None:
    clients, stubber = stubbed([])
    (finding,) = diagnose(clients, stubber).findings
    assert finding.status == PROBLEM
    assert finding.message.startswith("no account's SampleDelay in HighResMetrics reached this account")


def test_monitoring_doctor_cli_exit_status(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clients, stubber = stubbed([series(SAMPLING, range(1, 180))])

    def at_fixed_time(clients: MonitoringClients, namespace: str, *, minutes: int, now: datetime) -> Report:
        return diagnose_monitoring(clients, namespace, minutes=minutes, now=NOW)

    monkeypatch.setattr(cli, "diagnose_monitoring", at_fixed_time)
    with stubber:
        assert (
            cli.main(["--monitoring", "--namespace", "HighResMetrics", "--minutes", "10"], clients=clients)
            == 0
        )
    out = capsys.readouterr().out
    assert f"ok      samples: {SAMPLING}: 720 samples in the last 10 min\n" in out
    assert out.endswith("all checks passed\n")
