"""Organization mode's templates, synthesized by the real app: the StackSet, the member template (the
pipeline and its OAM link, code from the organization's asset buckets), the asset buckets and their
policy; and the default config synthesizes none of them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from stacks.config_model import ConfigError
from stacks.constructs.central_topic_construct import (
    CENTRAL_KEY_ALIAS,
    CENTRAL_TOPIC_NAME,
    snapshot_notice_role_name,
)
from stacks.deployment_config import parse_config
from stacks.organization_app import capabilities
from stacks.organization_config import asset_bucket_name
from stacks.stackset_stack import check_template_limits
from synthesis.synth import synth_app
from tests.infrastructure.test_static_checks import CFN_LINT_EXPLAINED, _cfn_lint, _checkov
from tests.support.policy_evaluator import Decision, Principal, Request, TemplateResolver, evaluate
from tests.support.stacks import run_app, synth

ORG_ID = "o-a1b2c3d4e5"
MONITORING = "111122223333"
SINKS = {
    "eu-west-1": f"arn:aws:oam:eu-west-1:{MONITORING}:sink/f3a1b2c4-1234-4d5e-8f90-abcdef012345",
    "us-east-1": f"arn:aws:oam:us-east-1:{MONITORING}:sink/0a1b2c3d-1234-4d5e-8f90-abcdef012345",
}
ORGANIZATION: dict[str, Any] = {
    "organizationId": ORG_ID,
    "organizationalUnits": ["ou-ab12-cdefgh34"],
    "regions": ["eu-west-1", "us-east-1"],
    "monitoringAccount": MONITORING,
}
MEMBER_ACCOUNT = "444455556666"


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = parse_config({"organization": {**ORGANIZATION, "sinks": SINKS}})
    outdir, _ = synth_app(config, tmp_path_factory.mktemp("org"))
    return outdir


def _template(assembly: Path, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((assembly / f"{name}.template.json").read_text())
    return loaded


def _resources(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == resource_type]


def _member_in(assembly: Path, region: str) -> tuple[dict[str, Any], TemplateResolver]:
    """The member template, and its resolver as an instance in `region` of a member account."""
    member = _template(assembly, "member/HighResMetricsMember")
    return member, TemplateResolver(member, account=MEMBER_ACCOUNT, region=region)


def _stacks(assembly: Path) -> set[str]:
    artifacts = json.loads((assembly / "manifest.json").read_text())["artifacts"]
    return {name for name, a in artifacts.items() if a["type"] == "aws:cloudformation:stack"}


def test_organization_synthesizes_monitoring_buckets_and_stackset_beside_the_targets(assembly: Path) -> None:
    assert _stacks(assembly) == {
        "HighResMetrics",  # the management account keeps today's per-target deploy
        "HighResMetricsMonitoring-eu-west-1",
        "HighResMetricsMonitoring-us-east-1",
        "HighResMetricsAssets-eu-west-1",
        "HighResMetricsAssets-us-east-1",
        "HighResMetricsStackSet",
    }
    artifacts = json.loads((assembly / "manifest.json").read_text())["artifacts"]
    for region in ORGANIZATION["regions"]:
        assert (
            artifacts[f"HighResMetricsMonitoring-{region}"]["environment"] == f"aws://{MONITORING}/{region}"
        )
        assert artifacts[f"HighResMetricsAssets-{region}"]["environment"] == f"aws://unknown-account/{region}"


def test_stackset_is_service_managed_auto_deployed_to_the_ous_but_the_monitoring_account_region_by_region(
    assembly: Path,
) -> None:
    (stack_set,) = _resources(_template(assembly, "HighResMetricsStackSet"), "AWS::CloudFormation::StackSet")
    props = stack_set["Properties"]

    assert props["PermissionModel"] == "SERVICE_MANAGED"
    assert props["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert props["StackInstancesGroup"] == [
        {
            # the monitoring account holds the sinks: never a member, even inside a targeted OU
            "DeploymentTargets": {
                "OrganizationalUnitIds": ["ou-ab12-cdefgh34"],
                "AccountFilterType": "DIFFERENCE",
                "Accounts": [MONITORING],
            },
            "Regions": ["eu-west-1", "us-east-1"],
        }
    ]
    assert props["OperationPreferences"] == {
        "RegionConcurrencyType": "SEQUENTIAL",
        "RegionOrder": ["eu-west-1", "us-east-1"],
        "MaxConcurrentPercentage": 25,
        "FailureTolerancePercentage": 10,
    }
    # NAMED_IAM: the snapshot notice role has the name the central topic's policy admits
    assert props["CallAs"] == "SELF"
    assert props["Capabilities"] == ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
    assert props["ManagedExecution"] == {"Active": True}
    url = TemplateResolver({"Resources": {}}, region="eu-west-1").resolve(props["TemplateURL"])
    assert url.startswith(f"https://{asset_bucket_name(ORG_ID, 'eu-west-1')}.s3.eu-west-1.amazonaws.com/")


def test_stackset_deploy_uploads_member_code_and_template_to_every_regions_bucket_first(
    assembly: Path,
) -> None:
    manifest = json.loads((assembly / "manifest.json").read_text())["artifacts"]["HighResMetricsStackSet"]
    assets = json.loads((assembly / "HighResMetricsStackSet.assets.json").read_text())["files"]
    (stack_set,) = _resources(_template(assembly, "HighResMetricsStackSet"), "AWS::CloudFormation::StackSet")
    template_key = stack_set["Properties"]["TemplateURL"]["Fn::Join"][1][-1].lstrip("/")

    # then the StackSet stack waits for the buckets, and the CLI publishes its asset manifest first
    assert {
        "HighResMetricsAssets-eu-west-1",
        "HighResMetricsAssets-us-east-1",
        "HighResMetricsStackSet.assets",
    } <= set(manifest["dependencies"])
    packagings = Counter(a["source"]["packaging"] for a in assets.values())
    assert packagings == {"zip": 1, "file": 1}  # the one Lambda asset and the member template
    for asset in assets.values():
        assert (assembly / asset["source"]["path"]).exists()
        assert {(d["region"], d["bucketName"]) for d in asset["destinations"].values()} == {
            (region, asset_bucket_name(ORG_ID, region)) for region in ORGANIZATION["regions"]
        }
    template_asset = next(a for a in assets.values() if a["source"]["packaging"] == "file")
    assert {d["objectKey"] for d in template_asset["destinations"].values()} == {template_key}


# What a member leaves to the monitoring account: its own topic, key and their policies, the
# subscriptions and the dashboard.
_LEFT_TO_MONITORING = {
    "AWS::SNS::Topic",
    "AWS::SNS::TopicPolicy",
    "AWS::SNS::Subscription",
    "AWS::KMS::Key",
    "AWS::CloudWatch::Dashboard",
    "AWS::CDK::Metadata",
}


def test_member_template_is_the_single_account_pipeline_paging_the_central_topic(assembly: Path) -> None:
    member = _template(assembly, "member/HighResMetricsMember")
    single = _template(assembly, "HighResMetrics")

    # the same construct builds both: the same logical ids and types, less what the monitoring
    # account holds for every member (its query alarms watch every member's clusters, so a
    # member's own fleet alarm would page the on-call twice), and the link besides
    kept = {
        lid: r["Type"]
        for lid, r in single["Resources"].items()
        if r["Type"] not in _LEFT_TO_MONITORING
        and "Metrics" not in r["Properties"]  # a Metrics Insights alarm
    }
    assert any("Metrics" in r["Properties"] for r in _resources(single, "AWS::CloudWatch::Alarm"))
    added = {"MonitoringLink", *_snapshot_publisher_ids(member), _undelivered_alarm_id(member)}
    assert {lid: r["Type"] for lid, r in member["Resources"].items() if lid not in added} == kept
    types_ = Counter(r["Type"] for r in member["Resources"].values())
    assert types_["AWS::Lambda::Function"] >= 2 and types_["AWS::StepFunctions::StateMachine"] == 1
    assert types_["AWS::CloudWatch::Alarm"] > 5 and types_["AWS::Oam::Link"] == 1
    assert not set(types_) & _LEFT_TO_MONITORING
    assert "Rules" not in member and "BootstrapVersion" not in member.get("Parameters", {})


def _snapshot_publisher_ids(member: dict[str, Any]) -> set[str]:
    """The snapshot rule's role for the central topic and its policy: what a member adds to it."""
    (role_id,) = [
        lid
        for lid, r in member["Resources"].items()
        if r["Type"] == "AWS::IAM::Role" and "RoleName" in r["Properties"]
    ]
    policies = {
        lid
        for lid, r in member["Resources"].items()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
    }
    return {role_id, *policies}


