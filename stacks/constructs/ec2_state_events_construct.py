"""Events mode (`ec2StateSource: "events"`): the state table, the rules that feed it, the event
function and the reconcile job.

- Table: on demand (pay per request: a fleet's churn is bursty and mostly idle). No physical name and
  RemovalPolicy.DESTROY: the table holds only state the reconcile job rebuilds in one run (its first
  run seeds an empty table), so deleting the stack deletes it, and a redeploy or a replacement never
  collides with a retained table of the same name; nothing is kept forever and billed for storage.
  Point-in-time recovery off for the same reason: a restore would bring back state older than the
  next reconcile's. TTL on `expires_at` removes tombstones of gone resources for free.
- Rules, all on the default bus and targeting the event function: EC2 Instance State-change
  Notification; EBS Volume Notification for the two results AWS documents as changing a volume's
  state (createVolume, deleteVolume); and the EC2 API calls CreateVolume, DeleteVolume,
  AttachVolume and DetachVolume as "AWS API Call via CloudTrail" events that succeeded (no
  errorCode). AWS sends no notification for a successful attach or detach; the API-call events
  reach EventBridge only where a CloudTrail trail logs management events in the region, on a best
  effort basis, so without one those volume states are as fresh as the last reconcile (reported
  at synth as an info annotation, and in the README).
- No event lost without a page: EventBridge retries a delivery it could not make (the function
  throttled or unreachable) for 24 h, then sends the event to the failures queue (the target's
  dead-letter queue); when the function itself fails, Lambda's asynchronous invocation retries
  twice and then sends the event, with the error, to the same queue (its on-failure destination).
  The Ec2StateEventsFailed alarm pages while the queue holds a message; the queue keeps them 14 days.
- Functions: built by the stack's function factory, like the collectors (own role and log group).
  The event function may write the table only inside a transaction (dynamodb:EnclosingOperation);
  the reconcile reads it whole. The collector's read of the table is granted by the collectors'
  construct, which owns that function (`.table` is handed to it).
"""

from __future__ import annotations

import jsii
from aws_cdk import Annotations, Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from collector_core import env_names
from ec2_state_events.events import (
    API_CALL_DETAIL_TYPE,
    API_CALLS,
    EC2_EVENT_SOURCE,
    INSTANCE_DETAIL_TYPE,
    SOURCE,
    VOLUME_DETAIL_TYPE,
    VOLUME_NOTIFICATIONS,
)
from stacks.config_model import DeploymentConfig
from stacks.constructs.function_factory import FunctionFactory, FunctionSpec, metric_publishing_statements
from stacks.nag import acknowledge, skip_checkov

