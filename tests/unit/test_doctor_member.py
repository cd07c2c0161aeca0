"""The doctor on a StackSet member (`--stack` in a member account): its alarms page the monitoring
account's central topic, which the member's credentials cannot read, and its clusters are watched by
the monitoring account's query alarms; the doctor says where to check each instead of failing."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import Stubber

from ops.doctor.alarms import check_subscriptions, read_topics
from ops.doctor.checks import check_cluster_coverage
from ops.doctor.clients import Clients
from ops.doctor.report import INFO
from ops.doctor.stack import DeployedStack

MEMBER = "444455556666"
MONITORING = "111122223333"
CENTRAL = f"arn:aws:sns:eu-west-1:{MONITORING}:highres-metrics-org-alarms"


class _NoSns:
    """A member's SNS client: any call on another account's topic would be AccessDenied."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the doctor called sns.{name} on another account's topic")


def _member_stack() -> DeployedStack:
    alarm = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": "HighResMetrics-SamplerFailed",
            "AlarmActions": [
                {
                    "Fn::Join": [
                        "",
                        [
                            "arn:",
                            {"Ref": "AWS::Partition"},
                            ":sns:eu-west-1:",
                            MONITORING,
                            ":highres-metrics-org-alarms",
                        ],
                    ]
                }
            ],
            "OKActions": [CENTRAL],
        },
    }
    return DeployedStack(
        name="HighResMetrics",
        stack_id=f"arn:aws:cloudformation:eu-west-1:{MEMBER}:stack/HighResMetrics/1",
        status="CREATE_COMPLETE",
        template={
            "Resources": {
                "SamplerFailed": alarm,
                "MonitoringLink": {"Type": "AWS::Oam::Link", "Properties": {"ResourceTypes": []}},
            }
        },
        physical={},
        types={"SamplerFailed": "AWS::CloudWatch::Alarm"},
    )


def test_member_alarms_topic_in_the_monitoring_account_is_named_not_read() -> None:
    clients = Clients(None, None, None, _NoSns(), None, "eu-west-1")

    topics = read_topics(clients, _member_stack())
    findings = check_subscriptions(topics)

    assert topics.elsewhere == {CENTRAL} and not topics.missing and not topics.subscriptions
    assert [(f.status, f.message) for f in findings] == [
        (
            INFO,
            f"the alarms page topic highres-metrics-org-alarms of account {MONITORING}: its "
            "subscriptions are checked with that account's credentials",
        )
    ]


def test_member_clusters_without_alarms_are_the_monitoring_accounts_to_watch() -> None:
    ecs = boto3.client("ecs", region_name="eu-west-1", aws_access_key_id="k", aws_secret_access_key="s")
    arn = f"arn:aws:ecs:eu-west-1:{MEMBER}:cluster/web"
    with Stubber(ecs) as stub:
        stub.add_response("list_clusters", {"clusterArns": [arn]}, {})
        findings = check_cluster_coverage(Clients(None, None, None, None, ecs, "eu-west-1"), _member_stack())

    assert [(f.status, f.message) for f in findings] == [
        (
            INFO,
            "no per-cluster alarm for web: the monitoring account's organization alarms cover them, in "
            "one-minute periods (check there: tools/doctor.py --monitoring)",
        )
    ]
