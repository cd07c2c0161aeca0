"""The doctor's alarm checks: each alarm against the deployed template's definition, the alarms in
ALARM, and the topic their actions notify (it exists, someone confirmed a subscription).

A field the template leaves out is compared against its CloudFormation default
(AWS::CloudWatch::Alarm: ActionsEnabled true, TreatMissingData "missing", DatapointsToAlarm equal
to EvaluationPeriods, no actions, no dimensions), so `aws cloudwatch disable-alarm-actions` on an
alarm CDK wrote without ActionsEnabled is drift like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ops.doctor.clients import Clients
from ops.doctor.report import INFO, OK, PROBLEM, Finding, listed
from ops.doctor.stack import DeployedStack, pages

# CloudWatch's DescribeAlarms takes at most 100 names per call.
ALARM_NAMES_PER_CALL = 100
ACTION_FIELDS = ("AlarmActions", "OKActions", "InsufficientDataActions")
# The compared fields of an alarm, as DescribeAlarms names them (and the template does).
_FIELDS = (
    "Namespace",
    "MetricName",
    "Statistic",
    "ExtendedStatistic",
    "Period",
    "Unit",
    "Dimensions",
    "Metrics",
    "ComparisonOperator",
    "Threshold",
    "ThresholdMetricId",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "ActionsEnabled",
    *ACTION_FIELDS,
)
# What CloudFormation (and CloudWatch) use for a field left out; DatapointsToAlarm's default is
# the alarm's EvaluationPeriods (an N out of N alarm). AWS::CloudWatch::Alarm reference.
_DEFAULTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "ActionsEnabled": lambda _: True,
    "TreatMissingData": lambda _: "missing",
    "DatapointsToAlarm": lambda alarm: alarm.get("EvaluationPeriods"),
    "Dimensions": lambda _: [],
    "Metrics": lambda _: [],
    **{key: (lambda _: []) for key in ACTION_FIELDS},
}
_TOPIC_GONE = "NotFound"


@dataclass(frozen=True)
class Topics:
    """The SNS topics the alarms notify: their subscriptions, those that no longer exist, and those
    of another account (a StackSet member's alarms page the monitoring account's topic), which this
    account's credentials cannot read."""

    subscriptions: dict[str, list[dict[str, Any]]]
    missing: set[str]
    elsewhere: set[str] = field(default_factory=set)


def expected_alarms(stack: DeployedStack) -> dict[str, dict[str, Any]]:
    """Alarm name -> the definition the template gives it, resolved against this stack."""
    alarms = {}
    for props in stack.of_type("AWS::CloudWatch::Alarm").values():
        resolved = stack.resolve(props)
        alarms[str(resolved["AlarmName"])] = resolved
    return alarms


def read_topics(clients: Clients, stack: DeployedStack) -> Topics:
    """Every topic an alarm action names: a deleted one (NotFound) is recorded, not raised."""
    arns = sorted(
        {
            arn
            for alarm in expected_alarms(stack).values()
            for key in ACTION_FIELDS
            for arn in alarm.get(key) or []
            if isinstance(arn, str) and ":sns:" in arn
        }
    )
    subscriptions, missing, elsewhere = {}, set(), set()
    for arn in arns:
        if arn.split(":")[4] != stack.account:
            elsewhere.add(arn)
            continue
        try:
            subscriptions[arn] = pages(
                clients.sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != _TOPIC_GONE:
                raise
            missing.add(arn)
    return Topics(subscriptions, missing, elsewhere)


def check_alarm_definitions(clients: Clients, stack: DeployedStack, topics: Topics) -> list[Finding]:
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
            if (key not in should or _comparable(should[key]))
            and (want := _normal(key, should)) != (have := _normal(key, actual))
        ]
        gone = sorted({arn for key in ACTION_FIELDS for arn in actual.get(key) or []} & topics.missing)
        if gone:
            differences.append(
                f"its actions lead nowhere: topic {listed(map(_topic_name, gone))} does not exist"
            )
        if differences:
            findings.append(Finding("alarm", PROBLEM, f"{short}: " + "; ".join(differences)))
        else:
            findings.append(Finding("alarm", OK, f"{short}: definition matches"))
    return findings


def check_alarms_in_alarm(clients: Clients, stack: DeployedStack) -> list[Finding]:
    listed_alarms = pages(
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
    firing = [a for a in listed_alarms if a.get("StateValue") == "ALARM" and a["AlarmName"] in own]
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


def check_subscriptions(topics: Topics) -> list[Finding]:
    findings = [
        Finding(
            "subscriptions",
            INFO,
            f"the alarms page topic {_topic_name(arn)} of account {arn.split(':')[4]}: its "
            "subscriptions are checked with that account's credentials",
        )
        for arn in sorted(topics.elsewhere)
    ]
    for arn in sorted(topics.missing):
        findings.append(
            Finding(
                "subscriptions",
                PROBLEM,
                f"topic {_topic_name(arn)} does not exist (deleted?): the alarms that notify it page "
                "nobody; deploy the stack again to recreate it",
            )
        )
    for _arn, subscriptions in sorted(topics.subscriptions.items()):
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


def _topic_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def _describe_alarms(clients: Clients, names: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for first in range(0, len(names), ALARM_NAMES_PER_CALL):
        batch = names[first : first + ALARM_NAMES_PER_CALL]
        for alarm in pages(clients.cloudwatch, "describe_alarms", "MetricAlarms", AlarmNames=batch):
            found[alarm["AlarmName"]] = alarm
    return found


def _comparable(value: Any) -> bool:
    """A template value that resolved (no Fn::GetAtt left in it: `resolve` made that None) and so
    can be compared. A field the template leaves out is compared against its default instead."""
    if value is None:
        return False
    if isinstance(value, list):
        return all(_comparable(v) for v in value)
    if isinstance(value, dict):
        return all(_comparable(v) for v in value.values())
    return True


def _normal(key: str, alarm: dict[str, Any]) -> Any:
    """One field of an alarm as the doctor compares and prints it: template and DescribeAlarms
    spell the same value differently (numbers as text, defaults left out)."""
    value = alarm.get(key)
    if value is None and key in _DEFAULTS:
        value = _DEFAULTS[key](alarm)
    if value is None:
        return None
    if key == "Threshold":
        return float(value)
    if key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
        return int(value)
    if key == "ActionsEnabled":
        return value in (True, "true", "True")
    if key == "Dimensions":
        return sorted(f"{d['Name']}={d['Value']}" for d in value)
    if key in ACTION_FIELDS:
        return sorted(value)
    if key == "Metrics":
        return sorted(
            f"{m.get('Expression', '')} (period {int(m.get('Period', 0) or 0)} s"
            + ("" if m.get("ReturnData", True) in (True, "true") else ", not returned")
            + ")"
            for m in value
        )
    return value


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return listed(value)
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return "none" if value is None else str(value)
