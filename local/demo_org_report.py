"""What `make demo DEMO_ARGS="--organization N"` shows: the organization's accounts, then the
monitoring account's view of every member (per account and cluster: samples and counts; per
account: the EC2/EBS states and the samples each collector wrote), which organization alarms would
fire, the member accounts' own alarms that would page the central topic, and the snapshot
notifications their rules published there."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from collector_core import catalogue as cat
from collector_core.insights import ACCOUNT_LABEL
from local.demo_organization import MEMBER_OU, OAM_STAND_IN, OrganizationResult
from local.demo_report import sparkline, verdict_text

CLUSTER_METRICS = {cat.RUNNING_TASK.name, cat.PENDING_TASK.name}


def cluster_rows(result: OrganizationResult) -> list[tuple[str, str, int, dict[str, list[float]]]]:
    """(account, cluster, samples, metric -> values) from the monitoring account's copy, in account
    then cluster order; samples are the seconds with a RunningTask point."""
    clusters: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(dict)
    for (name, dims), points in result.series.items():
        labels = dict(dims)
        if name in CLUSTER_METRICS and set(labels) == {ACCOUNT_LABEL, cat.CLUSTER_NAME}:
            clusters[labels[ACCOUNT_LABEL], labels[cat.CLUSTER_NAME]][name] = [v for _, v in points]
    return [
        (account, cluster, len(values.get(cat.RUNNING_TASK.name, [])), values)
        for (account, cluster), values in sorted(clusters.items())
    ]


def samples_by_account(result: OrganizationResult) -> dict[str, list[str]]:
    """`collector n/expected` per account: the seconds that got a sample (SampleDelay points), and
    how many of them wrote no counts (an API call failed: CollectorErrors; started too late:
    SamplesDropped), so a cluster row with fewer samples than its collector's is explained."""
    seconds = (result.end - result.start).total_seconds()
    landed: dict[str, list[str]] = defaultdict(list)
    for (name, dims), points in sorted(result.series.items()):
        labels = dict(dims)
        if name == cat.SAMPLE_DELAY.name and ACCOUNT_LABEL in labels:
            collector = labels.get("Collector", "?")
            expected = int(seconds / result.sample_periods.get(collector, 1))
            shortfall = [
                f"{count} {what}"
                for metric, what in (
                    (cat.COLLECTOR_ERRORS, "with an API error"),
                    (cat.SAMPLES_DROPPED, "dropped late"),
                )
                if (count := _seconds_above_zero(result, metric.name, labels))
            ]
            extra = f" ({', '.join(shortfall)})" if shortfall else ""
            landed[labels[ACCOUNT_LABEL]].append(f"{collector} {len(points)}/{expected}{extra}")
    return landed


def _seconds_above_zero(result: OrganizationResult, metric: str, labels: dict[str, str]) -> int:
    key = (metric, tuple(sorted(labels.items())))
    return sum(1 for _, value in result.series.get(key, []) if value > 0)


def instance_states(result: OrganizationResult) -> dict[str, str]:
    """Per account, the last EC2 instance counts by state (`running 5, stopped 1`)."""
    states: dict[str, list[str]] = defaultdict(list)
    for (name, dims), points in sorted(result.series.items()):
        labels = dict(dims)
        if name == cat.INSTANCE_COUNT.name and points and ACCOUNT_LABEL in labels and points[-1][1]:
            states[labels[ACCOUNT_LABEL]].append(f"{labels.get(cat.STATE, '?')} {points[-1][1]:g}")
    return {account: ", ".join(parts) for account, parts in states.items()}


def report_organization(result: OrganizationResult, console: Any) -> None:
    from rich.table import Table

    org = result.organization
    console.print(
        f"organization {org.organization_id}: OU {org.unit_id} ({MEMBER_OU}) holds "
        f"{len(org.members)} member accounts; monitoring account {org.monitoring_account}"
    )
    console.print(OAM_STAND_IN + f" ({result.copied} data points copied).")
    skipped = "; ".join(f"{kind}: {why}" for kind, why in result.skipped.items())
    console.print(f"not deployed from the monitoring template: {skipped}")
    table = Table(
        title=f"The monitoring account's view ({org.monitoring_account}): every member's clusters, "
        f"one-second metrics of {result.namespace}"
    )
    for column in ("account", "cluster", "samples", "RunningTask min/max/last", "PendingTask max"):
        table.add_column(column, justify="left" if column in ("account", "cluster") else "right")
    table.add_column("RunningTask per second", no_wrap=True, min_width=60)
    for account, cluster, samples, values in cluster_rows(result):
        running, pending = values.get(cat.RUNNING_TASK.name, []), values.get(cat.PENDING_TASK.name, [])
        table.add_row(
            account,
            cluster,
            str(samples),
            f"{min(running):g}/{max(running):g}/{running[-1]:g}" if running else "-",
            f"{max(pending):g}" if pending else "-",
            sparkline(running),
        )
    console.print(table)
    states, landed = instance_states(result), samples_by_account(result)
    for account in org.members:
        count, failed = result.invocations.get(account, (0, 0))
        console.print(
            f"{account}: executions {', '.join(result.statuses.get(account, [])) or 'none'}; "
            f"{count} collector invocations ({failed} failed); samples written: "
            f"{', '.join(landed.get(account, [])) or 'none'}; EC2 instances: {states.get(account, '-')}"
        )
    alarms = Table(
        title="The monitoring stack's organization alarms (Metrics Insights, every account), "
        "evaluated M-out-of-N on the monitoring account's copy"
    )
    for column in ("alarm", "query", "period x N (M)", "verdict"):
        alarms.add_column(column)
    for verdict in sorted(result.verdicts, key=lambda v: (not v.would_alarm, v.alarm.name)):
        alarm = verdict.alarm
        firing = sum(1 for v in verdict.contributors.values() if v.would_alarm)
        text = verdict_text(verdict) + f"; {firing} of {len(verdict.contributors)} contributors in ALARM"
        alarms.add_row(
            alarm.alarm_id,
            alarm.query,
            f"{alarm.period} s x {alarm.evaluation_periods} ({alarm.datapoints_to_alarm})",
            text,
        )
    console.print(alarms)
    for verdict in sorted(result.verdicts, key=lambda v: v.alarm.alarm_id):
        for label, contributor in verdict.contributors.items():
            if contributor.first_alarm is not None:
                account, cluster = label.split(",")
                console.print(
                    f"{verdict.alarm.alarm_id}: ALARM for account {account}, cluster {cluster} "
                    f"at {contributor.first_alarm:%H:%M:%S} (would page the central topic)"
                )
    for account in org.members:
        paged = sorted(v.alarm.alarm_id for v in result.member_verdicts.get(account, []))
        console.print(
            f"{account}'s own alarms that would page the central topic: {', '.join(paged) or 'none'}"
        )
    for account in org.members:
        for message in result.notifications.get(account, []):
            console.print(f"{account}'s snapshot rule published to the central topic: {message}")
