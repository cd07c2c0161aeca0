"""Events mode (`ec2StateSource: "events"`): the state table, the rules that feed it, the event
function and the reconcile job.

- Table: on demand (pay per request: a fleet's churn is bursty and mostly idle). No physical name and
  RemovalPolicy.DESTROY: the table holds only state the reconcile job rebuilds in one run (its first
  run seeds an empty table), so deleting the stack deletes it, and a redeploy or a replacement never
  collides with a retained table of the same name; nothing is kept forever and billed for storage.
  Point-in-time recovery off for the same reason: a restore would bring back state older than the
  next reconcile's. TTL on `expires_at` removes tombstones of gone resources for free.
- Rules: EC2 Instance State-change Notification, and EBS Volume Notification for the four events
  that change a volume's state, both from the default bus, each targeting the event function
  (EventBridge retries a failed asynchronous delivery for up to 24 h, 185 attempts).
- Functions: built by the stack's function factory, like the collectors (own role and log group).
  The event function may write the table only inside a transaction (dynamodb:EnclosingOperation);
  the reconcile reads it whole. The collector's read of the table is granted by the collectors'
  construct, which owns that function (`.table` is handed to it).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from constructs import Construct

from collector_core import env_names
from stacks.config_model import DeploymentConfig
from stacks.constructs.function_factory import FunctionFactory, FunctionSpec, metric_publishing_statements
from stacks.nag import acknowledge, skip_checkov

EVENT_HANDLER = "ec2_state_events.handler.handler"
RECONCILE_HANDLER = "ec2_state_events.reconcile_handler.handler"
VOLUME_EVENTS = ["createVolume", "deleteVolume", "attachVolume", "detachVolume"]
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
DLQ_REASON = (
    "An event EventBridge could not deliver after its 24 h of retries is healed by the reconcile job "
    "within reconcileMinutes, and the StateRepairs alarm reports it; a queue would hold nothing to act on."
)


def reconcile_timeout_seconds(minutes: int) -> int:
    """Half the reconcile period, at most Lambda's 15 minutes: a run never overlaps the next."""
    return max(30, min(900, minutes * 60 // 2))


class Ec2StateEvents(Construct):
    """`.table`, `.event_function`, `.reconcile_function`, `.rules`."""

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
                dead_letter_reason=DLQ_REASON,
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
                dead_letter_reason=DLQ_REASON,
            ),
        )
        instance_rule = events.Rule(
            self,
            "InstanceStateRule",
            description="EC2 instance state changes -> the state table",
            event_pattern=events.EventPattern(
                source=["aws.ec2"], detail_type=["EC2 Instance State-change Notification"]
            ),
        )
        volume_rule = events.Rule(
            self,
            "VolumeStateRule",
            description="EBS volume create/delete/attach/detach -> the state table",
            event_pattern=events.EventPattern(
                source=["aws.ec2"], detail_type=["EBS Volume Notification"], detail={"event": VOLUME_EVENTS}
            ),
        )
        reconcile_rule = events.Rule(
            self,
            "ReconcileSchedule",
            description="Full EC2/EBS count that repairs the state table",
            schedule=events.Schedule.rate(Duration.minutes(config.reconcile_minutes)),
            enabled=config.rule_enabled,
        )
        for rule in (instance_rule, volume_rule):
            rule.add_target(targets.LambdaFunction(self.event_function))
        reconcile_rule.add_target(targets.LambdaFunction(self.reconcile_function, retry_attempts=0))
        self.rules = {"instance": instance_rule, "volume": volume_rule, "reconcile": reconcile_rule}
