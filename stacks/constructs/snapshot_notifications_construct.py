"""EBS snapshot notifications (a failed createSnapshot, copySnapshot, ...) on the alarm topic.

The pipeline counts pending snapshots, but a snapshot that fails is silent: EBS publishes its
result to EventBridge as an "EBS Snapshot Notification" (`detail.event`, `detail.result`
`succeeded` or `failed`, `detail.cause`, `detail.snapshot_id`, `detail.source`; "Amazon
EventBridge events for Amazon EBS", https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html).
A rule on the default bus turns each into one readable line on the topic the alarms use.
"""

from __future__ import annotations

from typing import Any, cast

import jsii
from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

EVENTS_PRINCIPAL = "events.amazonaws.com"
DETAIL_TYPE = "EBS Snapshot Notification"


def snapshot_event_pattern(results: str) -> dict[str, Any]:
    """The rule's pattern: failures only (`failed`) or every result (`all`)."""
    pattern: dict[str, Any] = {"source": ["aws.ec2"], "detail-type": [DETAIL_TYPE]}
    if results == "failed":
        pattern["detail"] = {"result": ["failed"]}
    return pattern


@jsii.implements(events.IRuleTarget)
class _TopicWithMessage:
    """The topic as the rule's target, without CDK's `SnsTopic` grant: that one lets every rule
    of every account publish (no source condition); the statement below allows this rule alone."""

    def __init__(self, topic: sns.ITopic, message: events.RuleTargetInput) -> None:
        self.topic, self.message = topic, message

    def bind(self, rule: events.IRule, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self.topic.topic_arn, input=self.message)


class SnapshotNotifications(Construct):
    """`.rule`: EBS snapshot notifications with the configured results -> the alarm topic."""

    def __init__(
        self, scope: Construct, construct_id: str, *, results: str, topic: sns.ITopic, key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        field = events.EventField.from_path
        message = events.RuleTargetInput.from_text(
            f"EBS {field('$.detail.event')} {field('$.detail.result')}: snapshot "
            f"{field('$.detail.snapshot_id')} from {field('$.detail.source')} at {field('$.time')}; "
            f"cause: {field('$.detail.cause')}"
        )
        self.rule = events.Rule(
            self,
            "Rule",
            description=f"EBS snapshot notifications ({results}) to the alarm topic",
            event_pattern=events.EventPattern(
                source=["aws.ec2"],
                detail_type=[DETAIL_TYPE],
                detail={"result": ["failed"]} if results == "failed" else None,
            ),
            targets=[cast(events.IRuleTarget, _TopicWithMessage(topic, message))],
        )
        # Exactly this rule may publish: EventBridge sends the rule's ARN as aws:SourceArn
        # (SNS topic policy for EventBridge targets, EventBridge User Guide "Using resource-based
        # policies for Amazon EventBridge", Amazon SNS permissions).
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowTheSnapshotRuleToPublish",
                principals=[iam.ServicePrincipal(EVENTS_PRINCIPAL)],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Stack.of(self).account},
                    "ArnEquals": {"aws:SourceArn": self.rule.rule_arn},
                },
            )
        )
        # An encrypted topic: EventBridge needs the key to publish, as CloudWatch does.
        key.grant(iam.ServicePrincipal(EVENTS_PRINCIPAL), "kms:Decrypt", "kms:GenerateDataKey*")
