"""The doctor's checks on a deployed stack, each giving findings: ok, problem, or info.

What an alarm should be comes from the deployed template (CloudFormation GetTemplate), not from
the catalogue and this checkout's config: the template holds the thresholds, cluster names and
namespace the stack was really synthesized with (the account does not record the config file or
`-c` values the deployer used), and it was built from the catalogue at synth. So a difference is
drift (an alarm edited in the console, deleted, or a failed update), never a newer checkout.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ops.doctor.clients import Clients
from ops.doctor.stack import DeployedStack, DoctorError, call, pages, read_stack

OK, PROBLEM, INFO = "ok", "problem", "info"
SHOULD_BE_FROM = (
    "the deployed template (CloudFormation GetTemplate): it holds the thresholds, clusters and "
    "namespace the stack was synthesized with, which the account does not otherwise record"
)
# CloudWatch's DescribeAlarms takes at most 100 names per call.
ALARM_NAMES_PER_CALL = 100
# The compared fields of an alarm, as DescribeAlarms names them (and the template does).
_FIELDS = (
    "Namespace",
    "MetricName",
    "Statistic",
    "Period",
    "Dimensions",
    "Metrics",
    "ComparisonOperator",
    "Threshold",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "TreatMissingData",
    "AlarmActions",
    "OKActions",
)
_SAMPLE_PERIOD = "SAMPLE_PERIOD_SECONDS"
_COLLECTOR_OF_HANDLER = {"ecs_counts": "ecs_counts", "ec2_ebs_state": "ec2_ebs_state"}


@dataclass(frozen=True)
class Finding:
    check: str
    status: str
    message: str


@dataclass
class Report:
    stack: str
    region: str
    should_be_from: str = SHOULD_BE_FROM
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.status != PROBLEM for f in self.findings)

    def as_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "region": self.region,
            "ok": self.ok,
            "should_be_from": self.should_be_from,
            "findings": [asdict(f) for f in self.findings],
        }


def diagnose(clients: Clients, stack_name: str, *, minutes: int = 5, now: datetime | None = None) -> Report:
    """Every check, in the order a person would look; raises DoctorError when it cannot start."""
    stack = read_stack(clients.cloudformation, stack_name, clients.region)
    report = Report(stack_name, clients.region)
    end = _minute_floor(now or datetime.now(UTC))
    start = end - timedelta(minutes=minutes)
    checks: Sequence[Callable[[], list[Finding]]] = (
        lambda: check_schedule(clients, stack),
        lambda: check_executions(clients, stack, start, end),
        lambda: check_samples(clients, stack, start, end),
        lambda: check_alarm_definitions(clients, stack),
        lambda: check_alarms_in_alarm(clients, stack),
        lambda: check_subscriptions(clients, stack),
        lambda: check_cluster_coverage(clients, stack),
    )
    for check in checks:
        report.findings += check()
    return report


def check_schedule(clients: Clients, stack: DeployedStack) -> list[Finding]:
    rules = [lid for lid, p in stack.of_type("AWS::Events::Rule").items() if "ScheduleExpression" in p]
    findings = []
    for lid in rules:
        name = stack.physical.get(lid, "")
        state = call(clients.events, "describe_rule", Name=name).get("State", "")
        if state == "ENABLED":
            findings.append(Finding("schedule", OK, f"rule {name} is enabled"))
        else:
            findings.append(Finding("schedule", PROBLEM, f"rule {name} is {state}: no sample is taken"))
    return findings or [Finding("schedule", PROBLEM, "the stack has no schedule rule")]


def check_executions(clients: Clients, stack: DeployedStack, start: datetime, end: datetime) -> list[Finding]:
    """Express executions cannot be listed: count them from the AWS/States metrics instead."""
    (machine,) = stack.of_type("AWS::StepFunctions::StateMachine") or {"": {}}
    arn = stack.physical.get(machine, "")
    names = ("ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut")
    sums = _sums(
        clients,
        [("AWS/States", name, {"StateMachineArn": arn}, "Sum") for name in names],
        start,
        end,
    )
    succeeded, failed, timed_out = sums
    window = f"in the last {int((end - start).total_seconds() // 60)} min"
    if failed or timed_out:
        return [
            Finding(
                "executions",
                PROBLEM,
                f"{failed:g} executions failed and {timed_out:g} timed out {window} "
                f"({succeeded:g} succeeded): read the state machine's log group",
            )
        ]
    if not succeeded:
        return [Finding("executions", PROBLEM, f"no execution succeeded {window}")]
    return [Finding("executions", OK, f"{succeeded:g} executions succeeded {window}, none failed")]


def check_samples(clients: Clients, stack: DeployedStack, start: datetime, end: datetime) -> list[Finding]:
    """Samples seen per collector (SampleCount of the pipeline's own SampleDelay) vs expected."""
    namespace, periods = _collectors(stack)
    minutes = (end - start).total_seconds() / 60
    collectors = sorted(periods)
    counts = _sums(
        clients,
        [(namespace, "SampleDelay", {"Collector": c}, "SampleCount") for c in collectors],
        start,
        end,
    )
    findings = []
    for collector, seen in zip(collectors, counts, strict=True):
        expected = int(minutes * 60 / periods[collector])
        text = f"{collector}: {seen:g} of {expected} samples in the last {minutes:g} min"
        # Below nine in ten is more than an odd late or dropped sample.
        findings.append(Finding("samples", OK if seen >= 0.9 * expected else PROBLEM, text))
    return findings


def expected_alarms(stack: DeployedStack) -> dict[str, dict[str, Any]]:
    """Alarm name -> the definition the template gives it, resolved against this stack."""
    alarms = {}
    for props in stack.of_type("AWS::CloudWatch::Alarm").values():
        resolved = stack.resolve(props)
        alarms[str(resolved["AlarmName"])] = resolved
    return alarms


def check_alarm_definitions(clients: Clients, stack: DeployedStack) -> list[Finding]:
    expected = expected_alarms(stack)
    deployed = _describe_alarms(clients, list(expected))
    findings = []
    for name, should in sorted(expected.items()):
        short = name.removeprefix(f"{stack.name}-")
        actual = deployed.get(name)
        if actual is None:
            findings.append(Finding("alarm", PROBLEM, f"{short}: missing"))
            continue
        differences = [
            f"{key} should be {_show(want)}, is {_show(have)}"
            for key in _FIELDS
            if _comparable(should.get(key))
            and (want := _normal(key, should.get(key))) != (have := _normal(key, actual.get(key)))
        ]
        if differences:
            findings.append(Finding("alarm", PROBLEM, f"{short}: " + "; ".join(differences)))
        else:
            findings.append(Finding("alarm", OK, f"{short}: definition matches"))
    return findings


def check_alarms_in_alarm(clients: Clients, stack: DeployedStack) -> list[Finding]:
    listed = pages(
        clients.cloudwatch,
        "describe_alarms",
        "MetricAlarms",
        AlarmNamePrefix=f"{stack.name}-",
        StateValue="ALARM",
        AlarmTypes=["MetricAlarm"],
    )
    # Filtered again here: moto applies only one of the two filters, and a stack name that is the
    # prefix of another stack's (HighResMetrics, HighResMetrics-123...) must not borrow its alarms.
    own = set(expected_alarms(stack))
    firing = [a for a in listed if a.get("StateValue") == "ALARM" and a["AlarmName"] in own]
    if not firing:
        return [Finding("alarm state", OK, "no alarm of the stack is in ALARM")]
    return [
        Finding(
            "alarm state",
            PROBLEM,
            f"{a['AlarmName'].removeprefix(stack.name + '-')} is in ALARM: {a.get('StateReason', '')}",
        )
        for a in firing
    ]


def check_subscriptions(clients: Clients, stack: DeployedStack) -> list[Finding]:
    findings = []
    for lid in stack.of_type("AWS::SNS::Topic"):
        topic = stack.physical.get(lid, "")
        subscriptions = pages(clients.sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic)
        # An unconfirmed subscription is listed with this ARN (ListSubscriptionsByTopic reference).
        pending = [s for s in subscriptions if s.get("SubscriptionArn") == "PendingConfirmation"]
        confirmed = [s for s in subscriptions if s not in pending]
        for s in pending:
            findings.append(
                Finding(
                    "subscriptions",
                    PROBLEM,
                    f"{s.get('Protocol')} {s.get('Endpoint')} is pending confirmation: it gets no alarm "
                    "until the link in the confirmation message is followed",
                )
            )
        if confirmed:
            endpoints = ", ".join(f"{s.get('Protocol')} {s.get('Endpoint')}" for s in confirmed)
            findings.append(Finding("subscriptions", OK, f"confirmed: {endpoints}"))
        else:
            findings.append(
                Finding("subscriptions", PROBLEM, "the alarm topic has no confirmed subscription")
            )
    return findings


def check_cluster_coverage(clients: Clients, stack: DeployedStack) -> list[Finding]:
    alarms = expected_alarms(stack).values()
    named = {d["Value"] for a in alarms for d in a.get("Dimensions") or [] if d.get("Name") == "ClusterName"}
    fleet = any(
        "GROUP BY ClusterName" in str(m.get("Expression", "")) for a in alarms for m in a.get("Metrics") or []
    )
    arns = pages(clients.ecs, "list_clusters", "clusterArns")
    uncovered = sorted({arn.rsplit("/", 1)[-1] for arn in arns} - named)
    if not uncovered:
        return [Finding("clusters", OK, f"every cluster ({len(arns)}) has per-cluster alarms")]
    listed = ", ".join(uncovered)
    if fleet:
        return [
            Finding(
                "clusters",
                INFO,
                f"no per-cluster alarm for {listed}: the fleet alarms cover them, in one-minute periods",
            )
        ]
    return [Finding("clusters", PROBLEM, f"no alarm covers {listed} (name them in alarmClusters)")]


def _collectors(stack: DeployedStack) -> tuple[str, dict[str, int]]:
    namespaces, periods = set(), {}
    for props in stack.of_type("AWS::Lambda::Function").values():
        variables = props.get("Environment", {}).get("Variables", {})
        collector = str(props.get("Handler", "")).split(".")[0]
        if collector in _COLLECTOR_OF_HANDLER and _SAMPLE_PERIOD in variables:
            periods[collector] = int(variables[_SAMPLE_PERIOD])
            namespaces.add(str(variables.get("METRICS_NAMESPACE", "")))
    if len(namespaces) != 1:
        raise DoctorError("the stack's template has no collector functions: is it a highres-metrics stack?")
    return namespaces.pop(), periods


def _sums(
    clients: Clients, metrics: list[tuple[str, str, dict[str, str], str]], start: datetime, end: datetime
) -> list[float]:
    """One GetMetricData call: the sum over [start, end) of each metric's statistic per minute."""
    queries = [
        {
            "Id": f"m{i}",
            "MetricStat": {
                "Metric": {
                    "Namespace": ns,
                    "MetricName": name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                },
                "Period": 60,
                "Stat": stat,
            },
            "ReturnData": True,
        }
        for i, (ns, name, dims, stat) in enumerate(metrics)
    ]
    totals = [0.0] * len(metrics)
    for result in pages(
        clients.cloudwatch,
        "get_metric_data",
        "MetricDataResults",
        MetricDataQueries=queries,
        StartTime=start,
        EndTime=end,
    ):
        totals[int(result["Id"][1:])] += sum(result.get("Values", []))
    return totals


def _describe_alarms(clients: Clients, names: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for first in range(0, len(names), ALARM_NAMES_PER_CALL):
        batch = names[first : first + ALARM_NAMES_PER_CALL]
        for alarm in pages(clients.cloudwatch, "describe_alarms", "MetricAlarms", AlarmNames=batch):
            found[alarm["AlarmName"]] = alarm
    return found


def _comparable(value: Any) -> bool:
    """A template value that resolved (no Fn::GetAtt left in it) and so can be compared."""
    if value is None:
        return False
    if isinstance(value, list):
        return all(_comparable(v) for v in value)
    if isinstance(value, dict):
        return all(_comparable(v) for v in value.values())
    return True


def _normal(key: str, value: Any) -> Any:
    """Template and DescribeAlarms spell the same value differently (numbers as text, defaults)."""
    if key in ("Threshold",):
        return None if value is None else float(value)
    if key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
        return None if value is None else int(value)
    if key == "Dimensions":
        return sorted((d["Name"], str(d["Value"])) for d in value or [])
    if key in ("AlarmActions", "OKActions"):
        return sorted(value or [])
    if key == "Metrics":
        return (
            sorted(
                (str(m.get("Expression", "")), int(m.get("Period", 0) or 0), bool(m.get("ReturnData", True)))
                for m in value or []
            )
            or None
        )
    return value or None


def _show(value: Any) -> str:
    if isinstance(value, list) and value and isinstance(value[0], tuple) and len(value[0]) == 2:
        return ",".join(f"{k}={v}" for k, v in value) or "none"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return "none" if value in (None, []) else str(value)


def _minute_floor(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0) if not math.isnan(when.timestamp()) else when
