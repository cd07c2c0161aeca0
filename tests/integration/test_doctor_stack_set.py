"""`tools/doctor.py --stack-set` against moto's Organizations and service-managed StackSet: the OU
recursion, the paginated calls with CallAs, the management account and an account that joined
after the rollout, end to end through the command."""

from __future__ import annotations

import pytest

from local.emulator import ACCOUNT, REGION
from ops.doctor import cli
from tests.support.doctor import STACK, STACK_SET_REGIONS, organization_with_stack_set


@pytest.mark.usefixtures("aws")
def test_doctor_stack_set_on_moto_healthy_then_an_account_auto_deployment_has_not_reached(
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = organization_with_stack_set()
    # when
    assert cli.main(["--stack-set", STACK, "--region", REGION], clients=org.clients) == 0
    healthy = capsys.readouterr().out
    # then
    members = ", ".join(sorted(org.members))
    for region in STACK_SET_REGIONS:
        assert f"ok      instances: {region}: 2 CURRENT ({members})\n" in healthy
    assert "ok      accounts: all 2 active accounts of the OUs have their instances\n" in healthy
    assert (
        f"info    accounts: {ACCOUNT} (master) is the management account: StackSets never deploy there"
        in (healthy)
    )
    assert healthy.endswith("all checks passed\n")

    # given: an account joins the child OU; moto, unlike AWS, runs no auto-deployment
    late = org.join("member-c")
    # when
    assert cli.main(["--stack-set", STACK, "--region", REGION], clients=org.clients) == 1
    out = capsys.readouterr().out
    # then
    for region in STACK_SET_REGIONS:
        assert (
            f"PROBLEM accounts: {late} (member-c) of {org.ou} has no instance in {region}: "
            "auto-deployment has not reached it: aws cloudformation create-stack-instances "
            f"--stack-set-name {STACK} "
            f"--deployment-targets OrganizationalUnitIds={org.ou} --regions {region}\n"
        ) in out
    assert out.endswith("2 problem(s)\n")
