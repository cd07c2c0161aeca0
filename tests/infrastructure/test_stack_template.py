"""The synthesized template: what `cdk deploy` would create, checked resource by resource."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from collector_core import catalogue as cat
from collector_core import env_names
from collector_core.catalogue import Collector
from stacks.alarm_catalogue import Missing, account_alarms
from stacks.constructs.alarms_construct import alarm_name
from stacks.sampler_definition import FUNCTION_ARN_KEYS, deploy_time_placeholders
from tests.support.stacks import SynthResult, synth


@pytest.fixture(scope="module")
def default() -> SynthResult:
    return synth()


@pytest.fixture(scope="module")
def listed() -> SynthResult:
    return synth(
        clusters=["prod", "arn:aws:ecs:eu-west-1:123456789012:cluster/staging"],
        serviceMetrics=True,
        sink="api",
        workflowType="STANDARD",
        ruleEnabled=False,
        notificationEmails=["oncall@example.com"],
        alarmThresholds={"runningTasksMin": 2, "containerInstancesMin": 1},
        targets=[{"account": "123456789012", "region": "eu-west-1"}],
    )


def _of_type(result: SynthResult, resource_type: str) -> dict[str, dict[str, Any]]:
    return result.synthesized.resources(resource_type)


def _policy_statements(result: SynthResult, role_id_fragment: str) -> list[dict[str, Any]]:
    statements = []
    for props in _of_type(result, "AWS::IAM::Policy").values():
        roles = [ref["Ref"] for ref in props["Roles"]]
        if any(role_id_fragment in role for role in roles):
            statements += props["PolicyDocument"]["Statement"]
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_stack_names_follow_targets(listed: SynthResult) -> None:
    assert (listed.assembly / "HighResMetrics-123456789012-eu-west-1.template.json").exists()
    assert (synth().assembly / "HighResMetrics.template.json").exists()


def test_rule_starts_sampler_every_minute_with_scheduled_time(default: SynthResult) -> None:
    default.assertions.has_resource_properties(
        "AWS::Events::Rule", {"ScheduleExpression": "rate(1 minute)", "State": "ENABLED"}
    )
    rule = default.synthesized.schedule_rule
    assert rule["schedule"] == "rate(1 minute)"
    assert rule["state"] == "ENABLED"
    assert default.synthesized.rule_input("2026-11-22T02:15:00Z") == {"time": "2026-11-22T02:15:00Z"}
    (props,) = [p for p in _of_type(default, "AWS::Events::Rule").values() if "ScheduleExpression" in p]
    (target,) = props["Targets"]
    assert target["Arn"] == {"Ref": default.synthesized.state_machine.logical_id}
    # A start retried minutes later would only produce dropped samples.
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 0


def test_rule_can_be_deployed_disabled(listed: SynthResult) -> None:
    assert listed.synthesized.schedule_rule["state"] == "DISABLED"


def test_state_machine_is_express_with_error_logging_and_retention(default: SynthResult) -> None:
    default.assertions.resource_count_is("AWS::StepFunctions::StateMachine", 1)
    default.assertions.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {"StateMachineType": "EXPRESS", "LoggingConfiguration": Match.object_like({"Level": "ERROR"})},
    )
    ((_, props),) = _of_type(default, "AWS::StepFunctions::StateMachine").items()
    assert props["StateMachineType"] == "EXPRESS"
    assert props["LoggingConfiguration"]["Level"] == "ERROR"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is False
    log_group_ref = props["LoggingConfiguration"]["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]
    log_group_id = log_group_ref["Fn::GetAtt"][0]
    assert default.template["Resources"][log_group_id]["Properties"]["RetentionInDays"] == 14


def test_state_machine_type_is_configurable(listed: SynthResult) -> None:
    assert listed.synthesized.state_machine.workflow_type == "STANDARD"


# AWS's recommended retriers for Lambda Task states (Step Functions developer guide).
RECOMMENDED_LAMBDA_RETRY = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ClientExecutionTimeoutException",
}


@pytest.mark.parametrize("workflow", ["EXPRESS", "STANDARD"])
def test_state_machine_execution_times_out_after_its_last_sample_could_end(workflow: str) -> None:
    """CDK drops `timeout=` for a text definition: the deployed timeout is the ASL's own."""
    result = synth(workflowType=workflow)
    machine = result.synthesized.state_machine
    assert machine.workflow_type == workflow
    asl = json.loads(machine.definition)
    # The slowest branch: its wait, then every attempt running to the Task timeout, retries between.
    latest_end = 0
    for branch in asl["States"]["SampleMinute"]["Branches"]:
        task = _task(branch)
        (retry,) = task["Retry"]
        attempts = retry["MaxAttempts"] + 1
        end = task["Arguments"]["Payload"]["offset"] + attempts * task["TimeoutSeconds"]
        latest_end = max(latest_end, end + retry["MaxAttempts"] * retry["IntervalSeconds"])
    assert latest_end < asl["TimeoutSeconds"] <= 180, "a stuck execution ends before a third minute starts"