def _undelivered_alarm_id(member: dict[str, Any]) -> str:
    (lid,) = [str(lid) for lid in member["Resources"] if "SnapshotNoticesUndelivered" in lid]
    return lid


def test_member_pages_when_a_snapshot_notice_cannot_cross_to_the_central_topic(assembly: Path) -> None:
    # the role, topic and key policies hold this path together; when one refuses, the rule's
    # FailedInvocations is the only trace, and the alarm on it pages through CloudWatch's own path
    member = _template(assembly, "member/HighResMetricsMember")
    (rule_id,) = [lid for lid, r in member["Resources"].items() if "EventPattern" in r.get("Properties", {})]
    alarm = member["Resources"][_undelivered_alarm_id(member)]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AWS/Events",
        "FailedInvocations",
        "Sum",
    )
    assert alarm["Dimensions"] == [{"Name": "RuleName", "Value": {"Ref": rule_id}}]
    assert (alarm["Threshold"], alarm["ComparisonOperator"], alarm["TreatMissingData"]) == (
        1,
        "GreaterThanOrEqualToThreshold",
        "notBreaching",
    )
    # a single-account stack's rule publishes to its own topic, a path the policy tests prove
    single = _template(assembly, "HighResMetrics")
    assert not [lid for lid in single["Resources"] if "SnapshotNoticesUndelivered" in lid]


