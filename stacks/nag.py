"""cdk-nag suppressions, each with its reason, in the form cdk-nag 3 reads them."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Accept cdk-nag finding `rule_id` on `scope` and its children, for the reason given."""
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))
