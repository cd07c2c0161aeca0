"""The whole pipeline as one construct: collectors, the events mode's table and functions, the
sampler, alarms, snapshot notifications and the dashboard, composed from a DeploymentConfig.

`HighResMetricsStack` puts it in a stack with construct id "Default", which CDK leaves out of logical
ids, so the resources keep the ids they had as the stack's own children. Any other stack (a
StackSet member, a user's own app) can hold it the same way.

A StackSet member passes `central_topic`, the organization's topic in the monitoring account: its
alarms and snapshot notifications page there, and the parts whose only reader is a person of this
account go (the account's own topic, key and subscriptions, the dashboard: the monitoring account
has the organization's; the fleet alarms: the monitoring account's query alarms watch every
account's clusters).
"""

from __future__ import annotations

from aws_cdk import Aws, Stack, Token
from constructs import Construct

from collector_core.catalogue import Collector
from stacks.alarm_catalogue import AwsMetricRefs, all_alarms
from stacks.config_model import DeploymentConfig
from stacks.constructs.alarms_construct import Alarms
from stacks.constructs.central_topic_construct import CentralTopicRef
from stacks.constructs.collectors_construct import CollectorFunctions
from stacks.constructs.dashboard_construct import Dashboard
from stacks.constructs.ec2_state_events_construct import Ec2StateEvents
from stacks.constructs.function_factory import FunctionFactory
from stacks.constructs.sampler_construct import Sampler
from stacks.constructs.snapshot_notifications_construct import SnapshotNotifications


class HighResPipeline(Construct):
    """`.collectors`, `.state_events` (events mode, else None), `.sampler`, `.alarms`, `.dashboard`
    (None with a central topic); `name_prefix` starts every alarm's and the dashboard's name (the
    stack's name)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        name_prefix: str,
        central_topic: CentralTopicRef | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        factory = FunctionFactory(self, config)
        self.state_events = (
            Ec2StateEvents(self, "Ec2StateEvents", config=config, factory=factory)
            if config.events_mode
            else None
        )
        self.collectors = CollectorFunctions(
            self,
            "Collectors",
            config=config,
            factory=factory,
            state_table=self.state_events.table if self.state_events else None,
        )
        self.sampler = Sampler(self, "Sampler", config=config, functions=self.collectors.functions)
        notices = config.snapshot_notifications != "off" and Collector.EC2_EBS_STATE in config.collectors
        self.snapshots: SnapshotNotifications | None = None
        if notices and central_topic is not None:
            # Before the alarms: one of them watches this rule's deliveries to the other account.
            self.snapshots = SnapshotNotifications(
                self, "SnapshotNotifications", results=config.snapshot_notifications, central=central_topic
            )
        refs = AwsMetricRefs(
            state_machine_arn=self.sampler.state_machine.state_machine_arn,
            function_names={c: f.function_name for c, f in self.collectors.functions.items()},
            rule_name=self.sampler.rule.rule_name,
            event_function_name=self.state_events.event_function.function_name if self.state_events else None,
            reconcile_function_name=(
                self.state_events.reconcile_function.function_name if self.state_events else None
            ),
            event_failures_queue_name=self.state_events.failures.queue_name if self.state_events else None,
            cross_account_notice_rule_name=self.snapshots.rule.rule_name if self.snapshots else None,
        )
        self.alarm_specs = all_alarms(config, refs, fleet=central_topic is None)
        self.alarms = Alarms(
            self,
            "Alarms",
            specs=self.alarm_specs,
            name_prefix=name_prefix,
            emails=config.notification_emails,
            central_topic=central_topic.topic if central_topic is not None else None,
        )
        self.dashboard: Dashboard | None = None
        self.dashboard_name: str | None = None
        if central_topic is not None:
            return
        if notices and self.alarms.key is not None:
            self.snapshots = SnapshotNotifications(
                self,
                "SnapshotNotifications",
                results=config.snapshot_notifications,
                topic=self.alarms.topic,
                key=self.alarms.key,
            )
        self.dashboard_name = dashboard_name(Stack.of(self), name_prefix)
        self.dashboard = Dashboard(
            self,
            "Dashboard",
            config=config,
            dashboard_name=self.dashboard_name,
            alarms=list(self.alarms.alarms.values()),
        )


def dashboard_name(stack: Stack, stack_name: str) -> str:
    """Dashboards are global per account: a stack whose region is only known at deploy time (a
    target without region, deployable anywhere) carries the region in the name, so the same stack in
    two regions of one account gets two dashboards instead of one overwriting the other."""
    if Token.is_unresolved(stack.region):
        return f"{stack_name}-{Aws.REGION}"
    return stack_name