EVENT_HANDLER = "ec2_state_events.handler.handler"
RECONCILE_HANDLER = "ec2_state_events.reconcile_handler.handler"
# Lambda's default for asynchronous invocation, stated so the README's "three attempts" is this.
EVENT_RETRY_ATTEMPTS = 2
# How long a failed event waits in the failures queue for someone to read it (SQS allows 14 days at
# most): two weekends, and the alarm pages from the first message.
FAILURES_RETENTION_DAYS = 14
# One event: a GetItem and a TransactWriteItems, tens of milliseconds; 30 s covers a contended
# resource's re-reads with the client's retries.
EVENT_TIMEOUT_SECONDS = 30
EVENT_MEMORY_MB = 256
# Lambda's START/END/REPORT lines (INFO) are not written, whatever `lambdaSystemLogLevel` says for
# the collectors: one event function invocation per state change would log three lines each.
EVENTS_SYSTEM_LOG_LEVEL = "WARN"
# The reconcile lists the whole fleet and scans the table: at 100,000 instances + 100,000 volumes
# about 3.5 s of listing CPU on a full vCPU (collector_core.ec2_budget), and a scan of the same
# size, so 1,024 MB (0.58 vCPU) finishes in well under a minute; the timeout keeps two runs apart.
RECONCILE_MEMORY_MB = 1024
CHECKOV_TABLE_SKIPS = {
    "CKV_AWS_28": "Point-in-time recovery would restore derived state: the reconcile job rebuilds the "
    "table from EC2's own listing in one run.",
    "CKV_AWS_119": "The table holds instance and volume ids and states, no secret; DynamoDB encrypts it "
    "at rest with an AWS owned key, and a customer managed key would add a KMS request per event.",
}
PITR_REASON = (
    "The table holds only state the reconcile job rebuilds from EC2's listing in one run; a restore "
    "would bring back counts older than the next reconcile's."
)
EVENT_DLQ_REASON = (
    "The event function's failed asynchronous invocations go to its on-failure destination (the "
    "failures queue, EventInvokeConfig) instead of a DeadLetterConfig: the record carries the error "
    "too, and the Ec2StateEventsFailed alarm watches that queue."
)
RECONCILE_DLQ_REASON = (
    "The schedule invokes the reconcile with no retry and no payload worth keeping: a failed run is "
    "the next run's work, and Ec2StateReconcileErrors reports it."
)
FAILURES_QUEUE_DLQ_REASON = (
    "This queue is itself the dead-letter store of the event path (the event function's on-failure "
    "destination and the rules' dead-letter queue); a queue behind it would only hide messages the "
    "Ec2StateEventsFailed alarm exists to show."
)
FAILURES_QUEUE_KMS_REASON = (
    "The queue is encrypted at rest with SQS-managed keys (SqsManagedSseEnabled). It holds EC2 state "
    "events (instance and volume ids and states), no secret; a customer managed key would add a key, "
    "its policy and KMS requests for every failed event, and this check accepts only that."
)
FRESHNESS_NOTE = (
    "events mode: instance states and volume available-after-create and deleted come from EC2/EBS "
    "notifications (seconds). Volume creating, in-use (attach), available (detach) and deleting come "
    "from CloudTrail's AWS API Call events: seconds where a CloudTrail trail logs management events "
    "in this region (best-effort delivery), otherwise only from the reconcile, every {minutes} min."
)


