"""The organization's rollout: a service-managed StackSet that deploys the member template to every
account of the configured OUs in the configured regions, and to each account that joins them later."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnOutput, CfnStackSet, Stack
from constructs import Construct

from stacks.config_model import STACK_NAME_PREFIX, ConfigError, OrganizationConfig

STACK_SET_NAME = STACK_NAME_PREFIX
# CloudFormation quotas (AWS CloudFormation User Guide, "Understand CloudFormation quotas"): a
# template body passed inline is at most 51,200 bytes, one read from S3 at most 1 MB, and a template
# declares at most 500 resources.
MAX_INLINE_TEMPLATE_BYTES = 51_200
MAX_S3_TEMPLATE_BYTES = 1_000_000
MAX_RESOURCES = 500


def check_template_limits(template_text: str, *, inline: bool) -> None:
    """Refuse, at synth, a member template CloudFormation would refuse at deploy."""
    size = len(template_text.encode())
    limit = MAX_INLINE_TEMPLATE_BYTES if inline else MAX_S3_TEMPLATE_BYTES
    if size > limit:
        how = "inline (TemplateBody)" if inline else "from S3 (TemplateURL)"
        raise ConfigError(f"organization: the member template is {size:,} bytes, over {limit:,} {how}")
    resources = len(json.loads(template_text).get("Resources", {}))
    if resources > MAX_RESOURCES:
        raise ConfigError(
            f"organization: the member template declares {resources} resources, over {MAX_RESOURCES}"
        )


class StackSetStack(Stack):
    """Deployed in the management account (callAs SELF) or a delegated administrator (DELEGATED_ADMIN)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        organization: OrganizationConfig,
        template_url: str,
        capabilities: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        org = organization
        self.stack_set = CfnStackSet(
            self,
            "StackSet",
            stack_set_name=STACK_SET_NAME,
            description="One-second CloudWatch metrics of ECS, EC2 and EBS state in every member account",
            # SERVICE_MANAGED: StackSets creates the roles it needs in the members through the trusted
            # access with AWS Organizations, and auto-deployment is available only with it.
            permission_model="SERVICE_MANAGED",
            call_as=org.call_as,
            auto_deployment=CfnStackSet.AutoDeploymentProperty(
                enabled=True, retain_stacks_on_account_removal=org.retain_stacks_on_account_removal
            ),
            stack_instances_group=[
                CfnStackSet.StackInstancesProperty(
                    # Every account of the OUs but the monitoring account: a member instance
                    # there would link the account to its own sink and page its own topic twice,
                    # and with fewer than ten accounts in a region one failed instance stops the
                    # whole operation (the failure tolerance rounds down to 0). DIFFERENCE: "deploys
                    # to the OU, excluding the accounts specified" (DeploymentTargets reference).
                    deployment_targets=CfnStackSet.DeploymentTargetsProperty(
                        organizational_unit_ids=list(org.organizational_units),
                        account_filter_type="DIFFERENCE",
                        accounts=[org.monitoring_account],
                    ),
                    regions=list(org.regions),
                )
            ],
            operation_preferences=CfnStackSet.OperationPreferencesProperty(
                region_concurrency_type=org.region_concurrency,
                region_order=list(org.regions),
                max_concurrent_percentage=org.max_concurrent_percentage,
                failure_tolerance_percentage=org.failure_tolerance_percentage,
            ),
            # Only one operation runs on a StackSet at a time; with managed execution CloudFormation
            # queues a conflicting one instead of refusing it (AWS::CloudFormation::StackSet
            # ManagedExecution).
            managed_execution={"Active": True},
            capabilities=capabilities,
            template_url=template_url,
        )
        CfnOutput(self, "StackSetName", value=STACK_SET_NAME)
