"""The three templates an organization's bill is read from: a member account's (the StackSet's member
template), the monitoring account's per region, and the single-account stack to compare with.

They come from the config's `organization` block. A config without one (the default) is priced as
the same settings rolled out to a stand-in organization in the regions given, and one whose `sinks`
are not known yet (the monitoring stacks are not deployed) gets placeholder sink ARNs: neither the
ids nor the ARNs change what anything costs, only the regions do.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cost.items import REPO_ROOT, EstimateError
from stacks.config_model import ConfigError, DeploymentConfig, OrganizationConfig
from synthesis.synth import SynthError, synth_app
from synthesis.synthesized import Synthesized
from synthesis.toolchain import prefer_venv_node

# The stand-in organization: ids of the right form that name nobody.
STAND_IN_ORGANIZATION_ID = "o-standin0000"
STAND_IN_ROOT = "r-0000"
STAND_IN_MONITORING_ACCOUNT = "000000000000"
DEFAULT_STAND_IN_REGIONS = ("us-east-1",)


@dataclass(frozen=True)
class OrganizationTemplates:
    single: Synthesized  # the config's first target: today's single-account stack
    member: Synthesized  # one member account in one region
    monitoring: dict[str, Synthesized]  # region -> the monitoring account's stack there
    stand_in: bool  # the config has no organization block: a stand-in organization was priced


def organization_of(config: DeploymentConfig, regions: tuple[str, ...] | None) -> OrganizationConfig:
    """The config's organization (in `regions` if given), else a stand-in one; sinks filled in."""
    from stacks.organization_config import known_regions

    for region in regions or ():
        if region not in known_regions():
            raise EstimateError(f"--regions: {region} is not an AWS region")
    org = config.organization or OrganizationConfig(
        organization_id=STAND_IN_ORGANIZATION_ID,
        organizational_units=(STAND_IN_ROOT,),
        regions=regions or DEFAULT_STAND_IN_REGIONS,
        monitoring_account=STAND_IN_MONITORING_ACCOUNT,
    )
    if regions:
        org = dataclasses.replace(org, regions=regions)
    account = org.monitoring_account
    sinks = {r: org.sinks.get(r) or f"arn:aws:oam:{r}:{account}:sink/cost-estimate" for r in org.regions}
    return dataclasses.replace(org, sinks=sinks)


def load_organization(config_file: str | None, regions: tuple[str, ...] | None) -> OrganizationTemplates:
    """The templates of an in-process synth of the config in organization mode (cdk.out/ holds no
    member template until `organization.sinks` names every region, so it is not read)."""
    prefer_venv_node()
    from stacks.deployment_config import load_config

    try:
        config = load_config({"configFile": config_file} if config_file else {}, REPO_ROOT)
    except ConfigError as error:
        raise EstimateError(str(error)) from None
    stand_in = config.organization is None
    org = organization_of(config, regions)
    with tempfile.TemporaryDirectory(prefix="highres-org-cost-") as outdir:
        try:
            synth_app(dataclasses.replace(config, organization=org), Path(outdir))
        except SynthError as error:
            raise EstimateError(str(error)) from None
        return _read(Path(outdir), config, org, stand_in)


def _read(
    assembly: Path, config: DeploymentConfig, org: OrganizationConfig, stand_in: bool
) -> OrganizationTemplates:
    # organization_app imports aws_cdk, which starts jsii: only after prefer_venv_node().
    from stacks.organization_app import MEMBER_ASSEMBLY, MEMBER_STACK, monitoring_stack_name

    member = json.loads((assembly / MEMBER_ASSEMBLY / f"{MEMBER_STACK}.template.json").read_text())
    return OrganizationTemplates(
        single=Synthesized.load(assembly, config.targets[0].stack_name),
        member=Synthesized(member),
        monitoring={r: Synthesized.load(assembly, monitoring_stack_name(r)) for r in org.regions},
        stand_in=stand_in,
    )