def reconcile_timeout_seconds(minutes: int) -> int:
    """Half the reconcile period, at most Lambda's 15 minutes: a run never overlaps the next."""
    return max(30, min(900, minutes * 60 // 2))


class Ec2StateEvents(Construct):
    """`.table`, `.event_function`, `.reconcile_function`, `.failures` (the queue), `.rules`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        factory: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "StateTable",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute="expires_at",
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(self.table, "AwsSolutions-DDB3", PITR_REASON)
        for check_id, reason in CHECKOV_TABLE_SKIPS.items():
            skip_checkov(self.table, check_id, reason)
        table_env = {env_names.STATE_TABLE_NAME: self.table.table_name}
        self.event_function = factory.function(
            self,
            "EventFunction",
            FunctionSpec(
                handler=EVENT_HANDLER,
                service="EventFunction",
                memory_mb=EVENT_MEMORY_MB,
                timeout_seconds=EVENT_TIMEOUT_SECONDS,
                description="Applies EC2/EBS state events to the state table",
                role_description="EventFunction: the state table and its own logs",
                statements=[
                    iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=[self.table.table_arn]),
                    iam.PolicyStatement(
                        actions=["dynamodb:PutItem", "dynamodb:UpdateItem"],
                        resources=[self.table.table_arn],
                        # Writes only inside a transaction: an item never changes without its counters.
                        # EnclosingOperation is single-valued, so plain StringEquals (no set operator).
                        conditions={"StringEquals": {"dynamodb:EnclosingOperation": "TransactWriteItems"}},
                    ),
                ],
                environment=table_env,
                system_log_level=EVENTS_SYSTEM_LOG_LEVEL,
                dead_letter_reason=EVENT_DLQ_REASON,
            ),
        )
        self.reconcile_function = factory.function(
            self,
            "ReconcileFunction",
            FunctionSpec(
                handler=RECONCILE_HANDLER,
                service="ReconcileFunction",
                memory_mb=RECONCILE_MEMORY_MB,
                timeout_seconds=reconcile_timeout_seconds(config.reconcile_minutes),
                description=f"Repairs the state table from a full count every {config.reconcile_minutes} min",
                role_description="ReconcileFunction: the state table and its own logs",
                statements=[
                    iam.PolicyStatement(
                        actions=[
                            "dynamodb:GetItem",
                            "dynamodb:Scan",
                            "dynamodb:PutItem",
                            "dynamodb:UpdateItem",
                        ],
                        resources=[self.table.table_arn],
                    ),
                    iam.PolicyStatement(
                        actions=["ec2:DescribeInstanceStatus", "ec2:DescribeVolumes"],
                        # EC2 Describe* actions support no resource-level permissions.
                        resources=["*"],
                    ),
                    *metric_publishing_statements(config),
                ],
                environment={
                    **table_env,
                    env_names.METRICS_NAMESPACE: config.namespace,
                    env_names.METRICS_SINK: config.sink,
                    env_names.EC2_STATE_SOURCE: "events",
                },
                wildcard_reasons={
                    "Resource::*": "EC2 DescribeInstanceStatus/DescribeVolumes have no resource-level "
                    "permissions; PutMetricData (api sink) is scoped by its cloudwatch:namespace condition."
                },
                system_log_level=EVENTS_SYSTEM_LOG_LEVEL,
                dead_letter_reason=RECONCILE_DLQ_REASON,
            ),
        )
        self.failures = sqs.Queue(
            self,
            "EventFailures",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(FAILURES_RETENTION_DAYS),
        )
        acknowledge(self.failures, "AwsSolutions-SQS3", FAILURES_QUEUE_DLQ_REASON)
        skip_checkov(self.failures, "CKV_AWS_27", FAILURES_QUEUE_KMS_REASON)
        self.event_function.configure_async_invoke(
            retry_attempts=EVENT_RETRY_ATTEMPTS, on_failure=_SendOnly(self.failures)
        )
        instance_rule = events.Rule(
            self,
            "InstanceStateRule",
            description="EC2 instance state changes -> the state table",
            event_pattern=events.EventPattern(source=[SOURCE], detail_type=[INSTANCE_DETAIL_TYPE]),
        )
        volume_rule = events.Rule(
            self,
            "VolumeStateRule",
            description="EBS volume created/deleted notifications -> the state table",
            event_pattern=events.EventPattern(
                source=[SOURCE], detail_type=[VOLUME_DETAIL_TYPE], detail={"event": VOLUME_NOTIFICATIONS}
            ),
        )
        api_call_rule = events.Rule(
            self,
            "VolumeApiCallRule",
            description="Volume create/delete/attach/detach calls that succeeded (CloudTrail) -> the table",
            event_pattern=events.EventPattern(
                source=[SOURCE],
                detail_type=[API_CALL_DETAIL_TYPE],
                # A refused call (errorCode) changed nothing: not even an invocation for it.
                detail={
                    "eventSource": [EC2_EVENT_SOURCE],
                    "eventName": API_CALLS,
                    "errorCode": events.Match.does_not_exist(),
                },
            ),
        )
        reconcile_rule = events.Rule(
            self,
            "ReconcileSchedule",
            description="Full EC2/EBS count that repairs the state table",
            schedule=events.Schedule.rate(Duration.minutes(config.reconcile_minutes)),
            enabled=config.rule_enabled,
        )
        for rule in (instance_rule, volume_rule, api_call_rule):
            rule.add_target(targets.LambdaFunction(self.event_function, dead_letter_queue=self.failures))
        reconcile_rule.add_target(targets.LambdaFunction(self.reconcile_function, retry_attempts=0))
        self.rules = {
            "instance": instance_rule,
            "volume": volume_rule,
            "volume_api_call": api_call_rule,
            "reconcile": reconcile_rule,
        }
        Annotations.of(self).add_info(FRESHNESS_NOTE.format(minutes=config.reconcile_minutes))


@jsii.implements(lambda_.IDestination)
class _SendOnly:
    """An SQS on-failure destination that grants the function's role sqs:SendMessage only: what
    Lambda needs to deliver the record (CDK's SqsDestination also grants GetQueueAttributes and
    GetQueueUrl, which nothing calls)."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self.queue = queue

    def bind(
        self, scope: Construct, fn: lambda_.IFunction, *, type: lambda_.DestinationType
    ) -> lambda_.DestinationConfig:
        self.queue.grant(fn, "sqs:SendMessage")
        return lambda_.DestinationConfig(destination=self.queue.queue_arn)
