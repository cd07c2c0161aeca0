"""The doctor's checks on a deployed stack, each giving findings: ok, problem, or info.

What the stack should be comes from its deployed template (CloudFormation GetTemplate), not from
the catalogue and this checkout's config: the template holds the thresholds, cluster names, rules
and namespace the stack was really synthesized with (the account does not record the config file
or `-c` values the deployer used), and it was built from the catalogue at synth. So a difference is
drift (an alarm edited in the console, a rule deleted, a failed update), never a newer checkout.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from collector_core import catalogue as cat
from collector_core import env_names
from ops.doctor.alarms import (
    Topics,
    check_alarm_definitions,
    check_alarms_in_alarm,
    check_subscriptions,
    expected_alarms,
    read_topics,
)
from ops.doctor.clients import Clients
from ops.doctor.report import INFO, OK, PROBLEM, Finding, Report, listed
from ops.doctor.stack import DeployedStack, DoctorError, call, pages, read_stack

# Statuses of a stack whose last operation went as asked (CloudFormation stack status reference).
_SETTLED = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE")
_STATUS_MEANING = {
    "UPDATE_ROLLBACK_COMPLETE": "the last update failed and was rolled back, so the stack runs the "
    "template before it",
    "ROLLBACK_COMPLETE": "the stack could not be created and was rolled back: delete it and deploy again",
}
_RULE_GONE = "ResourceNotFoundException"
_COLLECTORS = {c.value: c for c in cat.Collector}


def diagnose(clients: Clients, stack_name: str, *, minutes: int = 5, now: datetime | None = None) -> Report:
    """Every check, in the order a person would look; raises DoctorError when it cannot start.

    A check whose AWS call fails for another reason than a missing permission (which stops the
    run: the policy is wrong) is reported as a problem, and the other checks still run.
    """
    stack = read_stack(clients.cloudformation, stack_name, clients.region)
    report = Report(stack_name, clients.region)
    end = _minute_floor(now or datetime.now(UTC))
    start = end - timedelta(minutes=minutes)
    try:
        topics = read_topics(clients, stack)
    except ClientError as error:
        topics = Topics({}, set())
        report.findings.append(_could_not("subscriptions", error))
    checks: Sequence[tuple[str, Callable[[], list[Finding]]]] = (
        ("stack", lambda: check_stack(stack)),
        ("rules", lambda: check_rules(clients, stack)),
        ("executions", lambda: check_executions(clients, stack, start, end)),
        ("samples", lambda: check_samples(clients, stack, start, end)),
        ("alarm", lambda: check_alarm_definitions(clients, stack, topics)),
        ("alarm state", lambda: check_alarms_in_alarm(clients, stack)),
        ("subscriptions", lambda: check_subscriptions(topics)),
        ("clusters", lambda: check_cluster_coverage(clients, stack)),
    )
    for name, check in checks:
        try:
            report.findings += check()
        except ClientError as error:
            report.findings.append(_could_not(name, error))
    return report


def _could_not(check: str, error: ClientError) -> Finding:
    details = error.response.get("Error", {})
    text = f"{error.operation_name}: {details.get('Code', '')}: {details.get('Message', '')}"
    return Finding(check, PROBLEM, f"could not check ({text})")


def check_stack(stack: DeployedStack) -> list[Finding]:
    """The stack's own status, and its drift status as CloudFormation last detected it."""
    status = stack.status
    if status in _SETTLED:
        findings = [Finding("stack", OK, f"{stack.name} is {status}")]
    elif status.endswith("_IN_PROGRESS"):
        findings = [Finding("stack", INFO, f"{stack.name} is {status}: run the doctor again when it ends")]
    else:
        meaning = _STATUS_MEANING.get(status, "its last operation failed")
        findings = [Finding("stack", PROBLEM, f"{stack.name} is {status}: {meaning} (see its events)")]
    checked = f" (detected {stack.drift_checked:%Y-%m-%d %H:%M} UTC)" if stack.drift_checked else ""
    if stack.drift == "DRIFTED":
        findings.append(
            Finding(
                "stack",
                PROBLEM,
                f"drifted{checked}: resources were changed outside CloudFormation "
                f"(aws cloudformation describe-stack-resource-drifts --stack-name {stack.name})",
            )
        )
    elif stack.drift == "IN_SYNC":
        findings.append(Finding("stack", OK, f"no drift{checked}"))
    else:
        findings.append(
            Finding(
                "stack",
                INFO,
                f"drift {stack.drift.lower().replace('_', ' ')}: "
                f"aws cloudformation detect-stack-drift --stack-name {stack.name} checks it",
            )
        )
    return findings


def check_rules(clients: Clients, stack: DeployedStack) -> list[Finding]:
    """Every EventBridge rule of the template, one by one: schedules first, then event rules."""
    rules = stack.of_type("AWS::Events::Rule")
    ordered = sorted(rules.items(), key=lambda item: ("ScheduleExpression" not in item[1], item[0]))
    findings = []
    if not any("ScheduleExpression" in props for props in rules.values()):
        findings.append(Finding("schedule", PROBLEM, "the stack has no schedule rule"))
    for lid, props in ordered:
        name = stack.physical.get(lid, lid)
        check = "schedule" if "ScheduleExpression" in props else "event rule"
        without = _without_rule(stack, props)
        try:
            state = call(clients.events, "describe_rule", Name=name).get("State", "")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != _RULE_GONE:
                raise
            findings.append(
                Finding(check, PROBLEM, f"rule {name}: missing ({without}); deploy the stack again")
            )
            continue
        wanted = str(props.get("State", "ENABLED"))
        if state == "ENABLED":
            findings.append(Finding(check, OK, f"rule {name} is enabled"))
        elif state == wanted:
            findings.append(Finding(check, INFO, f"rule {name} is {state} as deployed: {without}"))
        else:
            findings.append(Finding(check, PROBLEM, f"rule {name} is {state}: {without}"))
    return findings


