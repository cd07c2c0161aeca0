"""What the doctor reads about the stack: its deployed template and the physical ids CloudFormation
gave its resources, with the template's intrinsic functions resolved against them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

# Pages read at most from any one paginated call: 100 pages of 100 resources or alarms is far more
# than this stack has, and a bound keeps a broken NextToken from looping.
MAX_PAGES = 100
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}


class DoctorError(RuntimeError):
    """The doctor cannot run its checks (no such stack, no permission); the message says why."""


def call(client: Any, operation: str, **params: Any) -> Any:
    """`client.operation(**params)`, with AccessDenied turned into a one-line error naming the
    IAM action the doctor's policy must grant."""
    try:
        return getattr(client, operation)(**params)
    except ClientError as error:
        raise explained(client, operation, error) from None


def pages(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    """Every item under `key` of a paginated operation, bounded by MAX_PAGES."""
    items: list[Any] = []
    try:
        for number, page in enumerate(client.get_paginator(operation).paginate(**params)):
            if number >= MAX_PAGES:
                break
            items += page.get(key, [])
    except ClientError as error:
        raise explained(client, operation, error) from None
    return items


def explained(client: Any, operation: str, error: ClientError) -> Exception:
    """The error to raise for a failed call: a one-line DoctorError naming the missing IAM action
    when access was denied, the error itself otherwise."""
    code = error.response.get("Error", {}).get("Code", "")
    service = iam_prefix(client.meta.service_model.signing_name)
    action = client.meta.service_model.operation_model(_api_name(client, operation)).name
    if code in _DENIED:
        return DoctorError(
            f"missing permission {service}:{action} (see the doctor's IAM policy in the README)"
        )
    return error


def iam_prefix(signing_name: str) -> str:
    """The IAM action prefix of a service: CloudWatch signs as "monitoring" but its actions are
    "cloudwatch:..."; the doctor's other services use one name for both."""
    return {"monitoring": "cloudwatch"}.get(signing_name, signing_name)


def _api_name(client: Any, operation: str) -> str:
    return str(client.meta.method_to_api_mapping.get(operation, operation))


@dataclass(frozen=True)
class DeployedStack:
    name: str
    stack_id: str
    status: str
    template: dict[str, Any]
    physical: dict[str, str]  # logical id -> physical id
    types: dict[str, str]  # logical id -> resource type
    # DescribeStacks' DriftInformation: IN_SYNC, DRIFTED, NOT_CHECKED or UNKNOWN, and when.
    drift: str = "NOT_CHECKED"
    drift_checked: Any = None

    @property
    def account(self) -> str:
        return self.stack_id.split(":")[4]

    @property
    def region(self) -> str:
        return self.stack_id.split(":")[3]

    @property
    def partition(self) -> str:
        return self.stack_id.split(":")[1]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            lid: res.get("Properties", {})
            for lid, res in self.template.get("Resources", {}).items()
            if res.get("Type") == resource_type
        }

    def resolve(self, value: Any) -> Any:
        """Ref, Fn::Join, the pseudo parameters and a queue's QueueName, as CloudFormation resolved
        them; anything else (another Fn::GetAtt) becomes None: that field cannot be compared."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            pseudo = {
                "AWS::Region": self.region,
                "AWS::AccountId": self.account,
                "AWS::Partition": self.partition,
                "AWS::StackName": self.name,
                "AWS::URLSuffix": "amazonaws.com",
            }
            return pseudo.get(value["Ref"], self.physical.get(value["Ref"]))
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            resolved = [self.resolve(p) for p in parts]
            return None if any(p is None for p in resolved) else separator.join(map(str, resolved))
        if set(value) == {"Fn::GetAtt"}:
            return self._attribute(*value["Fn::GetAtt"])
        if len(value) == 1 and next(iter(value)).startswith("Fn::"):
            return None
        return {k: self.resolve(v) for k, v in value.items()}

    def _attribute(self, logical_id: str, attribute: str) -> str | None:
        """The one attribute an alarm reads that the physical id carries: a queue's name (events
        mode's failures alarm). CloudFormation's physical id of an SQS queue is its URL, whose last
        segment is the name; any other attribute cannot be known from the stack and stays None."""
        physical = self.physical.get(logical_id)
        if physical and attribute == "QueueName" and self.types.get(logical_id) == "AWS::SQS::Queue":
            return physical.rsplit("/", 1)[-1]
        return None


def read_stack(cloudformation: Any, name: str, region: str) -> DeployedStack:
    """The stack as deployed; a one-line DoctorError when there is no such stack."""
    try:
        (described,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", "")
        if "does not exist" in message:
            raise DoctorError(f"no stack named {name} in {region}: check --stack and --region") from None
        raise explained(cloudformation, "describe_stacks", error) from None
    body = call(cloudformation, "get_template", StackName=name, TemplateStage="Original")["TemplateBody"]
    template = body if isinstance(body, dict) else json.loads(body)
    resources = pages(cloudformation, "list_stack_resources", "StackResourceSummaries", StackName=name)
    drift = described.get("DriftInformation") or {}
    return DeployedStack(
        name,
        described["StackId"],
        described["StackStatus"],
        template,
        {r["LogicalResourceId"]: r.get("PhysicalResourceId", "") for r in resources},
        {r["LogicalResourceId"]: r["ResourceType"] for r in resources},
        str(drift.get("StackDriftStatus", "NOT_CHECKED")),
        drift.get("LastCheckTimestamp"),
    )
