"""The organization's one alarm topic, in the monitoring account: every account's alarms page here.

A member account's alarm names this topic by ARN (`central_topic_arn`), so the topic has a fixed
name and no lookup is needed. An alarm action's SNS form names the topic's account
(`arn:aws:sns:region:account-id:sns-topic-name`, PutMetricAlarm, AlarmActions,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html); no AWS
page we found states cross-account support outright, but it is done in practice:
awslabs/landing-zone-accelerator-on-aws#31 has alarms of one account paging the Audit account's
encrypted topics once the key admitted `cloudwatch.amazonaws.com`; aws-samples/
amazon-cloudwatch-auto-alarms (CloudWatchAutoAlarms-SNS.yaml, PR #63) admits every organization
account's alarms with `aws:SourceOrgID` on that principal, as here; and the CloudWatch console
warns on such an action only that "This action sends a message to an SNS topic in a different
account. We're unable to verify whether the action is correctly configured"
(aws-samples/aws-secure-environment-accelerator#875). Each region has its
own topic, and its policy admits alarms of that region only (our choice: a member's alarms page
the topic of their own region).

CloudWatch of the alarm's account publishes as the service principal
`cloudwatch.amazonaws.com`, sending the alarm's ARN and account (`aws:SourceArn`,
`aws:SourceAccount`) and, for an account in an organization, its organization ID
(`aws:SourceOrgID`, the global key for a service principal's call on behalf of a resource whose
owner is in an organization: IAM User Guide, "AWS global condition context keys",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html). The topic
policy and the key policy both admit that principal only for the organization, so no account
outside it (the confused deputy) can publish or use the key. Whether CloudWatch's own KMS call
carries `aws:SourceOrgID` is not stated in what we found; the policy-path tests assume it does, a
first deploy must confirm it (an alarm's history says "KMS ... AccessDenied" otherwise).

The key is customer managed because CloudWatch must call KMS itself for an encrypted topic (an
alarm cannot publish to a topic under the AWS managed SNS key), and another account's CloudWatch
can only be granted a customer managed key.

A member's EBS snapshot notifications reach the topic too. EventBridge delivers to an SNS topic of
another account only through an execution role of the rule's account, which the topic's policy
must admit ("Sending events to an AWS service in another account in EventBridge",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-cross-account.html); the
publisher of an encrypted topic also needs the key (through SNS). Every member names that role
`snapshot_notice_role_name(region)`, so the topic and key admit exactly that role name, in any
account of the organization (`aws:PrincipalOrgID`), and the key's alias lets the member's policy
name this key without knowing its id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import ArnFormat, Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.nag import skip_checkov

# Fixed, so a member's template can name arn:<partition>:sns:<region>:<monitoring account>:<this>.
CENTRAL_TOPIC_NAME = "highres-metrics-org-alarms"
CENTRAL_KEY_ALIAS = f"alias/{CENTRAL_TOPIC_NAME}"
# Fixed too: the topic and key policies admit the role by name, in every account of the organization.
SNAPSHOT_NOTICE_ROLE_PREFIX = "highres-metrics-snapshot-notices"
_CLOUDWATCH = "cloudwatch.amazonaws.com"
KEY_ANY_PRINCIPAL_REASON = (
    "The snapshot notice roles live in every member account, which the monitoring account cannot "
    "list: the statement's principal is any, narrowed by aws:PrincipalOrgID to the organization, "
    "aws:PrincipalArn to the one role name, and kms:ViaService to SNS."
)


def central_topic_arn(region: str, monitoring_account: str, partition: str = "aws") -> str:
    """The central topic's ARN in `region` of the monitoring account, as a member alarm names it."""
    return f"arn:{partition}:sns:{region}:{monitoring_account}:{CENTRAL_TOPIC_NAME}"


@dataclass(frozen=True)
class CentralTopicRef:
    """What a member knows of its region's central topic without a lookup: the topic, by ARN, and
    the monitoring account that holds it and its key."""

    topic: sns.ITopic
    monitoring_account: str

    @property
    def key_arns(self) -> str:
        """Every key the central topic's may be (its id is made at deploy time; a member's policy
        narrows this to `CENTRAL_KEY_ALIAS`)."""
        return f"arn:{Aws.PARTITION}:kms:{Aws.REGION}:{self.monitoring_account}:key/*"


def import_central_topic(scope: Construct, construct_id: str, monitoring_account: str) -> CentralTopicRef:
    """The central topic of the stack's own region (an alarm pages a topic of its region only)."""
    topic = sns.Topic.from_topic_arn(
        scope, construct_id, central_topic_arn(Aws.REGION, monitoring_account, Aws.PARTITION)
    )
    return CentralTopicRef(topic, monitoring_account)


# What KMS sees as kms:ViaService when SNS uses the key on a publisher's behalf, in this region.
THROUGH_SNS = f"sns.{Aws.REGION}.{Aws.URL_SUFFIX}"


def snapshot_notice_role_name(region: str) -> str:
    """The role a member's snapshot rule publishes with: one per region (IAM names are global to
    the account, and a StackSet puts one stack per region in it); at most 47 characters."""
    return f"{SNAPSHOT_NOTICE_ROLE_PREFIX}-{region}"


class CentralAlarmTopic(Construct):
    """`.topic` (TLS only, under `.key`), subscribed by `emails`; organization accounts' CloudWatch
    and their snapshot notice roles may publish to it and use its key, nothing outside the
    organization may."""

    def __init__(
        self, scope: Construct, construct_id: str, *, organization_id: str, emails: Sequence[str]
    ) -> None:
        super().__init__(scope, construct_id)
        from_the_organization = {"StringEquals": {"aws:SourceOrgID": organization_id}}
        self.key = kms.Key(
            self,
            "TopicKey",
            enable_key_rotation=True,
            description="Encrypts the high-resolution metrics organization alarm topic",
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowOrganizationCloudWatchToEncrypt",
                principals=[iam.ServicePrincipal(_CLOUDWATCH)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # a key policy's Resource is the key itself
                conditions=from_the_organization,
            )
        )
        self.key.add_alias(CENTRAL_KEY_ALIAS)
        skip_checkov(self.key, "CKV_AWS_33", KEY_ANY_PRINCIPAL_REASON)
        notice_roles = {
            "StringEquals": {"aws:PrincipalOrgID": organization_id},
            "ArnLike": {
                "aws:PrincipalArn": Stack.of(self).format_arn(
                    service="iam",
                    region="",
                    account="*",
                    resource="role",
                    resource_name=snapshot_notice_role_name(Aws.REGION),
                )
            },
        }
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowOrganizationSnapshotNoticesToEncrypt",
                principals=[iam.AnyPrincipal()],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={
                    **notice_roles,
                    "StringEquals": {**notice_roles["StringEquals"], "kms:ViaService": THROUGH_SNS},
                },
            )
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=CENTRAL_TOPIC_NAME,
            display_name="highres-metrics organization alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        # Alarm actions name a topic of the alarm's own region; any account of the organization.
        region_alarms = Stack.of(self).format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name="*",
            account="*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowOrganizationAlarmsToPublish",
                principals=[iam.ServicePrincipal(_CLOUDWATCH)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={**from_the_organization, "ArnLike": {"aws:SourceArn": region_alarms}},
            )
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowOrganizationSnapshotNoticesToPublish",
                principals=[iam.AnyPrincipal()],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=notice_roles,
            )
        )
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