def test_state_machine_logs_to_a_vended_logs_group(default: SynthResult, listed: SynthResult) -> None:
    """Log groups under /aws/vendedlogs/ need no entry in the account's 5,120-character Logs
    resource policy, which many state machines would otherwise exhaust."""
    for result, stack in ((default, "HighResMetrics"), (listed, "HighResMetrics-123456789012-eu-west-1")):
        ((_, props),) = _of_type(result, "AWS::StepFunctions::StateMachine").items()
        destination = props["LoggingConfiguration"]["Destinations"][0]["CloudWatchLogsLogGroup"]
        log_group = result.template["Resources"][destination["LogGroupArn"]["Fn::GetAtt"][0]]
        assert log_group["Properties"]["LogGroupName"] == f"/aws/vendedlogs/states/{stack}-sampler"


def test_dashboard_name_is_unique_per_region_when_the_target_has_none(
    default: SynthResult, listed: SynthResult
) -> None:
    """Dashboards are global per account: an env-agnostic stack deployed to two regions must not
    overwrite one dashboard with the other."""
    ((_, anywhere),) = _of_type(default, "AWS::CloudWatch::Dashboard").items()
    assert anywhere["DashboardName"] == {"Fn::Join": ["", ["HighResMetrics-", {"Ref": "AWS::Region"}]]}
    assert default.template["Outputs"]["DashboardName"]["Value"] == anywhere["DashboardName"]
    ((_, pinned),) = _of_type(listed, "AWS::CloudWatch::Dashboard").items()
    assert pinned["DashboardName"] == "HighResMetrics-123456789012-eu-west-1"
    account_only = synth(targets=[{"account": "123456789012"}])
    ((_, props),) = _of_type(account_only, "AWS::CloudWatch::Dashboard").items()
    assert props["DashboardName"] == {
        "Fn::Join": ["", ["HighResMetrics-123456789012-", {"Ref": "AWS::Region"}]]
    }


def test_asl_placeholders_match_substitution_keys(default: SynthResult) -> None:
    machine = default.synthesized.state_machine
    assert deploy_time_placeholders(machine.definition) == set(machine.substitutions)
    assert set(machine.substitutions) == set(FUNCTION_ARN_KEYS.values())
    functions = default.synthesized.functions
    for key, logical_id in machine.substitutions.items():
        collector = next(c for c, k in FUNCTION_ARN_KEYS.items() if k == key)
        assert functions[logical_id].handler == f"{collector.value}.handler.handler"


def _branches(result: SynthResult) -> list[dict[str, Any]]:
    asl = json.loads(result.synthesized.state_machine.definition)
    assert asl["StartAt"] == "SampleMinute"
    assert list(asl["States"]) == ["SampleMinute"], "one Parallel state and nothing else"
    assert asl["States"]["SampleMinute"]["Type"] == "Parallel"
    branches: list[dict[str, Any]] = asl["States"]["SampleMinute"]["Branches"]
    return branches


def _task(branch: dict[str, Any]) -> dict[str, Any]:
    tasks: list[dict[str, Any]] = [s for s in branch["States"].values() if s["Type"] == "Task"]
    (task,) = tasks
    return task


def test_asl_has_a_branch_per_collector_second(default: SynthResult) -> None:
    branches = _branches(default)
    seen: dict[str, list[int]] = {}
    for branch in branches:
        payload = _task(branch)["Arguments"]["Payload"]
        function = _task(branch)["Arguments"]["FunctionName"]
        seen.setdefault(function, []).append(payload["offset"])
        assert payload["time"] == "{% $states.input.time %}"
    assert len(branches) == 60 + 12
    assert sorted(seen["${EcsCountsFunctionArn}"]) == list(range(60))
    assert sorted(seen["${Ec2EbsStateFunctionArn}"]) == list(range(0, 60, 5))


