"""The organization's bill, read from the templates organization mode synthesizes (the config of
tests/infrastructure/test_organization_templates.py: two regions, every sink known)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collector_core.insights import MAX_SERIES
from cost import cli, items, org_templates, pricing
from cost.organization import OrganizationEstimate, estimate_organization, monitoring_estimate
from tests.infrastructure.test_organization_templates import ORGANIZATION, SINKS

OPTIONS = items.Options()


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("org-cost") / "org.config.json"
    path.write_text(json.dumps({"organization": {**ORGANIZATION, "sinks": SINKS}}))
    return path


@pytest.fixture(scope="module")
def templates(config_file: Path) -> org_templates.OrganizationTemplates:
    return org_templates.load_organization(str(config_file), None)


@pytest.fixture(scope="module")
def ten(templates: org_templates.OrganizationTemplates) -> OrganizationEstimate:
    return estimate_organization(templates, OPTIONS, 10)


def _by_name(estimate: items.Estimate) -> dict[str, items.Item]:
    return {i.name: i for i in estimate.items}


def test_org_cost_member_is_the_single_stack_less_exactly_what_it_no_longer_has(
    ten: OrganizationEstimate, templates: org_templates.OrganizationTemplates
) -> None:
    member, single = _by_name(ten.member), _by_name(ten.single)
    gone = {"CloudWatch dashboard", "KMS key (alarm topic)", "CloudWatch Metrics Insights alarms"}
    alarms = "CloudWatch alarms"
    one_more_alarm = pricing.ALARM_STANDARD_MONTH.usd * 12 / 365  # SnapshotNoticesUndelivered, a day

    # the member template has no dashboard, no key and no fleet alarm (the monitoring account's
    # query alarms watch its clusters) and one standard alarm more (its snapshot notices'
    # delivery to the monitoring account); everything else it runs costs the same
    assert not templates.member.resources("AWS::CloudWatch::Dashboard")
    assert not templates.member.resources("AWS::KMS::Key")
    assert all(member[name].usd_per_day == 0 for name in gone if name in member)
    assert member[alarms].quantity_per_day == single[alarms].quantity_per_day + 1
    assert member[alarms].usd_per_day == pytest.approx(single[alarms].usd_per_day + one_more_alarm)
    for name in set(member) & set(single) - gone - {alarms}:
        assert member[name].usd_per_day == pytest.approx(single[name].usd_per_day), name
    assert ten.single.total_usd_per_day - ten.member.total_usd_per_day == pytest.approx(
        sum(single[name].usd_per_day for name in gone) - one_more_alarm
    )
    # what only one of them has is free: the OAM link and the snapshot rule's role (member)
    assert sum(i.usd_per_day for n, i in single.items() if n not in member and n not in gone) == 0
    assert sum(i.usd_per_day for n, i in member.items() if n not in single) == 0
    assert ten.member.total_usd_per_day < ten.single.total_usd_per_day


def test_org_cost_monitoring_query_alarms_analyze_every_members_clusters(
    ten: OrganizationEstimate, templates: org_templates.OrganizationTemplates
) -> None:
    assert ten.regions == ORGANIZATION["regions"]
    for region, monitoring in ten.monitoring.items():
        query_alarms = [a for a in templates.monitoring[region].alarms if a.query]
        item = _by_name(monitoring)["CloudWatch Metrics Insights alarms"]

        assert query_alarms and all("AWS.AccountId" in (a.query or "") for a in query_alarms)
        assert item.usd_per_month == pytest.approx(
            len(query_alarms) * 10 * OPTIONS.clusters * pricing.ALARM_INSIGHTS_METRIC_MONTH.usd
        )
        assert _by_name(monitoring)["CloudWatch dashboard"].quantity_per_day == 1
        assert _by_name(monitoring)["OAM sink (shared metrics)"].usd_per_day == 0


def test_org_cost_total_is_n_by_r_members_plus_r_monitoring_and_grows_linearly_in_n(
    templates: org_templates.OrganizationTemplates,
) -> None:
    by_n = {n: estimate_organization(templates, OPTIONS, n) for n in (10, 20, 30)}
    totals = {n: e.organization_usd_per_month() for n, e in by_n.items()}

    for n, org in by_n.items():
        member = org.member.total_usd_per_day * items.DAYS_PER_MONTH
        monitoring = sum(m.total_usd_per_day for m in org.monitoring.values()) * items.DAYS_PER_MONTH
        assert totals[n] == pytest.approx(n * 2 * member + monitoring)
    assert totals[20] - totals[10] == pytest.approx(totals[30] - totals[20])
    # a member's share of the monitoring account shrinks as the organization grows
    shares = [by_n[n].report()["all_in_usd_per_member_account_per_month"] for n in (10, 20, 30)]
    assert shares == sorted(shares, reverse=True)


def test_org_cost_cli_json_gives_the_all_in_figure_per_member_account(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["--organization", "--member-accounts", "100", "--config", str(config_file), "--json"])

    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["member_accounts"] == 100 and data["regions"] == ORGANIZATION["regions"]
    assert data["stand_in_organization"] is False
    assert data["all_in_usd_per_member_account_per_month"] == pytest.approx(
        data["organization_usd_per_month"] / 100, abs=1e-3
    )
    assert (
        data["all_in_usd_per_member_account_region_per_month"] < data["single_account_all_in_usd_per_month"]
    )
    assert data["ratio_member_account_region_to_single_account"] < 1
    assert {"breakdown", "total_usd_per_month"} <= set(data["member_account_per_region"])
    assert set(data["monitoring_account_per_region"]) == set(ORGANIZATION["regions"])


def test_org_cost_without_an_organization_block_prices_a_stand_in_in_the_regions_given(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli.main(["--member-accounts", "3", "--regions", "eu-west-1", "--compare-original"])

    out = capsys.readouterr().out
    assert code == 0
    assert "3 member accounts x 1 regions (eu-west-1)" in out
    assert "stand-in" in out
    assert "original design" not in out  # --compare-original belongs to the single-account estimate


def test_org_cost_monitoring_alarm_beyond_the_query_series_limit_is_flagged_an_upper_bound(
    templates: org_templates.OrganizationTemplates,
) -> None:
    monitoring = templates.monitoring[ORGANIZATION["regions"][0]]
    within, beyond = (
        _by_name(monitoring_estimate(monitoring, OPTIONS, n))["CloudWatch Metrics Insights alarms"]
        for n in (MAX_SERIES // OPTIONS.clusters, MAX_SERIES // OPTIONS.clusters + 1)
    )

    assert "upper bound" not in within.detail
    assert "upper bound" in beyond.detail
    assert beyond.usd_per_month - within.usd_per_month == pytest.approx(
        OPTIONS.clusters
        * pricing.ALARM_INSIGHTS_METRIC_MONTH.usd
        * len([a for a in monitoring.alarms if a.query])
    )
