"""The organization demo's run (`make demo DEMO_ARGS="--organization 3"`): an organization in the
embedded AWS, the organization app synthesized for it, the member template deployed in every
member account and the monitoring template in the monitoring account, the members' pipelines run
for real minutes, and the monitoring account's view of them read back (`OrganizationResult`).

In one moto: the management account (moto's default account) creates the organization, an OU and
the accounts with AWS Organizations' API, moves the members into the OU, and enters every account
through STS (`EmbeddedAws.add_account`). StackSets are not run: moto's StackSets do not deploy
templates, so the member template is deployed into each member account as its stack instance
would be, and the monitoring template into the monitoring account (without its Oam::Sink and
dashboard, `MONITORING_SKIPPED`).

OAM stand-in (`OAM_STAND_IN`, said in the output too): moto has no OAM. After the run the emulator
copies each member's metrics of the pipeline namespace into the monitoring account's CloudWatch,
each series labelled with the member's AWS.AccountId, as a link with the namespace filter shares
them; the monitoring stack's organization alarms (Metrics Insights, GROUP BY AWS.AccountId,
ClusterName) are evaluated on that copy.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from local.demo_run import DEMO_CONTEXT, EXECUTION_LEAD_S, REPO_ROOT, DemoError, Series, sample_periods

# Members the demo runs: every Lambda invocation of every member runs in this one process, one at
# a time; beyond a few members a 2-core machine starts dropping one-second samples.
MAX_MEMBERS = 5
MEMBER_OU = "workloads"
OAM_STAND_IN = (
    "OAM stand-in: moto has no OAM, so the emulator copies each member's metrics of the pipeline "
    "namespace into the monitoring account's CloudWatch, labelled with AWS.AccountId, as a link with "
    "the namespace filter would share them"
)
# PutMetricData takes at most 1,000 metrics per request (CloudWatch API Reference, PutMetricData).
DATUMS_PER_REQUEST = 1000


@dataclass(frozen=True)
class Organization:
    """The emulated organization: its ids, the monitoring account and the OU's member accounts."""

    organization_id: str
    root_id: str
    unit_id: str
    monitoring_account: str
    members: tuple[str, ...]


@dataclass
class OrganizationResult:
    """What the monitoring account sees after the run, and what ran in the members."""

    organization: Organization
    series: Series  # the monitoring account's copy: every member's series, labelled AWS.AccountId
    verdicts: list[Any]  # the organization alarms on that copy
    member_verdicts: dict[str, list[Any]]  # member -> its own alarms (10-second, per cluster) in ALARM
    statuses: dict[str, list[str]]  # member -> its sampler executions' statuses
    invocations: dict[str, tuple[int, int]]  # member -> (collector invocations, failed)
    start: datetime
    end: datetime
    namespace: str
    copied: int  # data points the OAM stand-in copied
    skipped: dict[str, str]  # monitoring template resource type -> why it was not created
    sample_periods: dict[str, int] = field(default_factory=dict)  # collector -> seconds
    # member -> what its snapshot rule published to the central topic
    notifications: dict[str, list[str]] = field(default_factory=dict)


def run_organization(members: int, minutes: int, outdir: Path, progress: Any) -> OrganizationResult:
    """Create the organization, synthesize and deploy, run `minutes` real minutes, read back."""
    from local.alarm_evaluation import evaluate_alarm
    from local.demo_account import Change, seed_account
    from local.emulator import ACCOUNT, EmbeddedAws, read_metrics

    with EmbeddedAws() as aws:
        progress.emulator_started()
        org = create_organization(aws, members)
        progress.log(
            f"organization {org.organization_id}: management account {ACCOUNT}, monitoring account "
            f"{org.monitoring_account}, OU {org.unit_id} ({MEMBER_OU}) with members {', '.join(org.members)}"
        )
        progress.log(
            "synthesizing the organization app (member and monitoring templates, cdk-nag included) ..."
        )
        member, monitoring = synthesize_organization(outdir, org)
        for account_id in (org.monitoring_account, *org.members):
            aws.add_account(account_id)
        deployments = {account_id: aws.deploy(member, account_id) for account_id in org.members}
        namespace = deployments[org.members[0]].namespace
        watch = aws.deploy_monitoring(monitoring, namespace, org.monitoring_account)
        # The first member lives through the scripted scenario; the others stay as seeded.
        seeded = {
            account_id: seed_account(aws, account_id, scenario=i == 0)
            for i, account_id in enumerate(org.members)
        }
        first = _next_whole_minute(time.time() + EXECUTION_LEAD_S + 1)
        progress.log(
            f"deployed the member template in {len(org.members)} accounts and the monitoring template; "
            f"the first sampler minute starts at {first:%H:%M:%S} UTC (the schedule fires on whole minutes, "
            "and the organization alarms judge whole minutes)"
        )
        applied: list[tuple[str, Change]] = []

        def apply_due_changes(event: dict[str, Any], account_id: str) -> None:
            if "offset" not in event or account_id not in seeded:
                return
            scheduled = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
            second = (scheduled - first).total_seconds() + event["offset"]
            applied.extend((account_id, change) for change in seeded[account_id].due(second))

        aws.runtime.before_invoke = apply_due_changes
        executions: dict[str, list[str]] = {account_id: [] for account_id in org.members}
        total, started = minutes * 60, 0
        while (elapsed := time.time() - first.timestamp()) < total + 1:
            if elapsed >= 60 * started - EXECUTION_LEAD_S and started < minutes:
                scheduled = first + timedelta(minutes=started)
                for account_id, deployment in deployments.items():
                    executions[account_id].append(aws.start_minute(deployment, member, scheduled))
                started += 1
            while applied:
                account_id, change = applied.pop(0)
                progress.log(f"second {change.second:2d}: {account_id}: {change.description}")
            progress.advance(max(0.0, min(elapsed, total)))
            time.sleep(0.1)
        described = {a: [aws.wait_for(arn, timeout_s=30) for arn in arns] for a, arns in executions.items()}
        end = first + timedelta(minutes=minutes)
        member_series = {
            a: read_metrics(aws.accounts[a].client("cloudwatch"), namespace, first, end) for a in org.members
        }
        copied = share_with_monitoring(
            aws.accounts[org.monitoring_account].client("cloudwatch"), namespace, member_series
        )
        series = read_metrics(
            aws.accounts[org.monitoring_account].client("cloudwatch"), namespace, first, end
        )
        verdicts = [
            evaluate_alarm(alarm, series, first, end)
            for alarm in monitoring.alarms
            if alarm.namespace == namespace
        ]
        member_verdicts = {
            account_id: [
                verdict
                for alarm in member.alarms
                if alarm.namespace == namespace
                and (verdict := evaluate_alarm(alarm, points, first, end)).would_alarm
            ]
            for account_id, points in member_series.items()
        }
        invocations = {
            a: (
                sum(1 for i in aws.runtime.invocations if i.account_id == a),
                sum(1 for i in aws.runtime.invocations if i.account_id == a and i.error),
            )
            for a in org.members
        }
    return OrganizationResult(
        org,
        series,
        verdicts,
        member_verdicts,
        {a: [d["status"] for d in ds] for a, ds in described.items()},
        invocations,
        first,
        end,
        namespace,
        copied,
        watch.skipped,
        sample_periods(member),
        {a: list(aws.accounts[a].notifications) for a in org.members},
    )


