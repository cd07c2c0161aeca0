"""The monitoring account's Metrics Insights alarms over every account's clusters, to the central topic."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.alarm_spec import AlarmSpec
from stacks.constructs.alarms_construct import create_alarms


class OrganizationAlarms(Construct):
    """`.alarms` by alarm id; each query alarm has a contributor per account and cluster."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        specs: Sequence[AlarmSpec],
        name_prefix: str,
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        if any(not spec.query for spec in specs):
            raise ValueError(
                "a monitoring account alarms on Metrics Insights queries only (it owns no metric)"
            )
        self.alarms = create_alarms(self, specs, name_prefix=name_prefix, topic=topic)
