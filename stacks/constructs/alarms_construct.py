"""CloudWatch alarms from the alarm catalogue, notifying one encrypted, TLS-only SNS topic: the
stack's own, or (a StackSet member) the organization's central topic in the monitoring account."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.alarm_spec import ALARM_ID_METADATA, AlarmSpec, Comparison, Missing

_COMPARISONS = {
    Comparison.GREATER: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    Comparison.GREATER_OR_EQUAL: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    Comparison.LESS: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    Comparison.LESS_OR_EQUAL: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
}
_MISSING = {
    Missing.BREACHING: cloudwatch.TreatMissingData.BREACHING,
    Missing.NOT_BREACHING: cloudwatch.TreatMissingData.NOT_BREACHING,
    Missing.IGNORE: cloudwatch.TreatMissingData.IGNORE,
    Missing.MISSING: cloudwatch.TreatMissingData.MISSING,
}


class Alarms(Construct):
    """`.alarms` by alarm id, `.topic` for their ALARM and OK notifications, `.key` its key.

    With `central_topic` the alarms page that topic (the organization's, in the monitoring account:
    its own policy admits every member's alarms) and nothing else is created here: no topic, key
    or subscription of the account's own, so `.key` is None.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        specs: Sequence[AlarmSpec],
        name_prefix: str,
        emails: Sequence[str],
        central_topic: sns.ITopic | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key: kms.IKey | None = None
        self.topic: sns.ITopic
        if central_topic is not None:
            self.topic = central_topic
        else:
            self.key, self.topic = _own_topic(self, name_prefix, emails)
        self.alarms = create_alarms(self, specs, name_prefix=name_prefix, topic=self.topic)


def _own_topic(scope: Construct, name_prefix: str, emails: Sequence[str]) -> tuple[kms.IKey, sns.ITopic]:
    """The stack's encrypted topic, which only this stack's alarms may publish to."""
    # A customer managed key: CloudWatch cannot publish to a topic under the AWS managed SNS key.
    key = kms.Key(
        scope,
        "TopicKey",
        enable_key_rotation=True,
        description="Encrypts the high-resolution metrics alarm topic",
    )
    key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
    topic = sns.Topic(
        scope,
        "Topic",
        display_name=f"{name_prefix} alarms",
        master_key=key,
        enforce_ssl=True,
    )
    # A topic policy replaces SNS's default one, so with only the TLS Deny (from enforce_ssl) no
    # alarm could publish. CloudWatch sends its alarm's ARN and account with each Publish; every
    # alarm below is named "<name_prefix>-...", so only this stack's alarms (and no other
    # account's, the confused deputy) may use the topic.
    stack = Stack.of(scope)
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowThisStacksAlarmsToPublish",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": alarm_arn_pattern(stack, name_prefix)},
            },
        )
    )
    for email in emails:
        topic.add_subscription(subscriptions.EmailSubscription(email))
    return key, topic


def create_alarms(
    scope: Construct, specs: Sequence[AlarmSpec], *, name_prefix: str, topic: sns.ITopic
) -> dict[str, cloudwatch.Alarm]:
    """One alarm per spec (construct id: its alarm id) in `scope`, notifying `topic` of ALARM and OK;
    the single-account stack and the monitoring account's stack both create theirs here."""
    action = actions.SnsAction(topic)
    alarms: dict[str, cloudwatch.Alarm] = {}
    for spec in specs:
        alarm = cloudwatch.Alarm(
            scope,
            spec.alarm_id,
            alarm_name=alarm_name(name_prefix, spec.alarm_id),
            alarm_description=spec.description,
            metric=_metric(spec),
            comparison_operator=_COMPARISONS[spec.comparison],
            threshold=spec.threshold,
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints_to_alarm,
            treat_missing_data=_MISSING[spec.missing],
        )
        alarm.node.default_child.add_metadata(ALARM_ID_METADATA, spec.alarm_id)  # type: ignore[union-attr]
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        alarms[spec.alarm_id] = alarm
    return alarms


def _metric(spec: AlarmSpec) -> cloudwatch.IMetric:
    """The alarm's metric, or for a fleet alarm its Metrics Insights query (no metrics of its own)."""
    if spec.query:
        return cloudwatch.MathExpression(
            expression=spec.query, using_metrics={}, period=Duration.seconds(spec.period), label=spec.alarm_id
        )
    return cloudwatch.Metric(
        namespace=spec.namespace,
        metric_name=spec.metric_name,
        dimensions_map=spec.dimensions,
        statistic=spec.statistic,
        period=Duration.seconds(spec.period),
    )


# CloudWatch's limit on AlarmName (PutMetricAlarm API reference: length 1-255).
ALARM_NAME_MAX_LENGTH = 255
_NAME_HASH_LENGTH = 12


def alarm_name(name_prefix: str, alarm_id: str) -> str:
    """`<prefix>-<alarm id>`, within CloudWatch's 255 characters.

    Every name starts with the prefix: the topic policy's SourceArn pattern relies on it. An id
    holds a cluster name (up to 255 characters itself); a name that would be too long is cut and
    ends in a hash of the whole name, so it is stable across deploys and two long cluster names
    that share a beginning still get two alarms.
    """
    name = f"{name_prefix}-{alarm_id}"
    if len(name) <= ALARM_NAME_MAX_LENGTH:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_NAME_HASH_LENGTH]
    return f"{name[: ALARM_NAME_MAX_LENGTH - _NAME_HASH_LENGTH - 1]}-{digest}"


def alarm_arn_pattern(stack: Stack, name_prefix: str) -> str:
    """The ARN of every alarm `alarm_name` can produce, in this stack's account and region."""
    return stack.format_arn(
        service="cloudwatch",
        resource="alarm",
        resource_name=alarm_name(name_prefix, "*"),
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
