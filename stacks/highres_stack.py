"""One deployable stack per account and region: collectors, sampler, alarms and dashboard."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnOutput, Stack, Token
from constructs import Construct

from collector_core.catalogue import Collector
from stacks.alarm_catalogue import AwsMetricRefs, account_alarms, fleet_alarms, pipeline_alarms
from stacks.config_model import DeploymentConfig
from stacks.constructs.alarms_construct import Alarms
from stacks.constructs.collectors_construct import CollectorFunctions
from stacks.constructs.dashboard_construct import Dashboard
from stacks.constructs.ec2_state_events_construct import Ec2StateEvents
from stacks.constructs.sampler_construct import Sampler
from stacks.constructs.snapshot_notifications_construct import SnapshotNotifications


class HighResMetricsStack(Stack):
    """Composes the capabilities; each lives in its own construct under stacks/constructs/."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeploymentConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.collectors = CollectorFunctions(self, "Collectors", config=config)
        if config.events_mode:
            self.state_events = Ec2StateEvents(
                self,
                "Ec2StateEvents",
                config=config,
                code=self.collectors.code,
                layer=self.collectors.powertools,
                collector=self.collectors.functions[Collector.EC2_EBS_STATE],
            )
        self.sampler = Sampler(self, "Sampler", config=config, functions=self.collectors.functions)
        refs = AwsMetricRefs(
            state_machine_arn=self.sampler.state_machine.state_machine_arn,
            function_names={c: f.function_name for c, f in self.collectors.functions.items()},
            rule_name=self.sampler.rule.rule_name,
            event_function_name=self.state_events.event_function.function_name
            if config.events_mode
            else None,
            reconcile_function_name=(
                self.state_events.reconcile_function.function_name if config.events_mode else None
            ),
        )
        self.alarm_specs = account_alarms(config) + fleet_alarms(config) + pipeline_alarms(config, refs)
        self.alarms = Alarms(
            self,
            "Alarms",
            specs=self.alarm_specs,
            name_prefix=construct_id,
            emails=config.notification_emails,
        )
        if config.snapshot_notifications != "off" and Collector.EC2_EBS_STATE in config.collectors:
            self.snapshots = SnapshotNotifications(
                self,
                "SnapshotNotifications",
                results=config.snapshot_notifications,
                topic=self.alarms.topic,
                key=self.alarms.key,
            )
        self.dashboard_name = dashboard_name(self, construct_id)
        self.dashboard = Dashboard(
            self,
            "Dashboard",
            config=config,
            dashboard_name=self.dashboard_name,
            alarms=list(self.alarms.alarms.values()),
        )
        CfnOutput(self, "StateMachineArn", value=self.sampler.state_machine.state_machine_arn)
        CfnOutput(self, "AlarmTopicArn", value=self.alarms.topic.topic_arn)
        CfnOutput(self, "DashboardName", value=self.dashboard_name)


def dashboard_name(stack: Stack, stack_name: str) -> str:
    """Dashboards are global per account: a stack whose region is only known at deploy time (a
    target without region, deployable anywhere) carries the region in the name, so the same stack in
    two regions of one account gets two dashboards instead of one overwriting the other."""
    if Token.is_unresolved(stack.region):
        return f"{stack_name}-{Aws.REGION}"
    return stack_name
