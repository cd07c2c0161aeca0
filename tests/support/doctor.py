"""A deployed stack for the doctor's tests: the synthesized template on the embedded emulator.

`EmbeddedAws.deploy` creates the functions, the state machine, the alarm topic and the alarms on
the stack's own namespace. What moto's CloudFormation cannot give without the CDK assets and
AWS's reserved SSM parameters (the stack itself: DescribeStacks, GetTemplate,
ListStackResources) comes from `FakeCloudFormation`, which answers from the synthesized template
and the physical ids created here. The rules and every alarm (AWS/* ones included, with their
actions) are created from the template with its references resolved to those ids, and the
metrics a working pipeline leaves behind are written: the AWS/States execution counts (Step
Functions publishes them; moto does not) and one SampleDelay per sample per collector.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto.cloudformation.models import cloudformation_backends

from local.emulator import ACCOUNT, REGION, EmbeddedAws
from ops.doctor.clients import Clients, StackSetClients
from tests.support.stacks import SynthResult

STACK = "HighResMetrics"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/0a1b2c3d-0000-4000-8000-000000000000"
EMAIL = "oncall@example.com"
MINUTES = 5


class _Pages:
    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self._pages = pages

    def paginate(self, **_: Any) -> Iterator[dict[str, Any]]:
        yield from self._pages


class FakeCloudFormation:
    """DescribeStacks, GetTemplate and ListStackResources for one stack, as CloudFormation answers."""

    def __init__(self, template: dict[str, Any], physical: dict[str, str]) -> None:
        self.template, self.physical = template, physical
        self.meta = boto3.client("cloudformation", region_name=REGION).meta
        self.denied: set[str] = set()
        # What DescribeStacks reports: a failed update or drift detection sets these on AWS.
        self.status = "CREATE_COMPLETE"
        self.drift: dict[str, Any] = {"StackDriftStatus": "NOT_CHECKED"}

    def template_alarms(self) -> list[str]:
        return [lid for lid, r in self.template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"]

    def _check(self, operation: str, name: str) -> None:
        if operation in self.denied:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, operation)
        if name not in (STACK, STACK_ID):
            message = f"Stack with id {name} does not exist"
            raise ClientError({"Error": {"Code": "ValidationError", "Message": message}}, operation)

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 - the API's spelling
        self._check("DescribeStacks", StackName)
        stack = {"StackName": STACK, "StackId": STACK_ID, "StackStatus": self.status}
        return {"Stacks": [{**stack, "DriftInformation": self.drift}]}

    def get_template(self, StackName: str, TemplateStage: str) -> dict[str, Any]:  # noqa: N803
        self._check("GetTemplate", StackName)
        return {"TemplateBody": json.dumps(self.template)}

    def get_paginator(self, operation: str) -> _Pages:
        assert operation == "list_stack_resources"
        summaries = [
            {
                "LogicalResourceId": lid,
                "PhysicalResourceId": self.physical.get(lid, f"{lid}-id"),
                "ResourceType": r["Type"],
            }
            for lid, r in self.template["Resources"].items()
        ]
        # Two pages, as CloudFormation gives 100 summaries a page to larger stacks.
        return _Pages(
            [{"StackResourceSummaries": summaries[:10]}, {"StackResourceSummaries": summaries[10:]}]
        )


@dataclass
class Deployed:
    aws: EmbeddedAws
    clients: Clients
    cloudformation: FakeCloudFormation
    physical: dict[str, str]
    now: datetime
    rule_name: str


def resolve(value: Any, physical: dict[str, str]) -> Any:
    pseudo = {
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::Partition": "aws",
        "AWS::StackName": STACK,
    }
    if isinstance(value, list):
        return [resolve(v, physical) for v in value]
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return pseudo.get(value["Ref"]) or physical[value["Ref"]]
        if set(value) == {"Fn::Join"}:
            return value["Fn::Join"][0].join(resolve(value["Fn::Join"][1], physical))
        if set(value) == {"Fn::GetAtt"} and value["Fn::GetAtt"][1] == "QueueName":
            return physical[value["Fn::GetAtt"][0]].rsplit("/", 1)[-1]  # a queue's id is its URL
        return {k: resolve(v, physical) for k, v in value.items()}
    return value


def deploy(aws: EmbeddedAws, result: SynthResult, now: datetime) -> Deployed:
    deployment = aws.deploy(result.synthesized)
    template = result.template
    physical: dict[str, str] = {lid: lid for lid in result.synthesized.functions}
    (machine,) = result.synthesized.resources("AWS::StepFunctions::StateMachine")
    physical[machine] = deployment.state_machine_arn
    ((topic, _),) = result.synthesized.resources("AWS::SNS::Topic").items()
    physical[topic] = aws.topic_arn
    events = aws.client("events")
    rule_name = ""
    for lid, props in result.synthesized.resources("AWS::Events::Rule").items():
        physical[lid] = f"{STACK}-{lid}"
        if "ScheduleExpression" in props:
            if {"Ref": machine} in [t["Arn"] for t in props["Targets"]]:
                rule_name = physical[lid]  # the sampler's schedule (events mode has a second one)
            events.put_rule(
                Name=physical[lid], ScheduleExpression=props["ScheduleExpression"], State=props["State"]
            )
        else:
            events.put_rule(Name=physical[lid], EventPattern=json.dumps(props["EventPattern"]))
    sqs = aws.client("sqs")
    for lid in result.synthesized.resources("AWS::SQS::Queue"):
        physical[lid] = sqs.create_queue(QueueName=f"{STACK}-{lid}")["QueueUrl"]
    cloudwatch = aws.client("cloudwatch")
    for lid, props in result.synthesized.resources("AWS::CloudWatch::Alarm").items():
        physical[lid] = props["AlarmName"]
        resolved = resolve(props, physical)
        cloudwatch.put_metric_alarm(**resolved)
    aws.client("sns").subscribe(TopicArn=aws.topic_arn, Protocol="email", Endpoint=EMAIL)
    ecs = aws.client("ecs")
    for cluster in ("web", "reports"):
        ecs.create_cluster(clusterName=cluster)
    _write_healthy_metrics(aws, deployment.state_machine_arn, deployment.namespace, now)
    clients = Clients(
        FakeCloudFormation(template, physical),
        events,
        cloudwatch,
        aws.client("sns"),
        ecs,
        REGION,
    )
    return Deployed(aws, clients, clients.cloudformation, physical, now, rule_name)


def _write_healthy_metrics(aws: EmbeddedAws, machine_arn: str, namespace: str, now: datetime) -> None:
    cloudwatch = aws.client("cloudwatch")
    start = now.replace(second=0, microsecond=0) - timedelta(minutes=MINUTES)
    executions = [
        {
            "MetricName": "ExecutionsSucceeded",
            "Dimensions": [{"Name": "StateMachineArn", "Value": machine_arn}],
            "Timestamp": start + timedelta(minutes=m, seconds=30),
            "Value": 1.0,
        }
        for m in range(MINUTES)
    ]
    cloudwatch.put_metric_data(Namespace="AWS/States", MetricData=executions)
    for collector, period in (("ecs_counts", 1), ("ec2_ebs_state", 5)):
        datums = [
            {
                "MetricName": "SampleDelay",
                "Dimensions": [{"Name": "Collector", "Value": collector}],
                "Timestamp": start + timedelta(seconds=s),
                "Value": 40.0,
                "StorageResolution": 1,
            }
            for s in range(0, MINUTES * 60, period)
        ]
        for first in range(0, len(datums), 1000):
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=datums[first : first + 1000])


# What PutMetricAlarm takes back from DescribeAlarms when a person edits an alarm in the console.
_EDITABLE = (
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "Dimensions",
    "Period",
    "Metrics",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
)


def edit_alarm(
    cloudwatch: Any, name: str, *, leave_out: tuple[str, ...] = (), **changes: Any
) -> dict[str, Any]:
    """PutMetricAlarm of the alarm as DescribeAlarms shows it, with `changes` and without the
    fields in `leave_out` (which CloudWatch then sets to its defaults); returns it as it was."""
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    kept = {key: alarm[key] for key in _EDITABLE if alarm.get(key) not in (None, []) and key not in leave_out}
    cloudwatch.put_metric_alarm(AlarmName=name, **{**kept, **changes})
    return dict(alarm)


def recent_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


# An organization on moto for the StackSet doctor (`--stack-set`): a member OU with a child OU, the
# StackSet deployed to both by CreateStackInstances, as `cdk deploy HighResMetricsStackSet` does.
STACK_SET_REGIONS = ("us-east-1", "eu-west-1")
_MEMBER_TEMPLATE = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})


@dataclass
class Organization:
    clients: StackSetClients
    ou: str  # the OU the StackSet targets
    team: str  # an OU below it
    members: dict[str, str]  # account id -> name

    def join(self, name: str, parent: str | None = None) -> str:
        """An account created in the OU after the rollout; moto runs no auto-deployment."""
        return _join(self.clients.organizations, name, parent or self.team, self.members)


def organization_with_stack_set(management_in_ou: bool = True) -> Organization:
    """Two member accounts (one in the child OU) with their instances in both regions. Inside moto."""
    organizations = boto3.client("organizations", region_name=REGION)
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    ou = organizations.create_organizational_unit(ParentId=root, Name="Members")["OrganizationalUnit"]["Id"]
    team = organizations.create_organizational_unit(ParentId=ou, Name="Team")["OrganizationalUnit"]["Id"]
    members: dict[str, str] = {}
    _join(organizations, "member-a", ou, members)
    _join(organizations, "member-b", team, members)
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack_set(
        StackSetName=STACK,
        TemplateBody=_MEMBER_TEMPLATE,
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
    )
    cloudformation.create_stack_instances(
        StackSetName=STACK, DeploymentTargets={"OrganizationalUnitIds": [ou]}, Regions=list(STACK_SET_REGIONS)
    )
    if management_in_ou:
        # StackSets skip the management account even in a targeted OU (moto does not: it is moved
        # in after the rollout here), and the doctor says so.
        organizations.move_account(AccountId=ACCOUNT, SourceParentId=root, DestinationParentId=ou)
    # What DescribeStackSet answers on AWS for this StackSet and moto's leaves out (moto does not
    # implement AutoDeployment, and records no OU or region on the StackSet itself).
    stack_set: Any = cloudformation_backends[ACCOUNT][REGION].describe_stack_set(STACK)
    stack_set.auto_deployment = {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    stack_set.organizational_unit_ids = [ou]
    stack_set.regions = list(STACK_SET_REGIONS)
    return Organization(StackSetClients(cloudformation, organizations, REGION), ou, team, members)


def _join(organizations: Any, name: str, parent: str, members: dict[str, str]) -> str:
    account = organizations.create_account(Email=f"{name}@example.com", AccountName=name)
    account_id = str(account["CreateAccountStatus"]["AccountId"])
    root = organizations.list_roots()["Roots"][0]["Id"]
    organizations.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
    members[account_id] = name
    return account_id