def _snapshot_rule(member: dict[str, Any]) -> dict[str, Any]:
    (rule,) = [r for r in _resources(member, "AWS::Events::Rule") if "EventPattern" in r["Properties"]]
    return rule


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-1"])
def test_member_snapshot_notices_reach_the_central_topic_through_their_named_role(
    assembly: Path, region: str
) -> None:
    member, resolver = _member_in(assembly, region)
    (target,) = _snapshot_rule(member)["Properties"]["Targets"]
    topic_arn = f"arn:aws:sns:{region}:{MONITORING}:{CENTRAL_TOPIC_NAME}"
    assert resolver.resolve(target["Arn"]) == topic_arn
    role_id = resolver.logical_id_of("AWS::IAM::Role", resolver.resolve(target["RoleArn"]), "Arn")
    # the name the central topic's and key's policies admit, one per region of the account
    assert resolver.resolve(resolver.resources("AWS::IAM::Role")[role_id]["RoleName"]) == (
        snapshot_notice_role_name(region)
    )

    # EventBridge of this account, and nobody else, may assume it
    role_arn = resolver.get_att(role_id, "Arn")
    # a trust policy names no Resource: it is the role's own resource policy
    trust = [{"Resource": role_arn, **s} for s in resolver.trust_statements(role_id)]
    events_of = {
        account: Request(
            "sts:AssumeRole",
            role_arn,
            Principal(service="events.amazonaws.com"),
            {"aws:SourceAccount": account},
        )
        for account in (MEMBER_ACCOUNT, "999988887777")
    }
    assert evaluate(trust, events_of[MEMBER_ACCOUNT], resource_policy=True) is Decision.ALLOW
    assert evaluate(trust, events_of["999988887777"], resource_policy=True) is Decision.IMPLICIT_DENY

    # it may publish to that one topic, and use the key under the central alias, through SNS only
    statements = resolver.role_statements(role_id)
    key_arn = f"arn:aws:kms:{region}:{MONITORING}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    through_sns = {
        "kms:ViaService": f"sns.{region}.amazonaws.com",
        "kms:ResourceAliases": [CENTRAL_KEY_ALIAS],
    }

    def decide(action: str, resource: str, context: dict[str, Any] | None = None) -> Decision:
        return evaluate(statements, Request(action, resource, context=context or {}), resource_policy=False)

    assert decide("sns:Publish", topic_arn) is Decision.ALLOW
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert decide(action, key_arn, through_sns) is Decision.ALLOW, action
    assert decide("sns:Publish", topic_arn.replace(CENTRAL_TOPIC_NAME, "another-topic")) is not Decision.ALLOW
    assert decide("sns:Publish", topic_arn.replace(MONITORING, MEMBER_ACCOUNT)) is not Decision.ALLOW
    assert decide(
        "kms:GenerateDataKey", key_arn, {**through_sns, "kms:ResourceAliases": ["alias/other"]}
    ) is not (Decision.ALLOW)
    assert decide(
        "kms:Decrypt", key_arn, {**through_sns, "kms:ViaService": f"s3.{region}.amazonaws.com"}
    ) is not (Decision.ALLOW)
    assert decide("kms:CreateGrant", key_arn, through_sns) is not Decision.ALLOW


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-1"])
def test_member_alarms_page_the_central_topic_of_their_own_region(assembly: Path, region: str) -> None:
    member, resolver = _member_in(assembly, region)
    alarms = _resources(member, "AWS::CloudWatch::Alarm")
    expected = [f"arn:aws:sns:{region}:{MONITORING}:{CENTRAL_TOPIC_NAME}"]

    for alarm in alarms:
        assert [resolver.resolve(a) for a in alarm["Properties"]["AlarmActions"]] == expected
        assert [resolver.resolve(a) for a in alarm["Properties"]["OKActions"]] == expected


