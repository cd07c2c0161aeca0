"""cdk-nag acknowledgements and checkov skips, each with its reason, in the form each tool reads."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct

# checkov's CKV_AWS_158 (log group encrypted with a customer managed key), on every log group here.
LOG_GROUP_KMS_REASON = (
    "The logs hold counts, error codes and resource names, no secret, and CloudWatch Logs encrypts them "
    "at rest; a customer managed key would add $1 a month and a KMS request per log batch."
)


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Accept cdk-nag finding `rule_id` on `scope` and its children, for the reason given."""
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


def skip_checkov(scope: IConstruct, check_id: str, reason: str) -> None:
    """Skip checkov's `check_id` on `scope`'s CloudFormation resource, for the reason given.

    checkov reads skips from the resource's `Metadata.checkov.skip` list, so the reason travels
    with the template and shows in checkov's report next to the check it silences.
    """
    resource = scope if isinstance(scope, cdk.CfnResource) else scope.node.default_child
    if not isinstance(resource, cdk.CfnResource):
        raise TypeError(f"{scope.node.path} has no CloudFormation resource to annotate")
    existing = resource.get_metadata("checkov") or {"skip": []}
    existing["skip"].append({"id": check_id, "comment": reason})
    resource.add_metadata("checkov", existing)
