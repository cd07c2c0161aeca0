"""A CloudWatch dashboard drawn from the metric catalogue: one row per metric group, one-second graphs."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from collector_core import catalogue as cat
from collector_core.catalogue import Group, MetricSpec
from collector_core.collectors import COLLECTORS
from stacks.config_model import DeploymentConfig

ONE_SECOND = Duration.seconds(1)
# Sample delay is a latency: its tail matters more than its mean.
_STATISTICS: dict[str, str] = {cat.SAMPLE_DELAY.name: "p99", cat.COLLECTOR_ERRORS.name: "Average"}


class Dashboard(Construct):
    """`.dashboard`: graphs of every published metric group and the status of every alarm."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        dashboard_name: str,
        alarms: Sequence[cloudwatch.IAlarm],
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=dashboard_name,
            default_interval=Duration.hours(1),
        )
        for group in published_groups(config):
            specs = [spec for spec in cat.ALL_METRICS if spec.group is group]
            self.dashboard.add_widgets(
                cloudwatch.TextWidget(markdown=f"## {group.heading}", width=24, height=1),
                *[_graph(spec, config) for spec in specs],
            )
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(alarms=list(alarms), title="Alarms", width=24, height=4)
        )


def published_groups(config: DeploymentConfig) -> list[Group]:
    """The metric groups this configuration publishes (optional groups only when switched on)."""
    deployed = {group for collector in config.collectors for group in COLLECTORS[collector].groups}
    switched_off = set()
    if not config.service_metrics:
        switched_off.add(Group.ECS_SERVICE)
    if not config.watch_instance_ids:
        switched_off.add(Group.EC2_WATCH)
    if not config.events_mode:
        switched_off.add(Group.EC2_EVENTS)
    return [group for group in Group if group in deployed - switched_off]


def _graph(spec: MetricSpec, config: DeploymentConfig) -> cloudwatch.GraphWidget:
    statistic = _STATISTICS.get(spec.name, "Maximum")
    return cloudwatch.GraphWidget(
        title=f"{spec.name} ({spec.unit.value}, {statistic}, 1 s)",
        left=_lines(spec, config, statistic),
        width=24 // 4 * 2 if spec.group is not Group.HEALTH else 8,
        height=6,
        period=ONE_SECOND,
        left_y_axis=cloudwatch.YAxisProps(min=0, show_units=False),
    )


def _lines(spec: MetricSpec, config: DeploymentConfig, statistic: str) -> list[cloudwatch.IMetric]:
    def metric(dimensions: dict[str, str]) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=config.namespace,
            metric_name=spec.name,
            dimensions_map=dimensions,
            statistic=statistic,
            period=ONE_SECOND,
            label=" ".join(dimensions.values()) or spec.name,
        )

    if spec.dimensions in ((cat.STATE,),):
        states = cat.INSTANCE_STATES if spec.group is Group.EC2 else cat.VOLUME_STATES
        return [metric({cat.STATE: state}) for state in states]
    if spec.dimensions == (cat.COLLECTOR,):
        return [metric({cat.COLLECTOR: collector.value}) for collector in config.periods]
    if spec.dimensions == (cat.INSTANCE_ID,):
        return [metric({cat.INSTANCE_ID: instance}) for instance in config.watch_instance_ids]
    if spec.dimensions:
        # Clusters and services may be discovered at run time ("*"): a search finds every one published.
        schema = ",".join((config.namespace, *spec.dimensions))
        return [
            cloudwatch.MathExpression(
                expression=f"SEARCH('{{{schema}}} MetricName=\"{spec.name}\"', '{statistic}', 1)",
                label="",
                period=ONE_SECOND,
                using_metrics={},
            )
        ]
    return [metric({})]
