"""The monitoring account's OAM sink: where every organization account's link attaches, in one region.

The sink policy admits principals of the organization only (`aws:PrincipalOrgID`) and links that
share metrics only (`ForAllValues:StringEquals` on `oam:ResourceTypes`), the shape of AWS's
documented organization example ("PutSinkPolicy", Examples,
https://docs.aws.amazon.com/OAM/latest/APIReference/API_PutSinkPolicy.html; resource types listed
there: metrics are `AWS::CloudWatch::Metric`). ForAllValues also holds for a request with no
resource types at all; CreateLink requires them (`ResourceTypes`, at least one), so that request
never reaches the policy.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_oam as oam
from constructs import Construct

# What the links share: the pipeline's metrics; no logs, no traces (the on-call person reads a
# member's logs in that account).
METRICS = "AWS::CloudWatch::Metric"
# One sink per account and region ("AWS::Oam::Sink": "An account can have one sink"); the name
# must match ^[a-zA-Z0-9_.-]+$.
SINK_NAME = "highres-metrics-org"


class OrganizationSink(Construct):
    """`.sink` (the CfnSink), `.sink_arn`: what each member's `AWS::Oam::Link` names."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        organization_id: str,
        resource_types: Sequence[str] = (METRICS,),
    ) -> None:
        super().__init__(scope, construct_id)
        self.sink = oam.CfnSink(
            self, "Sink", name=SINK_NAME, policy=sink_policy(organization_id, resource_types)
        )
        self.sink_arn: str = self.sink.attr_arn


def sink_policy(organization_id: str, resource_types: Sequence[str]) -> dict[str, object]:
    """Only the organization's accounts may create or update a link, and only for `resource_types`."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OrganizationAccountsLinkMetricsOnly",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["oam:CreateLink", "oam:UpdateLink"],
                "Resource": "*",
                "Condition": {
                    # aws:PrincipalOrgID is single-valued: a plain operator (AWS's example wraps it
                    # in ForAnyValue:, which IAM now advises against for single-valued keys).
                    "StringEquals": {"aws:PrincipalOrgID": organization_id},
                    "ForAllValues:StringEquals": {"oam:ResourceTypes": list(resource_types)},
                },
            }
        ],
    }
