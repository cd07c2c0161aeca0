"""Lambda code that StackSet members can read: one asset bucket per region in the management account,
readable by the organization only, and the two synthesizers that put the member's assets there.

A member account cannot read the management account's CDK bootstrap bucket, and Lambda reads a
function's code from "an Amazon S3 bucket in the same AWS Region as your function. The bucket can be
in a different AWS account" (Lambda API Reference, FunctionCode.S3Bucket). So:

- `MemberAssetSynthesizer` (the member stack's): every file asset lives at
  `<prefix>-<AWS::Region>/<hash>.zip`, the region being the stack instance's own;
- `OrganizationAssetSynthesizer` (the StackSet stack's): an asset manifest that uploads each of those
  files, and the member template, to every region's bucket. The CDK CLI publishes the asset manifests a
  stack depends on before it deploys the stack, and after the stacks it depends on (the buckets).

No Lambda-backed copy (cdk-stacksets' BucketDeployment) and no extra dependency: the CLI's own asset
publishing does the copy. README "Deploying to an organization" says why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import cloud_assembly_schema as schema
from constructs import Construct

from stacks.config_model import ConfigError
from stacks.nag import acknowledge, skip_checkov
from stacks.organization_config import asset_bucket_name


@dataclass(frozen=True)
class AssetFile:
    """One file to upload to every region's bucket: its path relative to the app's assembly."""

    path: str
    packaging: schema.FileAssetPackaging
    object_key: str

    @classmethod
    def of_template(cls, path: str, text: str) -> AssetFile:
        digest = hashlib.sha256(text.encode()).hexdigest()
        return cls(path, schema.FileAssetPackaging.FILE, f"{digest}.json")


class MemberAssetSynthesizer(cdk.StackSynthesizer):
    """The member stack's assets are read from its own region's organization asset bucket."""

    def __init__(self, bucket_prefix: str, assembly_subdir: str) -> None:
        super().__init__()
        self._prefix = bucket_prefix
        self._subdir = assembly_subdir
        self.files: list[AssetFile] = []

    def add_file_asset(self, asset: cdk.FileAssetSource) -> cdk.FileAssetLocation:  # type: ignore[override]
        if not asset.file_name or asset.executable:
            raise ConfigError("organization: a member asset must be a file or directory staged by CDK")
        directory = asset.packaging == cdk.FileAssetPackaging.ZIP_DIRECTORY
        key = f"{asset.source_hash}{'.zip' if directory else Path(asset.file_name).suffix}"
        packaging = schema.FileAssetPackaging.ZIP_DIRECTORY if directory else schema.FileAssetPackaging.FILE
        self.files.append(AssetFile(f"{self._subdir}/{asset.file_name}", packaging, key))
        bucket = cdk.Fn.join("-", [self._prefix, cdk.Aws.REGION])
        return cdk.FileAssetLocation(
            bucket_name=bucket,
            object_key=key,
            http_url=cdk.Fn.join(
                "", ["https://", bucket, ".s3.", cdk.Aws.REGION, ".", cdk.Aws.URL_SUFFIX, "/", key]
            ),
            s3_object_url=cdk.Fn.join("", ["s3://", bucket, "/", key]),
        )

    def add_docker_image_asset(self, asset: cdk.DockerImageAssetSource) -> cdk.DockerImageAssetLocation:  # type: ignore[override]
        raise ConfigError("organization: the member template has no container image assets")

    def synthesize(self, session: cdk.ISynthesisSession) -> None:
        self._synthesize_template(session)
        self._emit_artifact(session)


class OrganizationAssetSynthesizer(cdk.StackSynthesizer):
    """The StackSet stack's: it depends on an asset manifest that uploads `files` to every region's
    bucket, so `cdk deploy` of this stack publishes them first. It deploys with the CLI's credentials
    (those of the management account or delegated administrator), not the bootstrap roles."""

    def __init__(self, files: Sequence[AssetFile], buckets: dict[str, str]) -> None:
        super().__init__()
        self._files = list(files)
        self._buckets = buckets

    def add_file_asset(self, asset: cdk.FileAssetSource) -> cdk.FileAssetLocation:  # type: ignore[override]
        raise ConfigError("organization: the StackSet stack has no file assets of its own")

    def add_docker_image_asset(self, asset: cdk.DockerImageAssetSource) -> cdk.DockerImageAssetLocation:  # type: ignore[override]
        raise ConfigError("organization: the StackSet stack has no container image assets")

    def synthesize(self, session: cdk.ISynthesisSession) -> None:
        stack = self._bound_stack
        self._synthesize_template(session)
        builder = cdk.AssetManifestBuilder()
        for file in self._files:
            for region, bucket in self._buckets.items():
                builder.add_file_asset(
                    stack,
                    file.object_key.split(".")[0],
                    schema.FileSource(path=file.path, packaging=file.packaging),
                    schema.FileDestination(bucket_name=bucket, object_key=file.object_key, region=region),
                )
        manifest_id = builder.emit_manifest(stack, session)
        self._emit_artifact(session, additional_dependencies=[manifest_id])


class AssetBucketStack(cdk.Stack):
    """One region's bucket of member assets, in the management (or delegated administrator) account:
    any principal of the organization may read objects, nobody else, over TLS only."""

    def __init__(self, scope: Construct, construct_id: str, *, organization_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.bucket = s3.Bucket(
            self,
            "Assets",
            bucket_name=asset_bucket_name(organization_id, self.region),
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        )
        # CloudFormation in a member account creates the functions with the StackSet execution role
        # of that account, which reads the code: aws:PrincipalOrgID admits exactly the organization
        # ("aws:PrincipalOrgID", IAM User Guide, AWS global condition context keys).
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OrganizationReadsAssets",
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject"],
                resources=[self.bucket.arn_for_objects("*")],
                conditions={"StringEquals": {"aws:PrincipalOrgID": organization_id}},
            )
        )
        logging_reason = (
            "The bucket holds the pipeline's code and template, written only by `cdk deploy` and read by "
            "CloudFormation; CloudTrail records both, and an access-log bucket per region would add a "
            "bucket to secure for no new information."
        )
        acknowledge(self.bucket, "AwsSolutions-S1", logging_reason)
        skip_checkov(self.bucket, "CKV_AWS_18", logging_reason)
        cdk.CfnOutput(self, "AssetBucketName", value=self.bucket.bucket_name)


def template_url(bucket: str, region: str, object_key: str) -> str:
    return f"https://{bucket}.s3.{region}.{cdk.Aws.URL_SUFFIX}/{object_key}"
