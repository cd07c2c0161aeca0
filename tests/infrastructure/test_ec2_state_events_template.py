"""The events mode's resources in the template: the table and its policies, the rules, the two
functions' grants, the collector's switch to the table, the reconcile alarm; none in poll mode."""

from __future__ import annotations

import json
from typing import Any

import pytest

from collector_core import env_names
from tests.support.stacks import SynthResult, synth

EVENTS: dict[str, Any] = {"ec2StateSource": "events", "reconcileMinutes": 15}


@pytest.fixture(scope="module")
def events() -> SynthResult:
    return synth(**EVENTS)


def _one(result: SynthResult, resource_type: str) -> tuple[str, dict[str, Any]]:
    (item,) = result.synthesized.resources(resource_type).items()
    return item


def _raw(result: SynthResult, logical_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = result.template["Resources"][logical_id]
    return resource


def _statements_of(result: SynthResult, role_fragment: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for props in result.synthesized.resources("AWS::IAM::Policy").values():
        if any(role_fragment in ref["Ref"] for ref in props["Roles"]):
            statements += props["PolicyDocument"]["Statement"]
    return statements


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for s in statements:
        found |= set(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    return found


def test_events_mode_table_is_on_demand_deleted_with_the_stack_and_expires_tombstones(
    events: SynthResult,
) -> None:
    table_id, props = _one(events, "AWS::DynamoDB::Table")
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert "TableName" not in props, "no physical name: a replacement never collides"
    assert "PointInTimeRecoverySpecification" not in props
    assert _raw(events, table_id)["DeletionPolicy"] == "Delete"
    assert _raw(events, table_id)["UpdateReplacePolicy"] == "Delete"


def test_events_mode_rules_route_state_events_and_schedule_the_reconcile(events: SynthResult) -> None:
    patterns = [p.get("EventPattern") for p in events.synthesized.resources("AWS::Events::Rule").values()]
    assert {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]} in patterns
    # only the results AWS documents: no successful attach/detach notification exists
    assert {
        "source": ["aws.ec2"],
        "detail-type": ["EBS Volume Notification"],
        "detail": {"event": ["createVolume", "deleteVolume"]},
    } in patterns
    # the attach/detach/create/delete calls themselves, only those that succeeded
    assert {
        "source": ["aws.ec2"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["ec2.amazonaws.com"],
            "eventName": ["AttachVolume", "CreateVolume", "DeleteVolume", "DetachVolume"],
            "errorCode": [{"exists": False}],
        },
    } in patterns
    schedules = {
        p.get("ScheduleExpression") for p in events.synthesized.resources("AWS::Events::Rule").values()
    }
    assert "rate(15 minutes)" in schedules


def test_events_mode_event_function_writes_only_in_transactions_on_its_table(events: SynthResult) -> None:
    statements = _statements_of(events, "EventFunctionRole")
    table_id, _ = _one(events, "AWS::DynamoDB::Table")
    dynamodb = [s for s in statements if any(a.startswith("dynamodb:") for a in _actions([s]))]
    assert _actions(dynamodb) == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
    for statement in dynamodb:
        assert statement["Resource"] == {"Fn::GetAtt": [table_id, "Arn"]}
        if "dynamodb:PutItem" in _actions([statement]):
            assert statement["Condition"] == {
                "StringEquals": {"dynamodb:EnclosingOperation": "TransactWriteItems"}
            }
    assert not any("*" in a for a in _actions(statements))


def test_events_mode_collector_reads_the_counters_only(events: SynthResult) -> None:
    collector = next(
        f for f in events.synthesized.functions.values() if f.handler == "ec2_ebs_state.handler.handler"
    )
    assert collector.environment[env_names.EC2_STATE_SOURCE] == "events"
    assert env_names.STATE_TABLE_NAME in collector.environment
    statements = _statements_of(events, "Ec2EbsStateRole")
    assert {a for a in _actions(statements) if a.startswith("dynamodb:")} == {
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
    }


def test_events_mode_adds_the_reconcile_alarm_and_poll_mode_adds_nothing(events: SynthResult) -> None:
    alarm = next(a for a in events.synthesized.alarms if a.name.endswith("Ec2StateReconcileRepairs"))
    assert (alarm.metric_name, alarm.period, alarm.threshold) == ("StateRepairs", 900, 10)
    errors = {a.alarm_id: a for a in events.synthesized.alarms if a.namespace == "AWS/Lambda"}
    assert errors["Ec2StateReconcileErrors"].period == 900
    assert errors["Ec2StateEventFunctionErrors"].period == 180
    poll = synth()
    assert not poll.synthesized.resources("AWS::DynamoDB::Table")
    assert not any("Ec2StateReconcileRepairs" in a.name for a in poll.synthesized.alarms)
    extra = set(events.template["Resources"]) - set(poll.template["Resources"])
    kinds = {events.template["Resources"][r]["Type"] for r in extra}
    assert kinds == {
        "AWS::DynamoDB::Table",
        "AWS::Events::Rule",
        "AWS::Lambda::Function",
        "AWS::Lambda::Permission",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::Logs::LogGroup",
        "AWS::CloudWatch::Alarm",
        "AWS::SQS::Queue",
        "AWS::SQS::QueuePolicy",
        "AWS::Lambda::EventInvokeConfig",
    }


def test_events_mode_rule_patterns_match_the_documented_events_they_are_for(events: SynthResult) -> None:
    """Each documented event is routed to the event function by exactly one rule, except those that
    change nothing (a failed attach notification, a refused API call): no rule invokes it for them."""
    from local.emulator import matches
    from tests.support.state_events import DOCUMENTED, documented_event

    patterns = [
        p["EventPattern"]
        for p in events.synthesized.resources("AWS::Events::Rule").values()
        if "EventPattern" in p and "EBS Snapshot Notification" not in p["EventPattern"]["detail-type"]
    ]
    for name, expected in DOCUMENTED.items():
        matched = [p for p in patterns if matches(p, documented_event(name))]
        assert len(matched) == (0 if expected is None else 1), name


def test_events_mode_failed_events_go_to_an_alarmed_queue(events: SynthResult) -> None:
    (_, queue) = _one(events, "AWS::SQS::Queue")
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 86_400
    (_, invoke) = _one(events, "AWS::Lambda::EventInvokeConfig")
    assert invoke["MaximumRetryAttempts"] == 2
    queue_id, _ = _one(events, "AWS::SQS::Queue")
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    alarm = next(a for a in events.synthesized.alarms if a.name.endswith("Ec2StateEventsFailed"))
    assert (alarm.namespace, alarm.metric_name, alarm.comparison, alarm.threshold) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "GreaterThanThreshold",
        0,
    )
    dimensions: dict[str, Any] = dict(alarm.dimensions)  # as the template holds them: tokens
    assert dimensions == {"QueueName": {"Fn::GetAtt": [queue_id, "QueueName"]}}


def test_events_mode_synth_says_how_fresh_each_volume_state_is(events: SynthResult) -> None:
    # CDK writes each stack's annotations to <stack>.metadata.json (what `cdk synth` prints)
    infos = [
        entry["data"]
        for path in events.assembly.glob("*.metadata.json")
        for entries in json.loads(path.read_text()).values()
        for entry in entries
        if entry["type"] == "aws:cdk:info"
    ]
    (note,) = [i for i in infos if "events mode" in i]
    assert "CloudTrail trail logs management events" in note
    assert "every 15 min" in note, "the configured reconcileMinutes"


def test_events_mode_dashboard_graphs_the_repairs(events: SynthResult) -> None:
    ((_, props),) = events.synthesized.resources("AWS::CloudWatch::Dashboard").items()
    assert "StateRepairs" in json.dumps(props["DashboardBody"])


def test_events_mode_cdk_nag_passes_with_reasons(events: SynthResult) -> None:
    (report,) = [r for r in events.validation_report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert report["conclusion"] == "success"
    assert report["violations"] == []
    for suppressed in report["suppressedViolations"]:
        assert len(suppressed["reason"]) > 40, suppressed["ruleName"]
