"""The monitoring account's stack: its sink, its dashboard of every account and its alarms over
every account's clusters, drawn from the same catalogues as the single-account stack."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns

from collector_core import catalogue as cat
from stacks.alarm_catalogue import cluster_alarm_kinds, fleet_alarms
from stacks.constructs.central_topic_construct import CENTRAL_TOPIC_NAME
from stacks.constructs.org_dashboard_construct import ORGANIZATION_GROUPS
from stacks.constructs.org_sink_construct import SINK_NAME
from stacks.deployment_config import parse_config
from stacks.monitoring_stack import MonitoringStack
from synthesis.synthesized import parse_query
from tests.support.monitoring import (
    MONITORING_ACCOUNT,
    REGION,
    STACK_NAME,
    monitoring_app,
    synth_monitoring,
)
from tests.support.policy_evaluator import TemplateResolver
from tests.support.stacks import SynthResult

THRESHOLDS = {"runningTasksMin": 2, "containerInstancesMin": 1}


@pytest.fixture(scope="module")
def monitoring() -> SynthResult:
    return synth_monitoring(
        namespace="Team/HighRes", alarmThresholds=THRESHOLDS, notificationEmails=["a@example.com"]
    )


def _of_type(result: SynthResult, resource_type: str) -> dict[str, dict[str, Any]]:
    return result.synthesized.resources(resource_type)


def test_monitoring_stack_holds_one_sink_and_outputs_its_arn_without_export(
    monitoring: SynthResult,
) -> None:
    ((sink_id, sink),) = _of_type(monitoring, "AWS::Oam::Sink").items()
    assert sink["Name"] == SINK_NAME
    assert monitoring.template["Outputs"]["SinkArn"] == {"Value": {"Fn::GetAtt": [sink_id, "Arn"]}}
    assert all("Export" not in output for output in monitoring.template["Outputs"].values())
    # Members name their region's sink and topic, never a stack of their own account: no links here.
    assert _of_type(monitoring, "AWS::Oam::Link") == {}


def test_monitoring_topic_is_encrypted_with_its_own_rotated_key(monitoring: SynthResult) -> None:
    ((_, topic),) = _of_type(monitoring, "AWS::SNS::Topic").items()
    ((key_id, key),) = _of_type(monitoring, "AWS::KMS::Key").items()
    assert topic["TopicName"] == CENTRAL_TOPIC_NAME
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert key["EnableKeyRotation"] is True
    ((_, subscription),) = _of_type(monitoring, "AWS::SNS::Subscription").items()
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("email", "a@example.com")


def test_monitoring_alarms_group_by_account_and_cluster_in_whole_minutes(
    monitoring: SynthResult,
) -> None:
    alarms = {a.alarm_id: a for a in monitoring.synthesized.alarms}
    assert set(alarms) == {"OrgTasksStuckPending", "OrgRunningTasksLow", "OrgContainerInstancesLow"}
    # The same kinds, thresholds and timing as the single-account fleet alarms, read back from the template.
    config = parse_config({"alarmThresholds": THRESHOLDS, "namespace": "Team/HighRes"})
    fleet = {a.alarm_id.removeprefix("Fleet"): a for a in fleet_alarms(config)}
    assert len(fleet) == len(cluster_alarm_kinds(config)) == 3
    for alarm_id, alarm in alarms.items():
        query = parse_query(alarm.query)
        assert query.group_by == ("AWS.AccountId", cat.CLUSTER_NAME), alarm_id
        assert (query.namespace, query.schema) == ("Team/HighRes", (cat.CLUSTER_NAME,))
        twin = fleet[alarm_id.removeprefix("Org")]
        assert (query.metric_name, query.statistic) == (twin.metric_name, twin.statistic)
        assert (alarm.period, alarm.evaluation_periods, alarm.threshold) == (
            60,
            twin.evaluation_periods,
            twin.threshold,
        )
        assert alarm.name.startswith(f"{STACK_NAME}-Org") and alarm.runbook == twin.runbook
    # 180 s pending is three whole one-minute periods, as in the fleet alarm.
    assert alarms["OrgTasksStuckPending"].evaluation_periods == 3


def _dashboard_queries(monitoring: SynthResult) -> list[str]:
    resolver = TemplateResolver(
        monitoring.template, account=MONITORING_ACCOUNT, region=REGION, stack_name=STACK_NAME
    )
    ((_, dashboard),) = _of_type(monitoring, "AWS::CloudWatch::Dashboard").items()
    body = json.loads(resolver.resolve(dashboard["DashboardBody"]))
    return [
        line[0]["expression"]
        for widget in body["widgets"]
        for line in widget.get("properties", {}).get("metrics", [])
        if isinstance(line[0], dict) and "expression" in line[0]
    ]


def test_monitoring_dashboard_graphs_every_catalogue_metric_by_account(monitoring: SynthResult) -> None:
    queries = [parse_query(q) for q in _dashboard_queries(monitoring)]
    # Every graphed name is a catalogue metric, queried with exactly its published dimensions.
    for query in queries:
        spec = cat.metric(query.metric_name)
        assert query.namespace == "Team/HighRes"
        assert query.schema == spec.dimensions
        assert query.group_by == ("AWS.AccountId", *spec.dimensions)
    # ...and every metric the default members publish in the overview's groups is there, once.
    expected = {
        spec.name
        for spec in cat.ALL_METRICS
        if spec.group in ORGANIZATION_GROUPS and spec.group is not cat.Group.ECS_SERVICE
    }
    graphed = [q.metric_name for q in queries]
    assert sorted(graphed) == sorted(expected)
    assert {"RunningTask", "InstanceCount", "VolumeCount", "ImpairedVolumes"} <= expected


def test_monitoring_dashboard_follows_what_members_publish() -> None:
    # Service metrics switched on add their row; an ECS-only organization has no EC2/EBS rows.
    with_services = [
        parse_query(q).metric_name for q in _dashboard_queries(synth_monitoring(serviceMetrics=True))
    ]
    assert cat.SERVICE_RUNNING_TASK.name in with_services
    ecs_only = [
        parse_query(q).metric_name for q in _dashboard_queries(synth_monitoring(collectors=["ecs_counts"]))
    ]
    assert cat.RUNNING_TASK.name in ecs_only and cat.VOLUME_COUNT.name not in ecs_only


def test_monitoring_stack_alarms_and_dashboard_name_per_region(monitoring: SynthResult) -> None:
    ((_, dashboard),) = _of_type(monitoring, "AWS::CloudWatch::Dashboard").items()
    assert dashboard["DashboardName"] == STACK_NAME
    assert monitoring.template["Outputs"]["DashboardName"] == {"Value": STACK_NAME}


def test_monitoring_stack_passes_cdk_nag(monitoring: SynthResult) -> None:
    # A clean cdk-nag run writes no AwsSolutions report; any finding fails the synth itself.
    reports = monitoring.validation_report["pluginReports"]
    assert all(r["conclusion"] == "success" and r["violations"] == [] for r in reports)
    for report in reports:
        for suppressed in report["suppressedViolations"]:
            assert len(suppressed["reason"]) > 40, suppressed["ruleName"]


def test_monitoring_stack_nag_harness_really_checks(tmp_path: Path) -> None:
    # given: the tests' harness, with a topic that does not require TLS added to the stack
    app, stack = monitoring_app(parse_config({}), tmp_path)
    sns.Topic(stack, "PlainTopic")
    # when / then: the synth fails on that finding
    with pytest.raises(RuntimeError, match="AwsSolutions-SNS3"):
        app.synth()


def test_monitoring_stack_refuses_an_organization_id_of_the_wrong_form() -> None:
    for bad in ("r-ab12", "o-short", "O-A1B2C3D4E5", "ou-ab12-cdefgh34"):
        with pytest.raises(ValueError, match=re.escape(repr(bad))):
            MonitoringStack(cdk.App(), "M", organization_id=bad, config=parse_config({}))


def test_monitoring_template_passes_checkov(monitoring: SynthResult, tmp_path: Path) -> None:
    from tests.infrastructure.test_static_checks import _checkov

    path = tmp_path / "monitoring.template.json"
    path.write_text(json.dumps(monitoring.template))
    report = _checkov(path)
    assert report["summary"]["parsing_errors"] == 0
    assert report["results"]["failed_checks"] == []
    assert report["summary"]["passed"] >= 2, "checkov ran its SNS and KMS checks"
    # the key admits the members' snapshot notice roles by organization and name, not by account
    assert {c["check_id"] for c in report["results"]["skipped_checks"]} == {"CKV_AWS_33"}