def test_asl_branches_wait_for_their_scheduled_second(default: SynthResult) -> None:
    for branch in _branches(default):
        first = branch["States"][branch["StartAt"]]
        offset = _task(branch)["Arguments"]["Payload"]["offset"]
        assert first["Type"] == "Wait"
        assert first["Timestamp"] == f"{{% $fromMillis($toMillis($states.input.time) + {offset} * 1000) %}}"


def test_asl_every_next_names_a_state_and_names_are_unique(default: SynthResult) -> None:
    names: list[str] = []
    for branch in _branches(default):
        states = branch["States"]
        names += list(states)
        assert branch["StartAt"] in states
        for state in states.values():
            targets = [state.get("Next")] + [c["Next"] for c in state.get("Catch", [])]
            for target in filter(None, targets):
                assert target in states
            assert state.get("End") or state.get("Next")
    assert len(names) == len(set(names)), "state names must be unique across the machine"


def test_asl_every_task_retries_within_its_period_and_catches_everything(default: SynthResult) -> None:
    periods = {"${EcsCountsFunctionArn}": 1, "${Ec2EbsStateFunctionArn}": 5}
    for branch in _branches(default):
        task = _task(branch)
        period = periods[task["Arguments"]["FunctionName"]]
        (retry,) = task["Retry"]
        assert set(retry["ErrorEquals"]) >= RECOMMENDED_LAMBDA_RETRY
        assert "States.ALL" not in retry["ErrorEquals"]
        assert all(error.startswith("Lambda.") for error in retry["ErrorEquals"])
        # Retries are one second apart and must all start before the sample's period is over.
        assert retry["IntervalSeconds"] * retry["MaxAttempts"] <= period - 1
        (catch,) = task["Catch"]
        assert catch["ErrorEquals"] == ["States.ALL"]
        assert branch["States"][catch["Next"]]["Type"] == "Pass"
        assert task["TimeoutSeconds"] >= period


def test_functions_are_arm64_with_own_roles_and_retained_logs(default: SynthResult) -> None:
    functions = _of_type(default, "AWS::Lambda::Function")
    assert len(functions) == 2
    roles = set()
    for props in functions.values():
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == "python3.14"
        assert props["Layers"], "Powertools comes from the public layer"
        roles.add(props["Role"]["Fn::GetAtt"][0])
        log_group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
        assert default.template["Resources"][log_group_id]["Properties"]["RetentionInDays"] == 14
    assert len(roles) == 2, "one role per function"


def test_functions_get_collector_settings(listed: SynthResult) -> None:
    envs = {f.handler: f.environment for f in listed.synthesized.functions.values()}
    ecs = envs["ecs_counts.handler.handler"]
    assert ecs[env_names.ECS_CLUSTERS] == "prod,arn:aws:ecs:eu-west-1:123456789012:cluster/staging"
    assert ecs[env_names.ECS_SERVICE_METRICS] == "true"
    assert ecs[env_names.METRICS_SINK] == "api"
    assert ecs[env_names.SAMPLE_PERIOD_SECONDS] == "1"
    assert envs["ec2_ebs_state.handler.handler"][env_names.SAMPLE_PERIOD_SECONDS] == "5"


def test_iam_has_no_wildcard_actions_anywhere(default: SynthResult, listed: SynthResult) -> None:
    for result in (default, listed):
        for props in _of_type(result, "AWS::IAM::Policy").values():
            for statement in props["PolicyDocument"]["Statement"]:
                for action in _as_list(statement["Action"]):
                    assert "*" not in action, f"wildcard action {action}"
        for props in _of_type(result, "AWS::IAM::Role").values():
            assert not props.get("ManagedPolicyArns"), "no managed policies: every grant is written here"


def test_iam_scopes_ecs_calls_to_configured_clusters(listed: SynthResult) -> None:
    statements = _policy_statements(listed, "EcsCountsRole")
    describe = next(s for s in statements if "ecs:DescribeClusters" in _as_list(s["Action"]))
    resources = json.dumps(describe["Resource"])
    assert "cluster/prod" in resources and "cluster/staging" in resources
    assert "cluster/*" not in resources
    actions = {a for s in statements for a in _as_list(s["Action"])}
    assert "ecs:ListClusters" not in actions, "listed clusters need no discovery"


def test_iam_put_metric_data_only_with_namespace_condition(default: SynthResult, listed: SynthResult) -> None:
    default_actions = {a for s in _policy_statements(default, "Role") for a in _as_list(s["Action"])}
    assert "cloudwatch:PutMetricData" not in default_actions, "the EMF sink needs no API permission"
    for statement in _policy_statements(listed, "Role"):
        if "cloudwatch:PutMetricData" in _as_list(statement["Action"]):
            assert statement["Condition"] == {"StringEquals": {"cloudwatch:namespace": "HighResMetrics"}}


