"""The monitoring account's dashboard: every account's clusters and EC2/EBS states in one place.

Each graph is one Metrics Insights query over the catalogue metric's exact dimensions, grouped by
the source account (`GROUP BY AWS.AccountId, ClusterName`), so an account or a cluster that
appears later is on it with no deploy. Metrics Insights aggregates to one minute and returns at
most 500 series per query (Metrics Insights quotas,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-limits.html):
this is the fleet's overview; a member's own one-second dashboard stays in that account.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from collector_core import catalogue as cat
from collector_core.catalogue import Group, MetricSpec
from collector_core.insights import insights_query
from stacks.alarm_catalogue import FLEET_PERIOD
from stacks.config_model import DeploymentConfig
from stacks.constructs.dashboard_construct import published_groups

# The rows of the overview; watched instances and the events mode's repairs are per-account detail.
ORGANIZATION_GROUPS = (Group.ECS, Group.ECS_SERVICE, Group.EC2, Group.EBS, Group.HEALTH)
# Metrics Insights has no percentiles: a latency's worst minute, an error rate's mean.
_FUNCTIONS: dict[str, str] = {cat.SAMPLE_DELAY.name: "MAX", cat.COLLECTOR_ERRORS.name: "AVG"}


class OrganizationDashboard(Construct):
    """`.dashboard`: a row per metric group the members publish, a graph per metric, then the
    organization alarms' states."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        namespace: str,
        dashboard_name: str,
        alarms: Sequence[cloudwatch.IAlarm],
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=dashboard_name, default_interval=Duration.hours(3)
        )
        for group in published_groups(config):
            if group not in ORGANIZATION_GROUPS:
                continue
            self.dashboard.add_widgets(
                cloudwatch.TextWidget(markdown=f"## {group.heading}, every account", width=24, height=1),
                *[_graph(spec, namespace) for spec in cat.ALL_METRICS if spec.group is group],
            )
        if alarms:
            self.dashboard.add_widgets(
                cloudwatch.AlarmStatusWidget(
                    alarms=list(alarms), title="Organization alarms", width=24, height=4
                )
            )


def organization_query(spec: MetricSpec, namespace: str) -> str:
    """The graph's query: one series per account and value of the metric's dimensions."""
    return insights_query(_FUNCTIONS.get(spec.name, "MAX"), spec, namespace, by_account=True)


def _graph(spec: MetricSpec, namespace: str) -> cloudwatch.GraphWidget:
    function = _FUNCTIONS.get(spec.name, "MAX")
    return cloudwatch.GraphWidget(
        title=f"{spec.name} ({spec.unit.value}, {function} per minute, by account)",
        left=[
            cloudwatch.MathExpression(
                expression=organization_query(spec, namespace),
                label="",
                period=Duration.seconds(FLEET_PERIOD),
                using_metrics={},
            )
        ],
        width=12 if spec.group is not Group.HEALTH else 8,
        height=6,
        left_y_axis=cloudwatch.YAxisProps(min=0, show_units=False),
    )