def _without_rule(stack: DeployedStack, props: dict[str, Any]) -> str:
    """What stops when this rule does not fire, from what it targets."""
    targets = [t.get("Arn") for t in props.get("Targets") or []]
    kinds = {stack.types.get(str(t.get("Ref", ""))) for t in targets if isinstance(t, dict)}
    if "AWS::StepFunctions::StateMachine" in kinds:
        return "no sample is taken"
    return f"nothing it starts runs: {props.get('Description') or 'its targets get no event'}"


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
        [(namespace, cat.SAMPLE_DELAY.name, {cat.COLLECTOR: c}, "SampleCount") for c in collectors],
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


def check_cluster_coverage(clients: Clients, stack: DeployedStack) -> list[Finding]:
    """The account's clusters that no per-cluster alarm names, with the config change that fixes
    it: one `parse_config` accepts (alarmClusters must be among listed clusters)."""
    alarms = expected_alarms(stack).values()
    named = {
        d["Value"] for a in alarms for d in a.get("Dimensions") or [] if d.get("Name") == cat.CLUSTER_NAME
    }
    fleet = any(
        f"GROUP BY {cat.CLUSTER_NAME}" in str(m.get("Expression", ""))
        for a in alarms
        for m in a.get("Metrics") or []
    )
    arns = pages(clients.ecs, "list_clusters", "clusterArns")
    uncovered = sorted({_cluster_name(arn) for arn in arns} - named)
    if not uncovered:
        return [Finding("clusters", OK, f"every cluster ({len(arns)}) has per-cluster alarms")]
    sampled = _sampled_clusters(stack)
    if sampled is not None:
        # Listed clusters: alarmClusters may only name listed ones, so a new cluster is added there.
        findings = []
        unsampled = [c for c in uncovered if c not in sampled]
        if unsampled:
            where = "clusters" if named == sampled else "clusters and alarmClusters"
            findings.append(
                Finding(
                    "clusters",
                    PROBLEM,
                    f"{listed(unsampled)} not sampled and no alarm covers {_them(unsampled)} "
                    f'(add {_them(unsampled)} to {where}, or use "*")',
                )
            )
        unalarmed = [c for c in uncovered if c in sampled]
        if unalarmed:
            findings.append(
                Finding(
                    "clusters",
                    PROBLEM,
                    f"no alarm covers {listed(unalarmed)} (name {_them(unalarmed)} in alarmClusters)",
                )
            )
        return findings
    if fleet:
        return [
            Finding(
                "clusters",
                INFO,
                f"no per-cluster alarm for {listed(uncovered)}: the fleet alarms cover them, in one-minute "
                "periods",
            )
        ]
    if stack.of_type("AWS::Oam::Link"):
        # A StackSet member has no fleet alarm: the monitoring account's query alarms are its.
        return [
            Finding(
                "clusters",
                INFO,
                f"no per-cluster alarm for {listed(uncovered)}: the monitoring account's organization "
                "alarms cover them, in one-minute periods (check there: tools/doctor.py --monitoring)",
            )
        ]
    return [Finding("clusters", PROBLEM, f"no alarm covers {listed(uncovered)} (name them in alarmClusters)")]


def _them(names: list[str]) -> str:
    return "it" if len(names) == 1 else "them"


def _cluster_name(cluster: str) -> str:
    return cluster.rsplit("/", 1)[-1]


def _sampled_clusters(stack: DeployedStack) -> set[str] | None:
    """The clusters the ECS collector samples, as its environment lists them; None for every one."""
    for props in stack.of_type("AWS::Lambda::Function").values():
        variables = props.get("Environment", {}).get("Variables", {})
        if _handler_collector(props) is cat.Collector.ECS_COUNTS and env_names.ECS_CLUSTERS in variables:
            value = str(variables[env_names.ECS_CLUSTERS])
            return None if value == "*" else {_cluster_name(c) for c in value.split(",") if c}
    return None


def _handler_collector(props: dict[str, Any]) -> cat.Collector | None:
    return _COLLECTORS.get(str(props.get("Handler", "")).split(".")[0])


def _collectors(stack: DeployedStack) -> tuple[str, dict[str, int]]:
    namespaces, periods = set(), {}
    for props in stack.of_type("AWS::Lambda::Function").values():
        variables = props.get("Environment", {}).get("Variables", {})
        collector = _handler_collector(props)
        if collector is not None and env_names.SAMPLE_PERIOD_SECONDS in variables:
            periods[collector.value] = int(variables[env_names.SAMPLE_PERIOD_SECONDS])
            namespaces.add(str(variables.get(env_names.METRICS_NAMESPACE, "")))
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


def _minute_floor(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0) if not math.isnan(when.timestamp()) else when
