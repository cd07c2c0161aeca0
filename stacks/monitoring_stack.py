"""The monitoring account's stack, one per region of an organization: the sink every member links to,
the one alarm topic every account pages, the organization's dashboard and its query alarms.

The app (organization mode) creates one per region of the `organization` config block, in the
monitoring account, before the StackSet: a member's link needs the sink to exist.
"""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from stacks.alarm_catalogue import organization_alarms
from stacks.config_model import DeploymentConfig
from stacks.constructs.alarms_construct import Alarms
from stacks.constructs.central_topic_construct import CentralAlarmTopic
from stacks.constructs.org_dashboard_construct import OrganizationDashboard
from stacks.constructs.org_sink_construct import OrganizationSink
from stacks.constructs.pipeline_construct import dashboard_name

# Organizations' id format: "o-" then 10 to 32 lowercase letters or digits (Organization.Id).
ORGANIZATION_ID = re.compile(r"o-[a-z0-9]{10,32}")


class MonitoringStack(Stack):
    """`.sink`, `.central_topic`, `.alarms`, `.dashboard`; outputs the sink's ARN (members get it
    through config), the topic's ARN and the dashboard's name. `config` is the members' (their
    namespace, collectors and thresholds)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        organization_id: str,
        config: DeploymentConfig,
        **kwargs: Any,
    ) -> None:
        if not ORGANIZATION_ID.fullmatch(organization_id):
            raise ValueError(
                f"organization id {organization_id!r} is not o- and 10-32 lowercase letters or digits"
            )
        super().__init__(scope, construct_id, **kwargs)
        self.sink = OrganizationSink(self, "Sink", organization_id=organization_id)
        self.central_topic = CentralAlarmTopic(
            self, "CentralAlarmTopic", organization_id=organization_id, emails=config.notification_emails
        )
        self.alarm_specs = organization_alarms(config, config.namespace)
        if any(not spec.query for spec in self.alarm_specs):
            raise ValueError(
                "a monitoring account alarms on Metrics Insights queries only (it owns no metric)"
            )
        self.alarms = Alarms(
            self,
            "Alarms",
            specs=self.alarm_specs,
            name_prefix=construct_id,
            emails=(),
            central_topic=self.central_topic.topic,
        )
        self.dashboard_name = dashboard_name(self, construct_id)
        self.dashboard = OrganizationDashboard(
            self,
            "Dashboard",
            config=config,
            namespace=config.namespace,
            dashboard_name=self.dashboard_name,
            alarms=list(self.alarms.alarms.values()),
        )
        # No export: a member stack of another account could not import it anyway.
        CfnOutput(self, "SinkArn", value=self.sink.sink_arn)
        CfnOutput(self, "AlarmTopicArn", value=self.central_topic.topic.topic_arn)
        CfnOutput(self, "DashboardName", value=self.dashboard_name)
