"""EBS snapshot notifications: the rule, its one-line message, and the policy path to the topic."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from local.demo_account import snapshot_failed_event
from local.emulator import EmbeddedAws, matches, transform
from stacks.deployment_config import ConfigError, parse_config
from tests.infrastructure.test_policy_paths import resolver_for
from tests.support.collectors import ACCOUNT, REGION
from tests.support.policy_evaluator import (
    ContextValue,
    Decision,
    Principal,
    Request,
    TemplateResolver,
    evaluate,
)
from tests.support.stacks import SynthResult, synth

EVENTS = Principal(service="events.amazonaws.com")


@pytest.fixture(scope="module")
def default() -> SynthResult:
    return synth()


def _snapshot_rule_id(resolver: TemplateResolver) -> str:
    (lid,) = [lid for lid, p in resolver.resources("AWS::Events::Rule").items() if "EventPattern" in p]
    return lid


def test_snapshot_rule_matches_failed_notifications_only_by_default(default: SynthResult) -> None:
    rule = default.synthesized.snapshot_rule
    assert rule is not None
    failed = snapshot_failed_event("vol-0123")
    succeeded = copy.deepcopy(failed)
    succeeded["detail"]["result"] = "succeeded"
    assert matches(rule["pattern"], failed)
    assert not matches(rule["pattern"], succeeded)
    assert not matches(rule["pattern"], {**failed, "detail-type": "EBS Volume Notification"})


def test_snapshot_rule_all_results_or_off() -> None:
    every = synth(snapshotNotifications="all").synthesized.snapshot_rule
    assert every is not None and "detail" not in every["pattern"]
    assert synth(snapshotNotifications="off").synthesized.snapshot_rule is None
    with pytest.raises(ConfigError, match=r"^snapshotNotifications: 'never' is not one of failed, all, off$"):
        parse_config({"snapshotNotifications": "never"})


def test_snapshot_rule_message_is_one_readable_line(default: SynthResult) -> None:
    rule = default.synthesized.snapshot_rule
    assert rule is not None
    message = transform(rule["input_template"], rule["input_paths"], snapshot_failed_event("vol-0abc"))
    assert message == (
        f"EBS createSnapshot failed: snapshot arn:aws:ec2::{REGION}:snapshot/snap-0demo0failed00001 "
        f"from arn:aws:ec2::{REGION}:volume/vol-0abc at 2026-12-01T12:00:50Z; cause: The KMS key is disabled"
    )
    assert "\n" not in message


def _publish(resolver: TemplateResolver, source_arn: str, **context: ContextValue) -> Decision:
    ((topic_id, _),) = resolver.resources("AWS::SNS::Topic").items()
    topic_arn = resolver.ref(topic_id)
    statements = resolver.topic_policy_statements(topic_arn)
    assert statements is not None
    sent: dict[str, ContextValue] = {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": source_arn,
        "aws:SecureTransport": True,
    }
    return evaluate(
        statements, Request("sns:Publish", topic_arn, EVENTS, sent | context), resource_policy=True
    )


def test_policy_paths_the_snapshot_rule_and_no_other_may_publish(default: SynthResult) -> None:
    resolver = resolver_for(default)
    rule_id = _snapshot_rule_id(resolver)
    rule_arn = resolver.get_att(rule_id, "Arn")
    (target,) = resolver.resources("AWS::Events::Rule")[rule_id]["Targets"]
    assert resolver.resolve(target["Arn"]).startswith(f"arn:aws:sns:{REGION}:{ACCOUNT}:")
    assert _publish(resolver, rule_arn) is Decision.ALLOW
    schedule = next(lid for lid in resolver.resources("AWS::Events::Rule") if lid != rule_id)
    refused = [
        resolver.get_att(schedule, "Arn"),
        f"arn:aws:events:{REGION}:{ACCOUNT}:rule/SomeoneElsesRule",
        rule_arn.replace(REGION, "eu-west-1"),
    ]
    for arn in refused:
        assert _publish(resolver, arn) is not Decision.ALLOW, arn
    assert _publish(resolver, rule_arn, **{"aws:SourceAccount": "210987654321"}) is not Decision.ALLOW
    assert _publish(resolver, rule_arn, **{"aws:SecureTransport": False}) is not Decision.ALLOW


def test_single_account_rule_publishes_to_its_own_topic_without_a_role(default: SynthResult) -> None:
    # only a StackSet member's rule crosses accounts and needs an execution role (and a named one)
    resolver = resolver_for(default)
    (target,) = resolver.resources("AWS::Events::Rule")[_snapshot_rule_id(resolver)]["Targets"]
    assert "RoleArn" not in target and set(target["Arn"]) == {"Ref"}
    assert not [r for r in resolver.resources("AWS::IAM::Role").values() if "RoleName" in r]
    assert _snapshot_rule_id(resolver).startswith("SnapshotNotificationsRule")


def test_policy_paths_eventbridge_may_use_the_topic_key(default: SynthResult) -> None:
    resolver = resolver_for(default)
    ((_, key),) = resolver.resources("AWS::KMS::Key").items()
    key_id = next(iter(resolver.resources("AWS::KMS::Key")))
    key_arn = resolver.get_att(key_id, "Arn")
    statements: list[Any] = resolver.resolve(key["KeyPolicy"])["Statement"]
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert evaluate(statements, Request(action, key_arn, EVENTS), resource_policy=True) is Decision.ALLOW


def test_policy_paths_without_the_rule_statement_the_notification_is_refused(default: SynthResult) -> None:
    broken = copy.deepcopy(default.template)
    (policy,) = [r for r in broken["Resources"].values() if r["Type"] == "AWS::SNS::TopicPolicy"]
    document = policy["Properties"]["PolicyDocument"]
    document["Statement"] = [
        s for s in document["Statement"] if s.get("Sid") != "AllowTheSnapshotRuleToPublish"
    ]
    resolver = resolver_for(default, broken)
    assert _publish(resolver, resolver.get_att(_snapshot_rule_id(resolver), "Arn")) is Decision.IMPLICIT_DENY


def test_emulator_publishes_the_failed_snapshot_line_to_the_topic(default: SynthResult) -> None:
    with EmbeddedAws() as aws:
        aws.deploy(default.synthesized)
        # given: an SQS queue on the topic sees what SNS delivers
        sqs, sns = aws.client("sqs"), aws.client("sns")
        queue_url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(
            TopicArn=aws.topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        succeeded = snapshot_failed_event("vol-0abc")
        succeeded["detail"]["result"] = "succeeded"
        # when
        assert aws.emit_event(succeeded) is None
        sent = aws.emit_event(snapshot_failed_event("vol-0abc"))
        # then
        (received,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert sent is not None and received["Body"] == sent and "cause: The KMS key is disabled" in sent


def test_snapshot_rule_is_in_the_cost_estimate_at_no_charge(default: SynthResult) -> None:
    from cost import items, model

    estimate = model.estimate(default.synthesized, items.Options())
    (item,) = [i for i in estimate.items if i.name == "EventBridge snapshot notifications"]
    assert item.usd_per_day == 0.0 and "free" in item.detail