def test_member_link_shares_metrics_with_its_own_regions_sink(assembly: Path) -> None:
    member = _template(assembly, "member/HighResMetricsMember")
    (link,) = _resources(member, "AWS::Oam::Link")

    assert link["Properties"]["ResourceTypes"] == ["AWS::CloudWatch::Metric"]
    assert link["Properties"]["LabelTemplate"] == "$AccountName"
    # only the pipeline's namespace is shared; the account's other metrics stay its own
    assert link["Properties"]["LinkConfiguration"] == {
        "MetricConfiguration": {"Filter": "Namespace = 'HighResMetrics'"}
    }
    assert link["Properties"]["SinkIdentifier"] == {
        "Fn::FindInMap": ["MonitoringSinks", {"Ref": "AWS::Region"}, "SinkArn"]
    }
    # every region of the StackSet finds its sink in the template itself (auto-deployment included)
    assert member["Mappings"]["MonitoringSinks"] == {
        region: {"SinkArn": arn} for region, arn in SINKS.items()
    }


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-1"])
def test_member_lambda_code_comes_from_the_organization_bucket_not_bootstrap(
    assembly: Path, region: str
) -> None:
    member, resolver = _member_in(assembly, region)
    functions = _resources(member, "AWS::Lambda::Function")

    assert functions
    for function in functions:
        assert resolver.resolve(function["Properties"]["Code"]["S3Bucket"]) == asset_bucket_name(
            ORG_ID, region
        )
    assert "cdk-hnb659fds-assets" not in json.dumps(member)


def _bucket_policy(assembly: Path) -> tuple[str, list[dict[str, Any]]]:
    template = _template(assembly, "HighResMetricsAssets-eu-west-1")
    ((bucket_id, bucket),) = [
        (lid, r) for lid, r in template["Resources"].items() if r["Type"] == "AWS::S3::Bucket"
    ]
    name = bucket["Properties"]["BucketName"]
    # S3 buckets are not among the evaluator's resource types: give their ARN, resolve the rest.
    text = json.dumps(_resources(template, "AWS::S3::BucketPolicy")[0]["Properties"]["PolicyDocument"])
    text = text.replace(json.dumps({"Fn::GetAtt": [bucket_id, "Arn"]}), json.dumps(f"arn:aws:s3:::{name}"))
    document = TemplateResolver(template, region="eu-west-1").resolve(json.loads(text))
    return name, document["Statement"]


