"""One deployable stack per account and region: the pipeline construct and the stack's outputs."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from stacks.config_model import DeploymentConfig
from stacks.constructs.pipeline_construct import HighResPipeline


class HighResMetricsStack(Stack):
    """Holds one HighResPipeline (construct id "Default": logical ids as if its parts were the
    stack's own) and outputs what the operator's tools look up."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeploymentConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.pipeline = HighResPipeline(self, "Default", config=config, name_prefix=construct_id)
        CfnOutput(self, "StateMachineArn", value=self.pipeline.sampler.state_machine.state_machine_arn)
        CfnOutput(self, "AlarmTopicArn", value=self.pipeline.alarms.topic.topic_arn)
        if self.pipeline.dashboard_name is not None:
            CfnOutput(self, "DashboardName", value=self.pipeline.dashboard_name)