def test_iam_sampler_invokes_only_the_collectors(default: SynthResult) -> None:
    statements = _policy_statements(default, "SamplerRole")
    invoke = [s for s in statements if "lambda:InvokeFunction" in _as_list(s["Action"])]
    (statement,) = invoke
    targets = {ref["Fn::GetAtt"][0] for ref in _as_list(statement["Resource"])}
    assert targets == set(default.synthesized.functions)


def test_alarm_topic_is_encrypted_and_tls_only(default: SynthResult) -> None:
    (topic,) = _of_type(default, "AWS::SNS::Topic").values()
    assert "KmsMasterKeyId" in topic
    ((_, policy),) = _of_type(default, "AWS::SNS::TopicPolicy").items()
    denies = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)
    key_policy = next(iter(_of_type(default, "AWS::KMS::Key").values()))["KeyPolicy"]
    principals = json.dumps(key_policy)
    assert "cloudwatch.amazonaws.com" in principals, "CloudWatch must be able to publish encrypted"


def test_alarm_email_subscriptions_come_from_config(default: SynthResult, listed: SynthResult) -> None:
    assert not _of_type(default, "AWS::SNS::Subscription")
    (sub,) = _of_type(listed, "AWS::SNS::Subscription").values()
    assert sub["Protocol"] == "email" and sub["Endpoint"] == "oncall@example.com"


def test_every_alarm_notifies_on_alarm_and_ok(default: SynthResult) -> None:
    ((topic_id, _),) = _of_type(default, "AWS::SNS::Topic").items()
    for props in _of_type(default, "AWS::CloudWatch::Alarm").values():
        assert props["AlarmActions"] == [{"Ref": topic_id}]
        assert props["OKActions"] == [{"Ref": topic_id}]


def test_alarms_read_back_from_the_template_are_the_catalogues_records(listed: SynthResult) -> None:
    # given the catalogue's account alarms for this config, and the template's alarms read back
    catalogue = {spec.alarm_id: spec for spec in account_alarms(listed.config)}
    deployed = {alarm.alarm_id: alarm for alarm in listed.synthesized.alarms}
    # then every catalogue alarm is deployed exactly as the catalogue defines it, under its name
    assert catalogue and set(catalogue) <= set(deployed)
    for alarm_id, spec in catalogue.items():
        assert deployed[alarm_id] == spec
        assert deployed[alarm_id].name == alarm_name(listed.config.targets[0].stack_name, alarm_id)


def test_alarms_on_custom_metrics_watch_what_the_catalogue_publishes(listed: SynthResult) -> None:
    alarms = [a for a in listed.synthesized.alarms if a.namespace == listed.config.namespace]
    assert alarms
    for alarm in alarms:
        spec = cat.metric(alarm.metric_name)
        assert tuple(alarm.dimensions) == spec.dimensions
        # At-least-once Express starts can duplicate a sample: never Sum a sample metric.
        assert alarm.statistic != "Sum"
        if spec.group is not cat.Group.HEALTH:
            assert alarm.period == 10, "one-second metrics get high-resolution alarms"


def test_alarms_cover_account_and_pipeline(listed: SynthResult) -> None:
    names = {a.name.removeprefix("HighResMetrics-123456789012-eu-west-1-") for a in listed.synthesized.alarms}
    for cluster in ("prod", "staging"):
        assert {
            f"EcsTasksStuckPending-{cluster}",
            f"EcsRunningTasksLow-{cluster}",
            f"EcsContainerInstancesLow-{cluster}",
        } <= names
    assert {"EbsVolumesInError", "EbsVolumesImpaired", "Ec2InstancesImpaired"} <= names
    for collector in Collector:
        assert {
            f"PipelineNoSamples-{collector.value}",
            f"PipelineCollectorErrors-{collector.value}",
            f"PipelineSamplesDropped-{collector.value}",
            f"PipelineLambdaErrors-{collector.value}",
        } <= names
    assert {"PipelineExecutionsFailed", "PipelineExecutionsTimedOut", "PipelineScheduleFailed"} <= names


def test_no_samples_alarm_treats_missing_data_as_breaching(default: SynthResult) -> None:
    no_samples = [a for a in default.synthesized.alarms if "PipelineNoSamples" in a.name]
    assert len(no_samples) == 2
    for alarm in no_samples:
        assert alarm.missing == Missing.BREACHING
        assert alarm.metric_name == cat.SAMPLE_DELAY.name and alarm.statistic == "SampleCount"


