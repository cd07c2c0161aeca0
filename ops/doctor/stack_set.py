"""The doctor for an organization's rollout: is the StackSet deployed to every account and region
it targets? Read from the management account (callAs SELF) or a StackSets delegated administrator
(DELEGATED_ADMIN).

What CloudFormation reports of each stack instance (ListStackInstances, StackInstanceSummary):
`Status` CURRENT (up to date), OUTDATED (its last operation failed or was stopped before it, or one
is updating it now) or INOPERABLE (a failed DeleteStackInstances left it "excluded from further
UpdateStackSet operations": delete it with RetainStacks, then its stack by hand), with
`StatusReason` and `StackInstanceStatus.DetailedStatus` (PENDING, RUNNING, SUCCEEDED, FAILED, ...).
Accounts a StackSet should reach come from Organizations: the ACTIVE accounts of its OUs and of
every OU below them. StackSets never deploy to the management account, even when it sits in a
targeted OU ("Create a stack set with service-managed permissions", AWS CloudFormation User Guide).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import botocore.session
from botocore.exceptions import ClientError
from botocore.model import StringShape

from ops.doctor.clients import StackSetClients
from ops.doctor.report import INFO, OK, PROBLEM, Finding, Report, listed
from ops.doctor.stack import DoctorError, call, explained, pages

STACK_SET_SHOULD_BE_FROM = (
    "the StackSet's own description (DescribeStackSet: its OUs, and its regions with those of its "
    "operations) and the ACTIVE accounts Organizations lists in those OUs"
)


def _call_as_values() -> tuple[str, ...]:
    """The API's own list (SELF, DELEGATED_ADMIN), from botocore's model of CloudFormation."""
    shape = botocore.session.get_session().get_service_model("cloudformation").shape_for("CallAs")
    assert isinstance(shape, StringShape)
    return tuple(shape.enum)


CALL_AS = _call_as_values()
# A StackSet runs one operation at a time and queues the others (ListStackSetOperations).
_UNDER_WAY = ("RUNNING", "QUEUED")
_NOT_FOUND = "StackSetNotFoundException"


def diagnose_stack_set(
    clients: StackSetClients, name: str, *, call_as: str = "SELF", monitoring_account: str | None = None
) -> Report:
    """Every StackSet check; raises DoctorError when the StackSet cannot be read at all.

    `monitoring_account`, which this project's StackSet excludes from its OUs (AccountFilterType
    DIFFERENCE): no instance is expected there, and one there is a problem."""
    cloudformation = clients.cloudformation
    stack_set = _describe(cloudformation, name, call_as, clients.region)
    report = Report(name, clients.region, STACK_SET_SHOULD_BE_FROM, subject="StackSet")
    # The first page holds the newest operations: enough to know whether one is under way.
    operations = call(cloudformation, "list_stack_set_operations", StackSetName=name, CallAs=call_as).get(
        "Summaries", []
    )
    instances = pages(cloudformation, "list_stack_instances", "Summaries", StackSetName=name, CallAs=call_as)
    regions = targeted_regions(stack_set, operations)
    running = [op for op in operations if op.get("Status") in _UNDER_WAY]
    report.findings += check_definition(stack_set, regions)
    report.findings += check_operations(running)
    report.findings += check_instances(instances, name, call_as, rolling_out=bool(running))
    report.findings += check_regions(regions, instances)
    report.findings += check_accounts(
        clients, stack_set, regions, instances, call_as, bool(running), monitoring_account
    )
    return report


def _describe(cloudformation: Any, name: str, call_as: str, region: str) -> dict[str, Any]:
    try:
        stack_set: dict[str, Any] = cloudformation.describe_stack_set(StackSetName=name, CallAs=call_as)[
            "StackSet"
        ]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == _NOT_FOUND:
            raise DoctorError(
                f"no StackSet named {name} in {region} (as {call_as}): check --stack-set, --region "
                "and --call-as"
            ) from None
        raise explained(cloudformation, "describe_stack_set", error) from None
    return stack_set


def targeted_regions(stack_set: dict[str, Any], operations: list[dict[str, Any]]) -> list[str]:
    """The regions the StackSet is meant to cover: those it has instances in (DescribeStackSet's
    `Regions`) and those its operations were ordered over (`OperationPreferences.RegionOrder`,
    which the StackSet stack sets to the configuration's regions), first seen first."""
    seen: dict[str, None] = dict.fromkeys(stack_set.get("Regions") or [])
    for operation in operations:
        seen.update(dict.fromkeys((operation.get("OperationPreferences") or {}).get("RegionOrder") or []))
    return list(seen)


def check_definition(stack_set: dict[str, Any], regions: list[str]) -> list[Finding]:
    name, status = stack_set.get("StackSetName", ""), stack_set.get("Status", "")
    findings = [
        Finding("stack set", OK, f"{name} is ACTIVE")
        if status == "ACTIVE"
        else Finding("stack set", PROBLEM, f"{name} is {status}: it deploys nothing")
    ]
    model = stack_set.get("PermissionModel", "SELF_MANAGED")
    if model == "SERVICE_MANAGED":
        findings.append(Finding("stack set", OK, "permission model SERVICE_MANAGED"))
    else:
        findings.append(
            Finding(
                "stack set",
                PROBLEM,
                f"permission model {model}: it reaches only the accounts listed by hand; OU targets and "
                "auto-deployment need SERVICE_MANAGED",
            )
        )
    auto = stack_set.get("AutoDeployment") or {}
    if auto.get("Enabled"):
        leave = "kept" if auto.get("RetainStacksOnAccountRemoval") else "deleted"
        findings.append(
            Finding("stack set", OK, f"auto-deployment on (an account's stacks are {leave} when it leaves)")
        )
    else:
        findings.append(
            Finding(
                "stack set",
                PROBLEM,
                "auto-deployment off: an account that joins the OUs gets no stack "
                f"(aws cloudformation update-stack-set --stack-set-name {name} --auto-deployment "
                "Enabled=true,RetainStacksOnAccountRemoval=false, or deploy the StackSet stack again)",
            )
        )
    ous = stack_set.get("OrganizationalUnitIds") or []
    findings.append(Finding("stack set", INFO, f"targets OUs {listed(ous)} in regions {listed(regions)}"))
    return findings


def check_operations(running: list[dict[str, Any]]) -> list[Finding]:
    return [
        Finding(
            "operations",
            INFO,
            f"{op.get('Action', '')} {op.get('OperationId', '')} is {op.get('Status')} "
            f"(since {op['CreationTimestamp']:%Y-%m-%d %H:%M} UTC)"
            if op.get("CreationTimestamp")
            else f"{op.get('Action', '')} {op.get('OperationId', '')} is {op.get('Status')}",
        )
        for op in running
    ]


def check_instances(
    instances: list[dict[str, Any]], name: str, call_as: str, *, rolling_out: bool
) -> list[Finding]:
    """CURRENT instances in one line per region; every other one in a line of its own."""
    current: dict[str, list[str]] = defaultdict(list)
    findings = []
    for instance in sorted(instances, key=lambda i: (i.get("Region", ""), i.get("Account", ""))):
        account, region = instance.get("Account", ""), instance.get("Region", "")
        status = instance.get("Status", "")
        detailed = (instance.get("StackInstanceStatus") or {}).get("DetailedStatus")
        shown = f"{status} ({detailed})" if detailed else status
        reason = instance.get("StatusReason") or "no reason given"
        where = f"{account} in {region}"
        if status == "CURRENT":
            current[region].append(account)
        elif status == "OUTDATED" and rolling_out:
            findings.append(Finding("instances", INFO, f"{where}: {shown}: an operation is rolling it out"))
        elif status == "OUTDATED":
            findings.append(Finding("instances", PROBLEM, f"{where}: {shown}: {reason}"))
        elif status == "INOPERABLE":
            findings.append(
                Finding(
                    "instances",
                    PROBLEM,
                    f"{where}: {shown}: {reason}; it is left out of every update: "
                    f"{_delete_retaining(instance, name, call_as)}, then delete its stack in {account}",
                )
            )
        else:
            findings.append(Finding("instances", PROBLEM, f"{where}: {shown}: {reason}"))
    ok = [
        Finding("instances", OK, f"{region}: {len(accounts)} CURRENT ({listed(accounts)})")
        for region, accounts in sorted(current.items())
    ]
    if not instances:
        ok = [Finding("instances", PROBLEM, "the StackSet has no stack instance")]
    return ok + findings


def _delete_retaining(instance: dict[str, Any], name: str, call_as: str) -> str:
    ou = instance.get("OrganizationalUnitId")
    account = instance.get("Account", "")
    targets = (
        f"--deployment-targets OrganizationalUnitIds={ou},Accounts={account},AccountFilterType=INTERSECTION"
        if ou
        else f"--accounts {account}"
    )
    return (
        f"aws cloudformation delete-stack-instances --stack-set-name {name} {targets} "
        f"--regions {instance.get('Region', '')} --retain-stacks{_call_as_flag(call_as)}"
    )


def _create(name: str, ou: str, region: str, call_as: str) -> str:
    return (
        f"aws cloudformation create-stack-instances --stack-set-name {name} "
        f"--deployment-targets OrganizationalUnitIds={ou} --regions {region}{_call_as_flag(call_as)}"
    )


def _call_as_flag(call_as: str) -> str:
    return "" if call_as == "SELF" else f" --call-as {call_as}"


def check_regions(regions: list[str], instances: list[dict[str, Any]]) -> list[Finding]:
    deployed = {i.get("Region") for i in instances}
    missing = [r for r in regions if r not in deployed]
    if not missing:
        return [Finding("regions", OK, f"every targeted region has instances ({listed(regions)})")]
    return [
        Finding("regions", PROBLEM, f"{region}: targeted, but no stack instance is there")
        for region in missing
    ]


def check_accounts(
    clients: StackSetClients,
    stack_set: dict[str, Any],
    regions: list[str],
    instances: list[dict[str, Any]],
    call_as: str,
    rolling_out: bool,
    monitoring_account: str | None = None,
) -> list[Finding]:
    """Each ACTIVE account of the targeted OUs, in each targeted region, has an instance; the
    monitoring account (when named) has none."""
    ous = list(stack_set.get("OrganizationalUnitIds") or [])
    if not ous:
        return []
    try:
        accounts = ou_accounts(clients.organizations, ous)
        management = _management_account(clients.organizations)
    except DoctorError as error:  # access denied: not the management account nor a delegated admin
        return [Finding("accounts", INFO, f"could not list the OUs' accounts: {error}")]
    except ClientError as error:
        return [Finding("accounts", PROBLEM, f"could not list the OUs' accounts: {_why(error)}")]
    have = {(i.get("Account"), i.get("Region")) for i in instances}
    findings = []
    for account_id, (account_name, ou) in sorted(accounts.items()):
        if account_id == management:
            findings.append(
                Finding(
                    "accounts",
                    INFO,
                    f"{account_id} ({account_name}) is the management account: StackSets never deploy "
                    "there; the per-target stack covers it (cdk deploy HighResMetrics)",
                )
            )
            continue
        if account_id == monitoring_account:
            findings.append(_monitoring_account(account_id, account_name, ou, instances, stack_set, call_as))
            continue
        for region in regions:
            if (account_id, region) in have:
                continue
            hint = (
                "an operation is under way, check again when it ends"
                if rolling_out
                else _create(str(stack_set.get("StackSetName")), ou, region, call_as)
            )
            findings.append(
                Finding(
                    "accounts",
                    PROBLEM,
                    f"{account_id} ({account_name}) of {ou} has no instance in {region}: auto-deployment "
                    f"has not reached it: {hint}",
                )
            )
    if not any(f.status == PROBLEM for f in findings):
        members = len([a for a in accounts if a not in (management, monitoring_account)])
        everyone = f"all {members} active accounts of the OUs have their instances"
        findings.insert(0, Finding("accounts", OK, everyone))
    return findings


def _monitoring_account(
    account_id: str,
    account_name: str,
    ou: str,
    instances: list[dict[str, Any]],
    stack_set: dict[str, Any],
    call_as: str,
) -> Finding:
    """The monitoring account inside a targeted OU: excluded, unless auto-deployment (which applies
    no account filter to an account that joins an OU) put an instance there."""
    regions = sorted({str(i.get("Region")) for i in instances if i.get("Account") == account_id})
    if not regions:
        return Finding(
            "accounts",
            INFO,
            f"{account_id} ({account_name}) is the monitoring account: the StackSet excludes it "
            "(it holds the sinks)",
        )
    name = str(stack_set.get("StackSetName"))
    return Finding(
        "accounts",
        PROBLEM,
        f"{account_id} ({account_name}) is the monitoring account but has instances in {', '.join(regions)}: "
        f"a member there links to its own sink and pages twice: aws cloudformation delete-stack-instances "
        f"--stack-set-name {name} --deployment-targets OrganizationalUnitIds={ou},Accounts={account_id},"
        f"AccountFilterType=INTERSECTION --regions {' '.join(regions)} "
        f"--no-retain-stacks{_call_as_flag(call_as)}",
    )


def ou_accounts(organizations: Any, ous: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Account id -> (name, the targeted OU it sits under) of every ACTIVE account in `ous` and in
    the OUs below them (ListChildren, recursively; each OU read once)."""
    found: dict[str, tuple[str, str]] = {}
    for top in ous:
        queue, seen = [top], set()
        while queue:
            parent = queue.pop()
            if parent in seen:
                continue
            seen.add(parent)
            for account in pages(organizations, "list_accounts_for_parent", "Accounts", ParentId=parent):
                # `State` replaces `Status` (Organizations Account reference); either says ACTIVE.
                if account.get("State", account.get("Status")) == "ACTIVE":
                    found.setdefault(account["Id"], (account.get("Name", ""), top))
            children = pages(
                organizations, "list_children", "Children", ParentId=parent, ChildType="ORGANIZATIONAL_UNIT"
            )
            queue += [child["Id"] for child in children]
    return found


def _management_account(organizations: Any) -> str:
    """Its id: `MasterAccountId`, or the last part of `MasterAccountArn` (AWS's documented example
    of DescribeOrganization gives the ARN alone)."""
    organization = call(organizations, "describe_organization").get("Organization", {})
    arn = str(organization.get("MasterAccountArn", ""))
    return str(organization.get("MasterAccountId") or arn.rsplit("/", 1)[-1])


def _why(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{error.operation_name}: {details.get('Code', '')}: {details.get('Message', '')}"