@pytest.mark.parametrize(
    ("action", "org_id", "secure", "decision"),
    [
        ("s3:GetObject", ORG_ID, "true", Decision.ALLOW),
        ("s3:GetObject", "o-zz9y8x7w6v", "true", Decision.IMPLICIT_DENY),
        ("s3:GetObject", None, "true", Decision.IMPLICIT_DENY),
        ("s3:GetObject", ORG_ID, "false", Decision.EXPLICIT_DENY),
        ("s3:PutObject", ORG_ID, "true", Decision.IMPLICIT_DENY),
        ("s3:DeleteObject", ORG_ID, "true", Decision.IMPLICIT_DENY),
    ],
    ids=["org-reads", "other-org", "outside-any-org", "no-tls", "org-cannot-write", "org-cannot-delete"],
)
def test_asset_bucket_policy_admits_only_the_organization_to_read(
    assembly: Path, action: str, org_id: str | None, secure: str, decision: Decision
) -> None:
    name, statements = _bucket_policy(assembly)
    context: dict[str, str] = {"aws:SecureTransport": secure}
    if org_id:
        context["aws:PrincipalOrgID"] = org_id
    request = Request(
        action=action,
        resource=f"arn:aws:s3:::{name}/fd68.zip",
        principal=Principal(arn=f"arn:aws:iam::{MEMBER_ACCOUNT}:role/stacksets-exec-0123"),
        context=context,
    )
    assert evaluate(statements, request, resource_policy=True) == decision


def test_asset_bucket_blocks_public_access_and_encrypts(assembly: Path) -> None:
    (bucket,) = _resources(_template(assembly, "HighResMetricsAssets-us-east-1"), "AWS::S3::Bucket")
    props = bucket["Properties"]

    assert props["BucketName"] == asset_bucket_name(ORG_ID, "us-east-1")
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}


@pytest.mark.parametrize("report", ["validation-report.json", "member/validation-report.json"])
def test_cdk_nag_finds_nothing_in_the_organization_or_member_stacks(assembly: Path, report: str) -> None:
    plugins = json.loads((assembly / report).read_text())["pluginReports"]
    assert [p["pluginName"] for p in plugins] == ["AwsSolutions"]
    assert [v for p in plugins for v in p["violations"]] == []


@pytest.mark.parametrize(
    "name", ["HighResMetricsStackSet", "HighResMetricsAssets-eu-west-1", "member/HighResMetricsMember"]
)
def test_cfn_lint_finds_no_errors_in_the_organization_templates(assembly: Path, name: str) -> None:
    lint = _cfn_lint(assembly / f"{name}.template.json")
    assert lint.returncode == 0, lint.stdout
    findings = json.loads(lint.stdout or "[]")
    assert [
        (f["Rule"]["Id"], f["Message"]) for f in findings if f["Rule"]["Id"] not in CFN_LINT_EXPLAINED
    ] == []


def test_checkov_passes_the_stackset_and_bucket_templates_or_says_why(assembly: Path) -> None:
    report = _checkov(
        assembly / "HighResMetricsStackSet.template.json",
        assembly / "HighResMetricsAssets-eu-west-1.template.json",
    )
    assert report["summary"]["parsing_errors"] == 0
    assert [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]] == []
    assert report["summary"]["passed"] > 5, "checkov really ran its checks"
    assert {c["check_id"] for c in report["results"]["skipped_checks"]} == {"CKV_AWS_18"}