def test_per_cluster_alarms_need_cluster_names(default: SynthResult) -> None:
    names = [a.name for a in default.synthesized.alarms]
    assert not [n for n in names if "EcsTasksStuckPending" in n], "'*' has no names at synth"
    named = synth(alarmClusters=["prod"])
    assert any(a.name.endswith("EcsTasksStuckPending-prod") for a in named.synthesized.alarms)


def test_dashboard_graphs_every_published_metric(listed: SynthResult) -> None:
    ((_, props),) = _of_type(listed, "AWS::CloudWatch::Dashboard").items()
    body = json.dumps(props["DashboardBody"])
    for spec in cat.ALL_METRICS:
        if spec.group is cat.Group.EC2_WATCH:
            assert spec.name not in body, "no watch list configured"
        elif spec.group is cat.Group.EC2_EVENTS:
            assert spec.name not in body, "poll mode: no reconcile job"
        else:
            assert spec.name in body
    assert "alarm" in body and "SEARCH(" in body


def test_cdk_nag_passes_and_every_suppression_has_a_reason(default: SynthResult, listed: SynthResult) -> None:
    # Every cluster with service metrics: the service/* acknowledgement must match exactly too.
    for result in (default, listed, synth(serviceMetrics=True)):
        (report,) = [
            r for r in result.validation_report["pluginReports"] if r["pluginName"] == "AwsSolutions"
        ]
        assert report["conclusion"] == "success"
        assert report["violations"] == []
        for suppressed in report["suppressedViolations"]:
            assert len(suppressed["reason"]) > 40, suppressed["ruleName"]


def test_collectors_write_json_logs_without_platform_lines_by_default(default: SynthResult) -> None:
    for props in _of_type(default, "AWS::Lambda::Function").values():
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        assert props["LoggingConfig"]["SystemLogLevel"] == "WARN"
    verbose = synth(lambdaSystemLogLevel="INFO")
    for props in _of_type(verbose, "AWS::Lambda::Function").values():
        assert props["LoggingConfig"]["SystemLogLevel"] == "INFO"


def test_a_stack_can_deploy_the_ecs_collector_alone() -> None:
    ecs_only = synth(collectors=["ecs_counts"], clusters=["prod"])
    (function,) = ecs_only.synthesized.functions.values()
    assert function.handler == "ecs_counts.handler.handler"
    assert len(_branches(ecs_only)) == 60
    assert ecs_only.synthesized.state_machine.substitutions.keys() == {"EcsCountsFunctionArn"}
    names = {a.name.removeprefix("HighResMetrics-") for a in ecs_only.synthesized.alarms}
    assert "EcsTasksStuckPending-prod" in names
    assert not {n for n in names if n.startswith(("Ebs", "Ec2")) or "ec2_ebs_state" in n}
    ((_, dashboard),) = _of_type(ecs_only, "AWS::CloudWatch::Dashboard").items()
    assert "VolumeCount" not in json.dumps(dashboard["DashboardBody"])


def test_stack_long_cluster_names_give_alarm_names_cloudwatch_accepts() -> None:
    # given two 250-character cluster names that differ only at the end, and a namespace with spaces
    long_a, long_b = "c" * 249 + "a", "c" * 249 + "b"
    result = synth(
        clusters=[long_a, long_b],
        namespace="Team Metrics/High Res",
        alarmThresholds={"runningTasksMin": 2, "containerInstancesMin": 1},
    )
    # then every alarm name fits CloudWatch's 255 characters, keeps the stack prefix, and is unique
    names = [
        props["Properties"]["AlarmName"]
        for props in result.template["Resources"].values()
        if props["Type"] == "AWS::CloudWatch::Alarm"
    ]
    assert names and all(len(name) <= 255 and name.startswith("HighResMetrics-") for name in names)
    assert len(set(names)) == len(names)
    assert sum(long_a[:100] in name for name in names) == 6  # both clusters' three alarm kinds


def test_stack_alarm_name_is_stable_and_short_names_are_untouched() -> None:
    long_name = alarm_name("HighResMetrics", "EcsTasksStuckPending-" + "x" * 250)
    assert long_name == alarm_name("HighResMetrics", "EcsTasksStuckPending-" + "x" * 250)
    assert len(long_name) == 255
    assert (
        alarm_name("HighResMetrics", "EcsTasksStuckPending-web") == "HighResMetrics-EcsTasksStuckPending-web"
    )
