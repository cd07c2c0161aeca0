"""The `organization` setting: its defaults, and one line naming the key for each bad value."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.deployment_config import ConfigError, parse_config
from stacks.organization_config import known_regions

SINK_EU = "arn:aws:oam:eu-west-1:111122223333:sink/f3a1b2c4-1234-4d5e-8f90-abcdef012345"
SINK_US = "arn:aws:oam:us-east-1:111122223333:sink/0a1b2c3d-1234-4d5e-8f90-abcdef012345"


def _org(**overrides: Any) -> dict[str, Any]:
    org: dict[str, Any] = {
        "organizationId": "o-a1b2c3d4e5",
        "organizationalUnits": ["ou-ab12-cdefgh34"],
        "regions": ["eu-west-1", "us-east-1"],
        "monitoringAccount": "111122223333",
    }
    org.update(overrides)
    return {key: value for key, value in org.items() if value is not None}


def test_organization_defaults_roll_out_region_by_region_and_delete_on_removal() -> None:
    org = parse_config({"organization": _org()}).organization

    assert org is not None
    assert org.call_as == "SELF"
    assert org.region_concurrency == "SEQUENTIAL"
    assert (org.max_concurrent_percentage, org.failure_tolerance_percentage) == (25, 10)
    assert org.retain_stacks_on_account_removal is False
    assert org.regions == ("eu-west-1", "us-east-1") and org.sinks == {}


def test_organization_without_every_sink_is_pending_with_one_line() -> None:
    org = parse_config({"organization": _org(sinks={"eu-west-1": SINK_EU})}).organization

    assert org is not None and not org.ready
    assert org.pending_note is not None and len(org.pending_note.splitlines()) == 1
    assert "organization.sinks: no sink ARN for us-east-1" in org.pending_note


def test_organization_with_a_sink_per_region_is_ready() -> None:
    org = parse_config(
        {"organization": _org(sinks={"eu-west-1": SINK_EU, "us-east-1": SINK_US})}
    ).organization

    assert org is not None and org.ready and org.pending_note is None


def test_organization_accepts_a_root_and_the_optional_keys() -> None:
    org = parse_config(
        {
            "organization": _org(
                organizationalUnits=["r-ab12"],
                callAs="delegated_admin",
                retainStacksOnAccountRemoval=True,
                maxConcurrentPercentage=100,
                failureTolerancePercentage=0,
                regionConcurrency="PARALLEL",
            )
        }
    ).organization

    assert org is not None
    assert org.organizational_units == ("r-ab12",) and org.call_as == "DELEGATED_ADMIN"
    assert org.retain_stacks_on_account_removal and org.region_concurrency == "PARALLEL"


def test_the_default_config_has_no_organization() -> None:
    assert parse_config({}).organization is None


def test_known_regions_come_from_botocore_and_include_every_partition() -> None:
    regions = known_regions()
    assert {"eu-west-1", "us-east-1", "cn-north-1", "us-gov-west-1"} <= regions
    assert "eu-west-9" not in regions


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"organization": "ou-ab12-cdefgh34"}, "organization: an object like"),
        (
            {"organization": _org(organizationalUnits=["ou-AB12-cdefgh34"])},
            "organization.organizationalUnits: 'ou-AB12",
        ),
        (
            {"organization": _org(organizationalUnits=["ou-ab1-cdefgh34"])},
            "organization.organizationalUnits: 'ou-ab1-",
        ),
        (
            {"organization": _org(organizationalUnits=["ou-ab12-cdefg"])},
            "is not an OU id (ou-ab12-cdefgh34) or root id",
        ),
        ({"organization": _org(organizationalUnits=["r-ab1"])}, "organization.organizationalUnits: 'r-ab1'"),
        (
            {"organization": _org(organizationalUnits=[])},
            "organization.organizationalUnits: give a non-empty list",
        ),
        (
            {"organization": _org(regions=["eu-west-9"])},
            "organization.regions: 'eu-west-9' is not an AWS region",
        ),
        ({"organization": _org(regions=["eu-west-1", "eu-west-1"])}, "listed twice"),
        (
            {"organization": _org(monitoringAccount="11112222333")},
            "organization.monitoringAccount: '11112222333' is not a 12-digit",
        ),
        (
            {"organization": _org(organizationId="o-short")},
            "organization.organizationId: 'o-short' is not an organization id",
        ),
        ({"organization": _org(organizationId=None)}, "organization.organizationId: required"),
        ({"organization": _org(regions=None)}, "organization.regions: required"),
        (
            {"organization": _org(callAs="ADMIN")},
            "organization.callAs: 'ADMIN' is not one of SELF, DELEGATED_ADMIN",
        ),
        (
            {"organization": _org(regionConcurrency="RANDOM")},
            "organization.regionConcurrency: 'RANDOM' is not one of",
        ),
        (
            {"organization": _org(maxConcurrentPercentage=0)},
            "organization.maxConcurrentPercentage: 0 is not a whole percentage",
        ),
        (
            {"organization": _org(failureTolerancePercentage=101)},
            "organization.failureTolerancePercentage: 101",
        ),
        (
            {"organization": _org(retainStacksOnAccountRemoval="yes")},
            "organization.retainStacksOnAccountRemoval: 'yes'",
        ),
        ({"organization": _org(ou=["x"])}, "organization: unknown key(s) ou"),
        (
            {"organization": _org(sinks={"eu-west-1": "arn:aws:oam:eu-west-1:111122223333:link/x"})},
            "organization.sinks.eu-west-1: 'arn:aws:oam:eu-west-1:111122223333:link/x' is not an OAM sink",
        ),
        (
            {"organization": _org(sinks={"eu-west-1": SINK_US})},
            "organization.sinks.eu-west-1: " + SINK_US + " is a sink of 111122223333 in us-east-1",
        ),
        (
            {"organization": _org(sinks={"eu-west-1": SINK_EU.replace("111122223333", "444455556666")})},
            "is a sink of 444455556666 in eu-west-1, not of the monitoring account",
        ),
        (
            {"organization": _org(sinks={"ap-south-1": SINK_EU})},
            "organization.sinks.ap-south-1: not one of organization.regions",
        ),
        (
            {"organization": _org(organizationId="o-" + "a" * 32, regions=["ap-southeast-5"])},
            "organization.organizationId: the asset bucket name highres-assets-o-",
        ),
        (
            {"organization": _org(), "targets": [{"account": "111122223333", "region": "eu-west-1"}]},
            "organization.monitoringAccount: 111122223333 is also listed in targets",
        ),
    ],
)
def test_bad_organization_stops_with_one_line_naming_the_key(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(settings)
    assert message in str(error.value)
    assert len(str(error.value).splitlines()) == 1
