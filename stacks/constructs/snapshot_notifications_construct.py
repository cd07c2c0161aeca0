"""EBS snapshot notifications (a failed createSnapshot, copySnapshot, ...) on the alarm topic.

The pipeline counts pending snapshots, but a snapshot that fails is silent: EBS publishes its
result to EventBridge as an "EBS Snapshot Notification" (`detail.event`, `detail.result`
`succeeded` or `failed`, `detail.cause`, `detail.snapshot_id`, `detail.source`; "Amazon
EventBridge events for Amazon EBS", https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html).
A rule on the default bus turns each into one readable line on the topic the alarms use.

In a StackSet member that topic is the organization's, in the monitoring account. EventBridge
delivers to another account's topic only with an execution role of the rule's account ("Sending
events to an AWS service in another account in EventBridge",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-cross-account.html), so the
member gets one, named as the central topic's and key's policies expect; its own policy allows
publishing to that topic and using that key through SNS, nothing else.
"""

from __future__ import annotations

from typing import Any, cast

import jsii
from aws_cdk import Aws, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.constructs.central_topic_construct import (
    CENTRAL_KEY_ALIAS,
    THROUGH_SNS,
    CentralTopicRef,
    snapshot_notice_role_name,
)
from stacks.nag import acknowledge

EVENTS_PRINCIPAL = "events.amazonaws.com"
KEY_WILDCARD_REASON = (
    "The central topic's key is created in the monitoring account at deploy time, so a member knows "
    "its account and region, not its id; the statement admits only the key with the central alias, "
    "used through SNS."
)
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

    def __init__(
        self, topic: sns.ITopic, message: events.RuleTargetInput, role: iam.IRole | None = None
    ) -> None:
        self.topic, self.message, self.role = topic, message, role

    def bind(self, rule: events.IRule, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self.topic.topic_arn, input=self.message, role=self.role)


class SnapshotNotifications(Construct):
    """`.rule`: EBS snapshot notifications with the configured results -> the alarm topic: the
    stack's own (`topic` under `key`) or the organization's (`central`, through `.role`)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        results: str,
        topic: sns.ITopic | None = None,
        key: kms.IKey | None = None,
        central: CentralTopicRef | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if (central is None) == (topic is None or key is None):
            raise ValueError("SnapshotNotifications needs either topic and key, or central")
        self.role = _central_publisher(self, central) if central is not None else None
        destination = central.topic if central is not None else topic
        assert destination is not None
        field = events.EventField.from_path
        message = events.RuleTargetInput.from_text(
            f"EBS {field('$.detail.event')} {field('$.detail.result')}: snapshot "
            f"{field('$.detail.snapshot_id')} from {field('$.detail.source')} at {field('$.time')}; "
            f"cause: {field('$.detail.cause')}"
        )
        self.rule = events.Rule(
            self,
            "Rule",
            description=(
                f"EBS snapshot notifications ({results}) to the "
                + ("organization's alarm topic" if central is not None else "alarm topic")
            ),
            event_pattern=events.EventPattern(
                source=["aws.ec2"],
                detail_type=[DETAIL_TYPE],
                detail={"result": ["failed"]} if results == "failed" else None,
            ),
            targets=[cast(events.IRuleTarget, _TopicWithMessage(destination, message, self.role))],
        )
        if self.role is not None:
            # The role's policy exists before the rule can deliver its first notice with it.
            self.rule.node.add_dependency(self.role)
        if topic is None or key is None:
            return  # the central topic's and key's own policies admit the role
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


def _central_publisher(scope: Construct, central: CentralTopicRef) -> iam.Role:
    """The rule's execution role for the central topic: EventBridge of this account may assume it;
    it may publish to that one topic and use the key under the central alias, through SNS only.

    The trust names the account, not the rule: the rule names the role, so the role cannot name
    the rule's generated ARN without a circular dependency."""
    account = Stack.of(scope).account
    role = iam.Role(
        scope,
        "PublisherRole",
        role_name=snapshot_notice_role_name(Aws.REGION),
        description="EBS snapshot notifications to the organization's alarm topic",
        assumed_by=iam.ServicePrincipal(
            EVENTS_PRINCIPAL, conditions={"StringEquals": {"aws:SourceAccount": account}}
        ),
    )
    role.add_to_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[central.topic.topic_arn]))
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=[central.key_arns],
            conditions={
                "StringEquals": {"kms:ViaService": THROUGH_SNS},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": CENTRAL_KEY_ALIAS},
            },
        )
    )
    acknowledge(
        role,
        f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:"
        f"{central.monitoring_account}:key/*]",
        KEY_WILDCARD_REASON,
    )
    return role
