"""The organization's stacks, in the order they deploy: the monitoring account's stacks per region,
then (once `organization.sinks` names every region) the asset buckets per region and the StackSet.

The member template is synthesized first, in an app of its own inside the assembly (`member/`): the
StackSet needs its size, resource count and hash at construction, and it is not a stack the CDK CLI
should ever deploy by itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.config_model import STACK_NAME_PREFIX, DeploymentConfig, OrganizationConfig
from stacks.member_stack import MemberStack
from stacks.monitoring_stack import MonitoringStack
from stacks.org_assets import (
    AssetBucketStack,
    AssetFile,
    MemberAssetSynthesizer,
    OrganizationAssetSynthesizer,
    template_url,
)
from stacks.organization_config import asset_bucket_name, asset_bucket_prefix
from stacks.stackset_stack import StackSetStack, check_template_limits

MEMBER_ASSEMBLY = "member"
MEMBER_STACK = f"{STACK_NAME_PREFIX}Member"
STACK_SET_STACK = f"{STACK_NAME_PREFIX}StackSet"


def monitoring_stack_name(region: str) -> str:
    return f"{STACK_NAME_PREFIX}Monitoring-{region}"


def asset_stack_name(region: str) -> str:
    return f"{STACK_NAME_PREFIX}Assets-{region}"


@dataclass(frozen=True)
class MemberTemplate:
    template: AssetFile
    assets: tuple[AssetFile, ...]
    capabilities: list[str]


def build_organization(app: cdk.App, config: DeploymentConfig, org: OrganizationConfig) -> list[cdk.Stack]:
    """The organization's stacks in `app`; only the monitoring stacks until every sink is known."""
    stacks: list[cdk.Stack] = [
        MonitoringStack(
            app,
            monitoring_stack_name(region),
            organization_id=org.organization_id,
            config=config,
            env=cdk.Environment(account=org.monitoring_account, region=region),
        )
        for region in org.regions
    ]
    if not org.ready:
        return stacks
    member = synth_member(Path(app.outdir), config, org)
    buckets = {region: asset_bucket_name(org.organization_id, region) for region in org.regions}
    bucket_stacks = [
        AssetBucketStack(
            app,
            asset_stack_name(region),
            organization_id=org.organization_id,
            env=cdk.Environment(region=region),
            description="Code and template of the highres-metrics StackSet, readable by the organization",
        )
        for region in org.regions
    ]
    # The StackSet reads the member template from the bucket of the region it is deployed in.
    home = org.regions[0]
    stack_set = StackSetStack(
        app,
        STACK_SET_STACK,
        organization=org,
        template_url=template_url(buckets[home], home, member.template.object_key),
        capabilities=member.capabilities,
        env=cdk.Environment(region=home),
        synthesizer=OrganizationAssetSynthesizer([member.template, *member.assets], buckets),
        description="The highres-metrics StackSet: the pipeline in every account of the organization's OUs",
    )
    for bucket_stack in bucket_stacks:
        stack_set.add_stack_dependency(bucket_stack, "the assets are uploaded into the buckets")
    return [*stacks, *bucket_stacks, stack_set]


def synth_member(outdir: Path, config: DeploymentConfig, org: OrganizationConfig) -> MemberTemplate:
    """Synthesize the member stack (cdk-nag included) into `outdir/member` and check its limits."""
    member_app = cdk.App(outdir=str(outdir / MEMBER_ASSEMBLY))
    synthesizer = MemberAssetSynthesizer(asset_bucket_prefix(org.organization_id), MEMBER_ASSEMBLY)
    MemberStack(
        member_app,
        MEMBER_STACK,
        config=config,
        sinks=org.sinks,
        monitoring_account=org.monitoring_account,
        synthesizer=synthesizer,
    )
    cdk.Validations.of(member_app).add_plugins(AwsSolutionsChecks(member_app))
    member_app.synth()
    path = f"{MEMBER_ASSEMBLY}/{MEMBER_STACK}.template.json"
    text = (outdir / path).read_text()
    check_template_limits(text, inline=False)
    return MemberTemplate(AssetFile.of_template(path, text), tuple(synthesizer.files), capabilities(text))


def capabilities(template_text: str) -> list[str]:
    """CAPABILITY_IAM for the functions' roles; NAMED_IAM only if a role or policy is given a name."""
    resources = json.loads(template_text).get("Resources", {}).values()
    named = any(
        r["Type"].startswith("AWS::IAM::")
        and {"RoleName", "ManagedPolicyName", "UserName", "GroupName"} & set(r.get("Properties", {}))
        for r in resources
    )
    return ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"] if named else ["CAPABILITY_IAM"]
