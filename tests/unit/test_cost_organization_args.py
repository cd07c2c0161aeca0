"""`python -m cost` in organization mode refuses bad arguments in one line, before any synth; and the
organization's figures follow from a member's and the monitoring account's estimates."""

from __future__ import annotations

import pytest

from cost import cli, items
from cost.organization import OrganizationEstimate


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--organization", "--member-accounts", "0"], "--member-accounts: '0'"),
        (["--member-accounts", "ten"], "--member-accounts: 'ten'"),
        (["--organization"], "--member-accounts"),
        (["--member-accounts", "2", "--regions", "eu-west-1,mars-north-1"], "--regions: mars-north-1"),
        (["--member-accounts", "2", "--template", "x.json"], "--template"),
    ],
)
def test_org_cost_bad_arguments_are_one_line_errors(
    argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(argv)

    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith(f"cost: error: {named}")


def _estimate(label: str, usd_per_month: float) -> items.Estimate:
    item = items.monthly_item(label, items.FIXED, 1, "things", usd_per_month, "")
    return items.Estimate(label, [item])


def test_org_cost_figures_are_n_by_r_members_plus_r_monitoring_shared_by_n() -> None:
    org = OrganizationEstimate(
        member_accounts=4,
        member=_estimate("member", 20.0),
        monitoring={"eu-west-1": _estimate("monitoring", 8.0), "us-east-1": _estimate("monitoring", 8.0)},
        single=_estimate("single", 25.0),
        stand_in=False,
    )

    data = org.report()

    assert data["organization_usd_per_month"] == pytest.approx(4 * 2 * 20 + 2 * 8)
    assert data["all_in_usd_per_member_account_per_month"] == pytest.approx((4 * 2 * 20 + 2 * 8) / 4)
    assert data["all_in_usd_per_member_account_region_per_month"] == pytest.approx(20 + 8 / 4)
    assert data["ratio_member_account_region_to_single_account"] == pytest.approx(22 / 25)
