"""Builds the CDK app for a configuration: used by app.py, the tests, the demo and the cost model."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.config_model import DeploymentConfig
from stacks.highres_stack import HighResMetricsStack
from stacks.organization_app import build_organization

STACK_DESCRIPTION = "One-second CloudWatch metrics of ECS, EC2 and EBS state (highres-metrics)"


def build_app(
    config: DeploymentConfig, app: cdk.App | None = None
) -> tuple[cdk.App, list[HighResMetricsStack]]:
    """One stack per target (and, with `organization`, the organization's stacks after them), with
    cdk-nag's AwsSolutions checks run at synth. Returns the targets' stacks."""
    app = app or cdk.App()
    stacks = []
    for target in config.targets:
        env = (
            cdk.Environment(account=target.account, region=target.region)
            if target.account or target.region
            else None
        )
        stacks.append(
            HighResMetricsStack(app, target.stack_name, config=config, env=env, description=STACK_DESCRIPTION)
        )
    if config.organization is not None:
        build_organization(app, config, config.organization)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stacks