def test_stackset_follows_the_optional_keys_and_the_link_the_namespace(tmp_path: Path) -> None:
    options = {
        "organizationalUnits": ["r-ab12"],
        "callAs": "DELEGATED_ADMIN",
        "retainStacksOnAccountRemoval": True,
        "regionConcurrency": "PARALLEL",
        "maxConcurrentPercentage": 50,
        "failureTolerancePercentage": 0,
    }
    config = parse_config(
        {"namespace": "Platform/HighRes", "organization": {**ORGANIZATION, **options, "sinks": SINKS}}
    )
    outdir, _ = synth_app(config, tmp_path)
    (stack_set,) = _resources(_template(outdir, "HighResMetricsStackSet"), "AWS::CloudFormation::StackSet")
    props = stack_set["Properties"]

    assert props["CallAs"] == "DELEGATED_ADMIN"
    assert props["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": True}
    assert props["StackInstancesGroup"][0]["DeploymentTargets"] == {
        "OrganizationalUnitIds": ["r-ab12"],
        "AccountFilterType": "DIFFERENCE",
        "Accounts": [MONITORING],
    }
    assert props["OperationPreferences"]["RegionConcurrencyType"] == "PARALLEL"
    assert props["OperationPreferences"]["MaxConcurrentPercentage"] == 50
    assert props["OperationPreferences"]["FailureTolerancePercentage"] == 0
    (link,) = _resources(_template(outdir, "member/HighResMetricsMember"), "AWS::Oam::Link")
    assert (
        link["Properties"]["LinkConfiguration"]["MetricConfiguration"]["Filter"]
        == "Namespace = 'Platform/HighRes'"
    )


def test_pending_sinks_synthesize_the_monitoring_stacks_only(tmp_path: Path) -> None:
    config = parse_config({"organization": {**ORGANIZATION, "sinks": {"eu-west-1": SINKS["eu-west-1"]}}})
    outdir, _ = synth_app(config, tmp_path)

    assert _stacks(outdir) == {
        "HighResMetrics",
        "HighResMetricsMonitoring-eu-west-1",
        "HighResMetricsMonitoring-us-east-1",
    }
    assert not (outdir / "member").exists()


def test_default_config_synthesizes_no_organization_resource() -> None:
    result = synth()
    organization_types = {
        "AWS::CloudFormation::StackSet",
        "AWS::Oam::Link",
        "AWS::Oam::Sink",
        "AWS::S3::Bucket",
    }

    assert _stacks(result.assembly) == {"HighResMetrics"}
    assert not organization_types & {r["Type"] for r in result.template["Resources"].values()}
    assert "Mappings" not in result.template and not (result.assembly / "member").exists()


def test_template_limits_are_checked_at_synth_with_one_line() -> None:
    small = json.dumps({"Resources": {f"R{i}": {"Type": "AWS::SNS::Topic"} for i in range(500)}})
    check_template_limits(small, inline=False)
    too_many = json.dumps({"Resources": {f"R{i}": {"Type": "AWS::SNS::Topic"} for i in range(501)}})
    with pytest.raises(ConfigError, match="declares 501 resources, over 500"):
        check_template_limits(too_many, inline=False)
    with pytest.raises(ConfigError, match=r"over 1,000,000 from S3 \(TemplateURL\)"):
        check_template_limits(json.dumps({"Resources": {}, "Description": "x" * 1_000_000}), inline=False)
    with pytest.raises(ConfigError, match=r"over 51,200 inline \(TemplateBody\)"):
        check_template_limits(json.dumps({"Resources": {}, "Description": "x" * 51_200}), inline=True)


def test_a_named_role_asks_for_the_named_iam_capability() -> None:
    role = {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "fixed"}}
    assert capabilities(json.dumps({"Resources": {"R": role}})) == ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
    assert capabilities(json.dumps({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {}}}})) == [
        "CAPABILITY_IAM"
    ]


def test_cdk_app_stops_a_bad_organization_with_one_line_and_no_template(tmp_path: Path) -> None:
    # given the context `cdk synth -c organization=...` hands the app, with a malformed OU id
    bad = {**ORGANIZATION, "organizationalUnits": ["ou-AB12-cdefgh34"]}
    # when the app runs
    done = run_app(tmp_path, {"organization": bad})
    # then one line names the key, the exit code is 2, and nothing is written
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "highres-metrics: configuration error: organization.organizationalUnits: 'ou-AB12-cdefgh34' "
        "is not an OU id (ou-ab12-cdefgh34) or root id (r-ab12)"
    ]
    assert not list(tmp_path.glob("*.template.json"))
