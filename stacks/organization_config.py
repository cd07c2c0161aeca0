"""The `organization` setting: parsed and checked into an OrganizationConfig, or one ConfigError line
naming the key.

With it, the app rolls the pipeline out to every account of some organizational units through a
service-managed StackSet, and links each member to a CloudWatch OAM sink in the monitoring account.
The synth makes no AWS call, so what it cannot look up is given here:

- `organizationId`: the sink's and the asset buckets' policies admit `aws:PrincipalOrgID` equal to it
  (`aws organizations describe-organization`);
- `sinks`: each region's sink ARN, copied from the monitoring stacks' outputs. StackSet parameter
  overrides are not applied to accounts that auto-deployment adds later, so the ARNs go into the
  member template itself (a Mappings section keyed by region); until `sinks` names every region the
  app synthesizes the monitoring stacks only (deploy them first, then the StackSet).
"""

from __future__ import annotations

import contextlib
import json
import re
from functools import cache
from typing import Any

import botocore.loaders

from stacks.config_model import ORGANIZATION_KEY as KEY
from stacks.config_model import ConfigError, OrganizationConfig

# AWS::CloudFormation::StackSet DeploymentTargets / StackSetAutoDeploymentTargetSummary
# (CloudFormation API Reference): an OU "ou-" + 4-32 + "-" + 8-32, or a root "r-" + 4-32, lowercase
# letters or digits.
_OU_OR_ROOT = re.compile(r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$")
# Organizations API Reference, Organization.Id: "o-" followed by 10 to 32 lowercase letters or digits.
_ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_ACCOUNT = re.compile(r"^\d{12}$")
# CloudWatch OAM API Reference, TagResource: "The ARN format of a sink is
# arn:aws:oam:Region:account-id:sink/sink-id" (other partitions: arn:aws-cn:..., arn:aws-us-gov:...).
_SINK_ARN = re.compile(r"^arn:aws[a-z-]*:oam:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):sink/[A-Za-z0-9-]+$")
# The members' code and template: a bucket per region in the management account (stacks.org_assets).
ASSET_BUCKET_PREFIX = "highres-assets"
# S3 bucket names: at most 63 characters (Amazon S3 User Guide, "General purpose bucket naming rules").
MAX_BUCKET_NAME = 63
CALL_AS = ("SELF", "DELEGATED_ADMIN")
REGION_CONCURRENCY = ("SEQUENTIAL", "PARALLEL")
_KEYS = (
    "organizationId",
    "organizationalUnits",
    "regions",
    "monitoringAccount",
    "sinks",
    "callAs",
    "retainStacksOnAccountRemoval",
    "maxConcurrentPercentage",
    "failureTolerancePercentage",
    "regionConcurrency",
)


@cache
def known_regions() -> frozenset[str]:
    """Every region of every partition in botocore's bundled endpoint data (no network)."""
    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    return frozenset(region for partition in endpoints["partitions"] for region in partition["regions"])


def organization(key: str, value: Any) -> OrganizationConfig:
    if isinstance(value, str):  # `-c organization={...}` gives the JSON text
        with contextlib.suppress(json.JSONDecodeError):
            value = json.loads(value)
    if not isinstance(value, dict):
        raise ConfigError(f'{key}: an object like {{"organizationalUnits": ["ou-ab12-cdefgh34"], ...}}')
    unknown = sorted(set(value) - set(_KEYS))
    if unknown:
        raise ConfigError(f"{key}: unknown key(s) {', '.join(unknown)}; known: {', '.join(_KEYS)}")
    for required in ("organizationId", "organizationalUnits", "regions", "monitoringAccount"):
        if required not in value:
            raise ConfigError(f"{key}.{required}: required")
    org_id = str(value["organizationId"])
    if not _ORGANIZATION_ID.match(org_id):
        raise ConfigError(f"{key}.organizationId: {org_id!r} is not an organization id (o- and 10-32 a-z0-9)")
    units = _strings(f"{key}.organizationalUnits", value["organizationalUnits"])
    for unit in units:
        if not _OU_OR_ROOT.match(unit):
            raise ConfigError(
                f"{key}.organizationalUnits: {unit!r} is not an OU id (ou-ab12-cdefgh34) or root id (r-ab12)"
            )
    regions = _strings(f"{key}.regions", value["regions"])
    for region in regions:
        if region not in known_regions():
            raise ConfigError(f"{key}.regions: {region!r} is not an AWS region")
    if len(set(regions)) != len(regions) or len(set(units)) != len(units):
        raise ConfigError(f"{key}: a region or organizational unit is listed twice")
    for region in regions:
        asset_bucket_name(org_id, region)
    account = str(value["monitoringAccount"])
    if not _ACCOUNT.match(account):
        raise ConfigError(f"{key}.monitoringAccount: {account!r} is not a 12-digit AWS account id")
    return OrganizationConfig(
        organization_id=org_id,
        organizational_units=units,
        regions=regions,
        monitoring_account=account,
        sinks=_sinks(f"{key}.sinks", value.get("sinks", {}), regions, account),
        call_as=_choice(f"{key}.callAs", value.get("callAs", "SELF"), CALL_AS),
        retain_stacks_on_account_removal=_flag(
            f"{key}.retainStacksOnAccountRemoval", value.get("retainStacksOnAccountRemoval", False)
        ),
        max_concurrent_percentage=_percentage(
            f"{key}.maxConcurrentPercentage", value.get("maxConcurrentPercentage", 25), low=1
        ),
        failure_tolerance_percentage=_percentage(
            f"{key}.failureTolerancePercentage", value.get("failureTolerancePercentage", 10), low=0
        ),
        region_concurrency=_choice(
            f"{key}.regionConcurrency", value.get("regionConcurrency", "SEQUENTIAL"), REGION_CONCURRENCY
        ),
    )


def asset_bucket_prefix(organization_id: str) -> str:
    """Bucket names are global: the organization's id makes them its own."""
    return f"{ASSET_BUCKET_PREFIX}-{organization_id}"


def asset_bucket_name(organization_id: str, region: str) -> str:
    name = f"{asset_bucket_prefix(organization_id)}-{region}"
    if len(name) > MAX_BUCKET_NAME:
        raise ConfigError(
            f"{KEY}.organizationId: the asset bucket name {name} is longer than {MAX_BUCKET_NAME} characters"
        )
    return name


def check_targets(org: OrganizationConfig, target_accounts: tuple[str | None, ...]) -> None:
    """The monitoring account watches the members; it must not also be one of the `targets`."""
    if org.monitoring_account in target_accounts:
        raise ConfigError(
            f"{KEY}.monitoringAccount: {org.monitoring_account} is also listed in targets; "
            "the monitoring account cannot be a member"
        )


def _sinks(key: str, value: Any, regions: tuple[str, ...], account: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f'{key}: an object of region -> sink ARN, e.g. {{"eu-west-1": "arn:aws:oam:..."}}')
    sinks = {}
    for region, arn in value.items():
        if region not in regions:
            raise ConfigError(f"{key}.{region}: not one of organization.regions")
        match = _SINK_ARN.match(str(arn))
        if not match:
            raise ConfigError(
                f"{key}.{region}: {arn!r} is not an OAM sink ARN (arn:aws:oam:<region>:<account>:sink/<id>)"
            )
        if match["region"] != region or match["account"] != account:
            raise ConfigError(
                f"{key}.{region}: {arn} is a sink of {match['account']} in {match['region']}, "
                f"not of the monitoring account {account} in {region}"
            )
        sinks[region] = str(arn)
    return sinks


def _strings(key: str, value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(item, str) for item in items):
        raise ConfigError(f"{key}: give a non-empty list of strings")
    return tuple(items)


def _choice(key: str, value: Any, options: tuple[str, ...]) -> str:
    text = str(value).upper()
    if text not in options:
        raise ConfigError(f"{key}: {value!r} is not one of {', '.join(options)}")
    return text


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key}: {value!r} is not true or false")
    return value


def _percentage(key: str, value: Any, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 100:
        raise ConfigError(f"{key}: {value!r} is not a whole percentage from {low} to 100")
    return value
