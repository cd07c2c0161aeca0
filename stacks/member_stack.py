"""The StackSet's member template: the same HighResPipeline as the single-account stack, its alarms
paging the organization's central topic, plus the OAM link that shares the account's metrics with
its region's sink in the monitoring account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Aws, CfnMapping, Stack
from aws_cdk import aws_oam as oam
from constructs import Construct

from stacks.config_model import STACK_NAME_PREFIX, DeploymentConfig
from stacks.constructs.central_topic_construct import import_central_topic
from stacks.constructs.pipeline_construct import HighResPipeline

SINK_MAPPING = "MonitoringSinks"
SINK_ARN = "SinkArn"


class MemberStack(Stack):
    """`.pipeline` and `.link`; `sinks` maps each region to its sink ARN.

    The ARNs sit in the template's Mappings, keyed by region, and the link picks its region's with
    Fn::FindInMap: StackSet parameter overrides are not applied to the instances auto-deployment
    creates in accounts that join the OUs later, so a parameter could not carry them.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        sinks: Mapping[str, str],
        monitoring_account: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, analytics_reporting=False, **kwargs)
        # The topic of the member's own region in the monitoring account; its name is fixed, so
        # the ARN is known without a lookup.
        central = import_central_topic(self, "CentralAlarmTopic", monitoring_account)
        self.pipeline = HighResPipeline(
            self, "Default", config=config, name_prefix=STACK_NAME_PREFIX, central_topic=central
        )
        mapping = CfnMapping(
            self, SINK_MAPPING, mapping={region: {SINK_ARN: arn} for region, arn in sorted(sinks.items())}
        )
        # Metrics only, and only the pipeline's namespace: the monitoring account's dashboard and
        # alarms read those, and the account's other metrics stay its own (AWS::Oam::Link
        # ResourceTypes; OAM API Reference, MetricConfiguration: "Namespace = '...'" filters, names in
        # single quotes, which a namespace cannot contain). $AccountName labels the account there.
        self.link = oam.CfnLink(
            self,
            "MonitoringLink",
            resource_types=["AWS::CloudWatch::Metric"],
            sink_identifier=mapping.find_in_map(Aws.REGION, SINK_ARN),
            label_template="$AccountName",
            link_configuration=oam.CfnLink.LinkConfigurationProperty(
                metric_configuration=oam.CfnLink.LinkFilterProperty(filter=metric_filter(config.namespace))
            ),
        )


def metric_filter(namespace: str) -> str:
    """The OAM link's metric filter: this pipeline's namespace only."""
    return f"Namespace = '{namespace}'"
