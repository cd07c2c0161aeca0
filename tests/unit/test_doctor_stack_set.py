"""The StackSet doctor on CloudFormation's and Organizations' documented answers.

moto's DescribeStackSet leaves out OrganizationalUnitIds, AutoDeployment and Regions, and its
instances are always CURRENT, so the parsing is proven here: botocore's Stubber checks every answer
against the API's own response shapes, and the Organizations answers are AWS's documented examples
(tests/fixtures/aws_responses/botocore-examples-organizations.json).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ops.doctor import cli
from ops.doctor.clients import StackSetClients
from ops.doctor.report import INFO, OK, PROBLEM, Report
from ops.doctor.stack_set import diagnose_stack_set
from tests.support.aws_responses import example

NAME = "HighResMetrics"
OU = "ou-examplerootid111-exampleouid111"  # the documented examples' OU
CHILD_OU = "ou-examplerootid111-exampleouid222"
REGIONS = ["eu-west-1", "us-east-1"]
MEMBERS = ("333333333333", "444444444444")  # ListAccountsForParent's example accounts
MANAGEMENT = "111111111111"  # DescribeOrganization's example


def stack_set(**changes: Any) -> dict[str, Any]:
    return {
        "StackSet": {
            "StackSetName": NAME,
            "StackSetId": f"{NAME}:0a1b2c3d-0000-4000-8000-000000000000",
            "Status": "ACTIVE",
            "PermissionModel": "SERVICE_MANAGED",
            "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
            "OrganizationalUnitIds": [OU],
            "Regions": REGIONS[:1],
            **changes,
        }
    }


def operation(status: str = "SUCCEEDED") -> dict[str, Any]:
    return {
        "OperationId": "5a8c4bd8-0000-4000-8000-000000000000",
        "Action": "UPDATE",
        "Status": status,
        "CreationTimestamp": datetime(2026, 12, 7, 11, 0, tzinfo=UTC),
        # The StackSet stack orders every operation over the configuration's regions.
        "OperationPreferences": {"RegionConcurrencyType": "SEQUENTIAL", "RegionOrder": REGIONS},
    }


def instance(account: str, region: str, status: str = "CURRENT", **extra: Any) -> dict[str, Any]:
    detailed = {"CURRENT": "SUCCEEDED", "OUTDATED": "FAILED", "INOPERABLE": "INOPERABLE"}[status]
    return {
        "StackSetId": f"{NAME}:0a1b2c3d-0000-4000-8000-000000000000",
        "Region": region,
        "Account": account,
        "StackId": f"arn:aws:cloudformation:{region}:{account}:stack/StackSet-{NAME}-x/0a1b",
        "Status": status,
        "StackInstanceStatus": {"DetailedStatus": detailed},
        "OrganizationalUnitId": OU,
        **extra,
    }


def every_instance() -> list[dict[str, Any]]:
    return [instance(a, r) for a in MEMBERS for r in REGIONS]


class Org:
    """Stubbed CloudFormation and Organizations, answered in the order the doctor asks."""

    def __init__(self, call_as: str = "SELF") -> None:
        self.cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
        self.organizations = boto3.client("organizations", region_name="us-east-1")
        self.cf = Stubber(self.cloudformation)
        self.org = Stubber(self.organizations)
        self.call_as = call_as

    def stack_set(
        self,
        described: dict[str, Any],
        operations: list[dict[str, Any]],
        instances: list[dict[str, Any]],
    ) -> None:
        named = {"StackSetName": NAME, "CallAs": self.call_as}
        self.cf.add_response("describe_stack_set", described, named)
        self.cf.add_response("list_stack_set_operations", {"Summaries": operations}, named)
        # Two pages, as ListStackInstances pages a large organization.
        half = len(instances) // 2
        self.cf.add_response("list_stack_instances", {"Summaries": instances[:half], "NextToken": "t"}, named)
        self.cf.add_response(
            "list_stack_instances", {"Summaries": instances[half:]}, {**named, "NextToken": "t"}
        )

    def tree(self, extra_child_accounts: list[dict[str, Any]] | None = None) -> None:
        """The OU holds the example's two accounts and a child OU (which ListChildren's example
        answers next to the OU itself); the child holds the management account and `extra`."""
        accounts = example("organizations", "ListAccountsForParent")
        children = example("organizations", "ListChildren")
        management = {**accounts["Accounts"][0], "Id": MANAGEMENT, "Name": "Management"}
        self.org.add_response("list_accounts_for_parent", accounts, {"ParentId": OU})
        self.org.add_response("list_children", children, {"ParentId": OU, "ChildType": "ORGANIZATIONAL_UNIT"})
        self.org.add_response(
            "list_accounts_for_parent",
            {"Accounts": [management, *(extra_child_accounts or [])]},
            {"ParentId": CHILD_OU},
        )
        self.org.add_response(
            "list_children", {"Children": []}, {"ParentId": CHILD_OU, "ChildType": "ORGANIZATIONAL_UNIT"}
        )
        self.org.add_response("describe_organization", example("organizations", "DescribeOrganization"))

    def diagnose(self, monitoring_account: str | None = None) -> Report:
        with self.cf, self.org:
            report = diagnose_stack_set(
                StackSetClients(self.cloudformation, self.organizations, "eu-west-1"),
                NAME,
                call_as=self.call_as,
                monitoring_account=monitoring_account,
            )
            self.cf.assert_no_pending_responses()
            self.org.assert_no_pending_responses()
        return report


def lines(report: Report, status: str) -> list[str]:
    return [f"{f.check}: {f.message}" for f in report.findings if f.status == status]


def test_stack_set_doctor_healthy_rollout_passes_and_management_account_is_info() -> None:
    org = Org()
    org.stack_set(stack_set(), [operation()], every_instance())
    org.tree()
    report = org.diagnose()
    assert lines(report, PROBLEM) == []
    assert lines(report, OK) == [
        f"stack set: {NAME} is ACTIVE",
        "stack set: permission model SERVICE_MANAGED",
        "stack set: auto-deployment on (an account's stacks are deleted when it leaves)",
        "instances: eu-west-1: 2 CURRENT (333333333333, 444444444444)",
        "instances: us-east-1: 2 CURRENT (333333333333, 444444444444)",
        "regions: every targeted region has instances (eu-west-1, us-east-1)",
        "accounts: all 2 active accounts of the OUs have their instances",
    ]
    assert lines(report, INFO) == [
        f"stack set: targets OUs {OU} in regions eu-west-1, us-east-1",
        "accounts: 111111111111 (Management) is the management account: StackSets never deploy there; "
        "the per-target stack covers it (cdk deploy HighResMetrics)",
    ]


def test_stack_set_doctor_names_each_broken_instance_a_missing_region_and_an_unreached_account() -> None:
    org = Org()
    member, late = MEMBERS[0], "555555555555"
    failed = (
        "ResourceLogicalId:Sampler, ResourceType:AWS::StepFunctions::StateMachine, ResourceStatusReason:x."
    )
    org.stack_set(
        stack_set(AutoDeployment={"Enabled": False}),
        [operation("FAILED")],
        [
            instance(member, "eu-west-1", "OUTDATED", StatusReason=failed),
            instance(MEMBERS[1], "eu-west-1", "INOPERABLE", StatusReason="DeleteStackInstances failed"),
        ],
    )
    joined = {**example("organizations", "ListAccountsForParent")["Accounts"][0], "Id": late, "Name": "Late"}
    org.tree([joined, {**joined, "Id": "666666666666", "Name": "Closed", "Status": "SUSPENDED"}])
    report = org.diagnose()
    problems = lines(report, PROBLEM)
    assert problems[0].startswith(
        "stack set: auto-deployment off: an account that joins the OUs gets no stack"
    )
    assert problems[1:] == [
        f"instances: {member} in eu-west-1: OUTDATED (FAILED): {failed}",
        f"instances: {MEMBERS[1]} in eu-west-1: INOPERABLE (INOPERABLE): DeleteStackInstances failed; it is "
        "left out of every update: aws cloudformation delete-stack-instances --stack-set-name HighResMetrics "
        f"--deployment-targets OrganizationalUnitIds={OU},Accounts={MEMBERS[1]},"
        "AccountFilterType=INTERSECTION --regions eu-west-1 --retain-stacks, "
        f"then delete its stack in {MEMBERS[1]}",
        "regions: us-east-1: targeted, but no stack instance is there",
        *(
            f"accounts: {account} ({name}) of {OU} has no instance in us-east-1: auto-deployment has not "
            "reached it: aws cloudformation create-stack-instances --stack-set-name HighResMetrics "
            f"--deployment-targets OrganizationalUnitIds={OU} --regions us-east-1"
            for account, name in (
                ("333333333333", "Development Account"),
                ("444444444444", "Test Account"),
            )
        ),
        *(
            f"accounts: {late} (Late) of {OU} has no instance in {region}: auto-deployment has not reached "
            "it: aws cloudformation create-stack-instances --stack-set-name HighResMetrics "
            f"--deployment-targets OrganizationalUnitIds={OU} --regions {region}"
            for region in REGIONS
        ),
    ]


def test_stack_set_doctor_outdated_while_an_operation_runs_is_info_and_call_as_is_passed() -> None:
    org = Org("DELEGATED_ADMIN")
    instances = every_instance()
    instances[0] = instance(MEMBERS[0], "eu-west-1", "OUTDATED", StatusReason="")
    org.stack_set(stack_set(), [operation("RUNNING")], instances)
    org.tree()
    report = org.diagnose()  # the Stubber refuses a call without CallAs=DELEGATED_ADMIN
    assert lines(report, PROBLEM) == []
    assert (
        f"instances: {MEMBERS[0]} in eu-west-1: OUTDATED (FAILED): an operation is rolling it out"
        in lines(report, INFO)
    )
    assert (
        "operations: UPDATE 5a8c4bd8-0000-4000-8000-000000000000 is RUNNING (since 2026-12-07 11:00 UTC)"
        in (lines(report, INFO))
    )


def test_stack_set_doctor_without_organizations_access_says_so_and_checks_the_rest() -> None:
    org = Org()
    org.stack_set(stack_set(), [operation()], every_instance())
    org.org.add_client_error(
        "list_accounts_for_parent",
        "AccessDeniedException",
        "You don't have permissions to access this resource.",
    )
    report = org.diagnose()
    assert report.ok
    assert (
        "accounts: could not list the OUs' accounts: missing permission organizations:ListAccountsForParent "
        "(see the doctor's IAM policy in the README)"
    ) in lines(report, INFO)


def test_stack_set_doctor_cli_unknown_stack_set_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = Org()
    org.cf.add_client_error(
        "describe_stack_set", "StackSetNotFoundException", "StackSet HighResMetrix not found"
    )
    clients = StackSetClients(org.cloudformation, org.organizations, "eu-west-1")
    with org.cf:
        assert cli.main(["--stack-set", "HighResMetrix"], clients=clients) == 2
    assert capsys.readouterr().err == (
        "doctor: error: no StackSet named HighResMetrix in eu-west-1 (as SELF): check --stack-set, --region "
        "and --call-as\n"
    )


def test_stack_set_doctor_cli_exit_1_on_a_problem_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    org = Org()
    org.stack_set(
        stack_set(PermissionModel="SELF_MANAGED", OrganizationalUnitIds=[]), [operation()], every_instance()
    )
    clients = StackSetClients(org.cloudformation, org.organizations, "eu-west-1")
    with org.cf:
        assert cli.main(["--stack-set", NAME, "--json"], clients=clients) == 1
    out = capsys.readouterr().out
    assert '"subject": "StackSet"' in out and "permission model SELF_MANAGED" in out


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--stack", "A", "--stack-set", "B"], "argument --stack-set: not allowed with argument --stack"),
        (
            ["--stack-set", "B", "--monitoring"],
            "argument --monitoring: not allowed with argument --stack-set",
        ),
        (["--stack", "A", "--call-as", "SELF"], "--call-as goes with --stack-set"),
        (["--stack-set", "B", "--namespace", "N"], "--namespace goes with --monitoring"),
        (["--stack-set", "B", "--minutes", "5"], "--minutes goes with --stack or --monitoring"),
        (["--stack-set", "B", "--call-as", "ME"], "argument --call-as: invalid choice: 'ME'"),
        (
            ["--stack", "A", "--monitoring-account", "111122223333"],
            "--monitoring-account goes with --stack-set",
        ),
        (
            ["--stack-set", "B", "--monitoring-account", "1111"],
            "--monitoring-account takes a 12-digit account id, not '1111'",
        ),
        ([], "one of the arguments --stack --stack-set --monitoring is required"),
    ],
)
def test_doctor_cli_bad_combination_is_one_line(
    argv: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith(f"tools/doctor.py: error: {error}")


def test_stack_set_doctor_another_organizations_error_is_a_problem() -> None:
    org = Org()
    org.stack_set(stack_set(), [operation()], every_instance())
    org.org.add_client_error(
        "list_accounts_for_parent",
        "AWSOrganizationsNotInUseException",
        "Your account is not a member of an organization.",
    )
    assert lines(org.diagnose(), PROBLEM) == [
        "accounts: could not list the OUs' accounts: ListAccountsForParent: "
        "AWSOrganizationsNotInUseException: Your account is not a member of an organization."
    ]


MONITORING = MEMBERS[1]  # the monitoring account, in the targeted OU like any account


def test_stack_set_doctor_monitoring_account_in_the_ou_is_excluded_not_unreached() -> None:
    # the StackSet excludes the monitoring account (AccountFilterType DIFFERENCE): no instance there
    org = Org()
    org.stack_set(stack_set(), [operation()], [instance(MEMBERS[0], r) for r in REGIONS])
    org.tree()
    report = org.diagnose(monitoring_account=MONITORING)
    assert lines(report, PROBLEM) == []
    assert "accounts: all 1 active accounts of the OUs have their instances" in lines(report, OK)
    assert (
        f"accounts: {MONITORING} (Test Account) is the monitoring account: the StackSet excludes it "
        "(it holds the sinks)" in lines(report, INFO)
    )


def test_stack_set_doctor_monitoring_account_with_an_instance_is_a_problem_with_the_fix() -> None:
    # auto-deployment applies no account filter to an account that joins an OU later
    org = Org(call_as="DELEGATED_ADMIN")
    org.stack_set(stack_set(), [operation()], [*every_instance()])
    org.tree()
    report = org.diagnose(monitoring_account=MONITORING)
    assert lines(report, PROBLEM) == [
        f"accounts: {MONITORING} (Test Account) is the monitoring account but has instances in eu-west-1, "
        "us-east-1: a member there links to its own sink and pages twice: aws cloudformation "
        f"delete-stack-instances --stack-set-name {NAME} --deployment-targets "
        f"OrganizationalUnitIds={OU},Accounts={MONITORING},AccountFilterType=INTERSECTION "
        "--regions eu-west-1 us-east-1 --no-retain-stacks --call-as DELEGATED_ADMIN"
    ]