def create_organization(aws: Any, members: int) -> Organization:
    """In the management account: the organization, an OU, a monitoring account and `members`
    member accounts moved into the OU; the members as the OU lists them."""
    org = aws.client("organizations")
    organization_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    (root,) = [r["Id"] for page in org.get_paginator("list_roots").paginate() for r in page["Roots"]]
    unit = org.create_organizational_unit(ParentId=root, Name=MEMBER_OU)["OrganizationalUnit"]["Id"]

    def create(name: str) -> str:
        request = org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
        # AWS creates the account asynchronously; moto has it at once.
        status = org.describe_create_account_status(CreateAccountRequestId=request["Id"])[
            "CreateAccountStatus"
        ]
        if status["State"] != "SUCCEEDED":
            raise DemoError(f"the emulated organization could not create account {name}: {status}")
        return str(status["AccountId"])

    monitoring = create("monitoring")
    for number in range(1, members + 1):
        org.move_account(AccountId=create(f"member-{number}"), SourceParentId=root, DestinationParentId=unit)
    listed = tuple(
        account["Id"]
        for page in org.get_paginator("list_accounts_for_parent").paginate(ParentId=unit)
        for account in page["Accounts"]
    )
    return Organization(organization_id, root, unit, monitoring, listed)


def synthesize_organization(outdir: Path, org: Organization) -> tuple[Any, Any]:
    """The member template and the monitoring template of the organization app, synthesized for
    `org` in the emulator's region with the demo's settings. moto has no OAM, so the sink ARN the
    members' links name is made up: nothing deploys the links."""
    from local.emulator import REGION
    from stacks.deployment_config import load_config
    from stacks.organization_app import MEMBER_ASSEMBLY, MEMBER_STACK, monitoring_stack_name
    from synthesis import synth
    from synthesis.synthesized import Synthesized

    block = {
        "organizationId": org.organization_id,
        "organizationalUnits": [org.unit_id],
        "regions": [REGION],
        "monitoringAccount": org.monitoring_account,
        "sinks": {REGION: f"arn:aws:oam:{REGION}:{org.monitoring_account}:sink/{uuid.uuid4()}"},
    }
    try:
        synth.synth_app(load_config(DEMO_CONTEXT | {"organization": block}, REPO_ROOT), outdir)
    except synth.SynthError as error:
        raise DemoError(str(error)) from None
    return (
        Synthesized.load(outdir / MEMBER_ASSEMBLY, MEMBER_STACK),
        Synthesized.load(outdir, monitoring_stack_name(REGION)),
    )


def share_with_monitoring(
    monitoring_cloudwatch: Any, namespace: str, member_series: dict[str, Series]
) -> int:
    """The OAM stand-in: every member's one-second series of `namespace` written into the
    monitoring account's CloudWatch with the member's account id as AWS.AccountId; how many points."""
    from collector_core.insights import ACCOUNT_LABEL

    datums = [
        {
            "MetricName": name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in (*dims, (ACCOUNT_LABEL, account_id))],
            "Timestamp": when,
            "Value": value,
            "StorageResolution": 1,
        }
        for account_id, series in member_series.items()
        for (name, dims), points in series.items()
        for when, value in points
    ]
    for start in range(0, len(datums), DATUMS_PER_REQUEST):
        monitoring_cloudwatch.put_metric_data(
            Namespace=namespace, MetricData=datums[start : start + DATUMS_PER_REQUEST]
        )
    return len(datums)


def _next_whole_minute(after: float) -> datetime:
    return datetime.fromtimestamp(math.ceil(after / 60) * 60, UTC)
