"""The doctor on a StackSet member: its alarms page the monitoring account's central topic, which the
member's credentials cannot read, so the doctor says where to check it instead of failing."""

from __future__ import annotations

from typing import Any

from ops.doctor.alarms import check_subscriptions, read_topics
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
        template={"Resources": {"SamplerFailed": alarm}},
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
