"""The offline policy evaluator itself: each rule of AWS's evaluation logic the path tests rely on."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.policy_evaluator import (
    Decision,
    Principal,
    Request,
    TemplateResolver,
    UnsupportedPolicyError,
    evaluate,
)

TOPIC = "arn:aws:sns:us-east-1:123456789012:alarms"
CLOUDWATCH = Principal(service="cloudwatch.amazonaws.com")


def identity(*statements: dict[str, Any]) -> list[dict[str, Any]]:
    return list(statements)


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def decide(statements: list[dict[str, Any]], action: str, resource: str = "*", /, **context: Any) -> Decision:
    return evaluate(statements, Request(action, resource, context=context), resource_policy=False)


def test_policy_evaluator_implicitly_denies_what_no_statement_allows() -> None:
    assert decide([allow("ec2:DescribeVolumes")], "ec2:DescribeSnapshots") is Decision.IMPLICIT_DENY
    assert decide([], "ec2:DescribeSnapshots") is Decision.IMPLICIT_DENY


def test_policy_evaluator_explicit_deny_wins_over_any_allow() -> None:
    statements = [allow("sns:Publish"), {"Effect": "Deny", "Action": "sns:*", "Resource": "*"}]
    assert decide(statements, "sns:Publish") is Decision.EXPLICIT_DENY
    assert decide(list(reversed(statements)), "sns:Publish") is Decision.EXPLICIT_DENY


def test_policy_evaluator_actions_match_wildcards_case_insensitively() -> None:
    statements = [allow(["kms:GenerateDataKey*", "ecs:Describe?lusters"])]
    assert decide(statements, "kms:GenerateDataKey") is Decision.ALLOW
    assert decide(statements, "KMS:generatedatakeywithoutplaintext") is Decision.ALLOW
    assert decide(statements, "ecs:DescribeClusters") is Decision.ALLOW
    assert decide(statements, "kms:Decrypt") is Decision.IMPLICIT_DENY
    assert decide(statements, "ecs:DescribeXXClusters") is Decision.IMPLICIT_DENY


def test_policy_evaluator_not_action_applies_to_every_other_action() -> None:
    statements = [{"Effect": "Deny", "NotAction": "sns:Publish", "Resource": "*"}, allow("sns:*")]
    assert decide(statements, "sns:Publish") is Decision.ALLOW
    assert decide(statements, "sns:Subscribe") is Decision.EXPLICIT_DENY


def test_policy_evaluator_resources_match_case_sensitively_and_star_spans_segments() -> None:
    log_group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*"
    statements = [allow("logs:PutLogEvents", log_group)]
    stream = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:log-stream:2026/12/01/[$LATEST]ab"
    assert decide(statements, "logs:PutLogEvents", stream) is Decision.ALLOW
    assert decide(statements, "logs:PutLogEvents", stream.replace("/x:", "/X:")) is Decision.IMPLICIT_DENY
    assert decide(statements, "logs:PutLogEvents", stream.replace("/x:", "/xy:")) is Decision.IMPLICIT_DENY
    # `service/*` covers both ECS service ARN formats; `service/*/*` only the long one.
    long_arn = "arn:aws:ecs:us-east-1:123456789012:service/prod/api"
    short_arn = "arn:aws:ecs:us-east-1:123456789012:service/api"
    two_levels = [allow("ecs:DescribeServices", "arn:aws:ecs:us-east-1:123456789012:service/*/*")]
    one_level = [allow("ecs:DescribeServices", "arn:aws:ecs:us-east-1:123456789012:service/*")]
    assert decide(two_levels, "ecs:DescribeServices", long_arn) is Decision.ALLOW
    assert decide(two_levels, "ecs:DescribeServices", short_arn) is Decision.IMPLICIT_DENY
    assert decide(one_level, "ecs:DescribeServices", short_arn) is Decision.ALLOW


def test_policy_evaluator_not_resource_excludes_the_named_resources() -> None:
    statements = [{"Effect": "Allow", "Action": "sns:Publish", "NotResource": TOPIC}]
    assert decide(statements, "sns:Publish", TOPIC) is Decision.IMPLICIT_DENY
    assert decide(statements, "sns:Publish", TOPIC + "-other") is Decision.ALLOW


def test_policy_evaluator_resource_policies_match_the_principal() -> None:
    statements = [
        {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish"}
        | {"Resource": TOPIC}
    ]
    for who, expected in (
        (CLOUDWATCH, Decision.ALLOW),
        (Principal(service="events.amazonaws.com"), Decision.IMPLICIT_DENY),
        (Principal(arn="arn:aws:iam::123456789012:role/x"), Decision.IMPLICIT_DENY),
    ):
        assert evaluate(statements, Request("sns:Publish", TOPIC, who), resource_policy=True) is expected
    anyone = [{"Effect": "Deny", "Principal": "*", "Action": "sns:Publish", "Resource": TOPIC}]
    assert evaluate(anyone, Request("sns:Publish", TOPIC, CLOUDWATCH), resource_policy=True) is (
        Decision.EXPLICIT_DENY
    )


def test_policy_evaluator_bool_secure_transport_denies_plain_http() -> None:
    statements = [
        allow("sns:Publish"),
        {
            "Effect": "Deny",
            "Action": "sns:Publish",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]
    assert decide(statements, "sns:Publish", **{"aws:SecureTransport": True}) is Decision.ALLOW
    assert decide(statements, "sns:Publish", **{"aws:SecureTransport": False}) is Decision.EXPLICIT_DENY
    # A Bool test on a key the request lacks does not match: the Deny does not apply.
    assert decide(statements, "sns:Publish") is Decision.ALLOW


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        (
            {"StringEquals": {"cloudwatch:namespace": "HighResMetrics"}},
            {"cloudwatch:namespace": "HighResMetrics"},
            True,
        ),
        (
            {"StringEquals": {"cloudwatch:namespace": "HighResMetrics"}},
            {"cloudwatch:namespace": "highresmetrics"},
            False,
        ),
        ({"StringEquals": {"cloudwatch:namespace": "HighResMetrics"}}, {}, False),
        (
            {"StringEquals": {"cloudwatch:namespace": ["A", "HighResMetrics"]}},
            {"cloudwatch:namespace": "A"},
            True,
        ),
        (
            {"StringNotEquals": {"aws:SourceAccount": "123456789012"}},
            {"aws:SourceAccount": "210987654321"},
            True,
        ),
        (
            {"StringNotEquals": {"aws:SourceAccount": "123456789012"}},
            {"aws:SourceAccount": "123456789012"},
            False,
        ),
        ({"StringNotEquals": {"aws:SourceAccount": "123456789012"}}, {}, True),
        (
            {"StringLike": {"ecs:cluster": "*prod*"}},
            {"ecs:cluster": "arn:aws:ecs:us-east-1:1:cluster/prod"},
            True,
        ),
        (
            {"StringLike": {"ecs:cluster": "*prod"}},
            {"ecs:cluster": "arn:aws:ecs:us-east-1:1:cluster/prod2"},
            False,
        ),
        ({"StringLike": {"ecs:cluster": "*"}}, {}, False),
        ({"StringEqualsIfExists": {"aws:SourceAccount": "1"}}, {}, True),
        ({"StringEqualsIfExists": {"aws:SourceAccount": "1"}}, {"aws:SourceAccount": "2"}, False),
        ({"Null": {"aws:SourceArn": "true"}}, {}, True),
        ({"Null": {"aws:SourceArn": "false"}}, {}, False),
        # Condition keys are case-insensitive, values are not.
        ({"StringEquals": {"AWS:SourceAccount": "1"}}, {"aws:sourceaccount": "1"}, True),
        # Two keys in one operator, or two operators: all must hold.
        (
            {"StringEquals": {"aws:SourceAccount": "1", "aws:SourceOwner": "1"}},
            {"aws:SourceAccount": "1"},
            False,
        ),
        (
            {"StringEquals": {"aws:SourceAccount": "1"}, "Bool": {"aws:SecureTransport": "true"}},
            {"aws:SourceAccount": "1", "aws:SecureTransport": False},
            False,
        ),
    ],
)
def test_policy_evaluator_string_conditions(
    condition: dict[str, Any], context: dict[str, Any], expected: bool
) -> None:
    statements = [allow("cloudwatch:PutMetricData", Condition=condition)]
    decision = decide(statements, "cloudwatch:PutMetricData", **context)
    assert (decision is Decision.ALLOW) is expected


ALARMS = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:HighResMetrics-*"


@pytest.mark.parametrize(
    ("operator", "pattern", "arn", "expected"),
    [
        (
            "ArnLike",
            ALARMS,
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:HighResMetrics-EbsVolumesInError",
            True,
        ),
        (
            "ArnLike",
            ALARMS,
            "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:HighResMetrics-EbsVolumesInError",
            False,
        ),
        (
            "ArnLike",
            ALARMS,
            "arn:aws:cloudwatch:us-east-1:210987654321:alarm:HighResMetrics-EbsVolumesInError",
            False,
        ),
        ("ArnLike", ALARMS, "arn:aws:cloudwatch:us-east-1:123456789012:alarm:Other-Alarm", False),
        # A wildcard stays inside its own part of the ARN: "*" in the region part cannot eat the account.
        (
            "ArnLike",
            "arn:aws:cloudwatch:*:alarm:X",
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:X",
            False,
        ),
        (
            "ArnLike",
            "arn:aws:cloudwatch:*:*:alarm:X",
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:X",
            True,
        ),
        ("ArnEquals", "arn:aws:ecs:us-east-1:1:cluster/prod", "arn:aws:ecs:us-east-1:1:cluster/prod", True),
        (
            "ArnEquals",
            "arn:aws:ecs:us-east-1:1:cluster/prod",
            "arn:aws:ecs:us-east-1:1:cluster/staging",
            False,
        ),
        ("ArnEquals", "arn:aws:ecs:us-east-1:1:cluster/prod", "not-an-arn", False),
        ("ArnNotLike", ALARMS, "arn:aws:cloudwatch:us-east-1:123456789012:alarm:Other", True),
    ],
)
def test_policy_evaluator_arn_conditions(operator: str, pattern: str, arn: str, expected: bool) -> None:
    statements = [allow("sns:Publish", Condition={operator: {"aws:SourceArn": pattern}})]
    assert (decide(statements, "sns:Publish", **{"aws:SourceArn": arn}) is Decision.ALLOW) is expected
    missing = decide(statements, "sns:Publish") is Decision.ALLOW
    assert missing is operator.startswith("ArnNot"), "a missing key matches only a negated operator"


METRIC, LOGS = "AWS::CloudWatch::Metric", "AWS::Logs::LogGroup"


@pytest.mark.parametrize(
    ("operator", "requested", "expected"),
    [
        # ForAllValues: every requested value must be in the policy's set...
        ("ForAllValues:StringEquals", [METRIC], True),
        ("ForAllValues:StringEquals", [METRIC, LOGS], False),
        ("ForAllValues:StringEquals", [LOGS], False),
        # ...and a missing key or an empty set holds (vacuously): AWS's documented pitfall.
        ("ForAllValues:StringEquals", None, True),
        ("ForAllValues:StringEquals", [], True),
        # ForAnyValue: one requested value in the policy's set is enough; nothing requested is not.
        ("ForAnyValue:StringEquals", [METRIC, LOGS], True),
        ("ForAnyValue:StringEquals", [LOGS], False),
        ("ForAnyValue:StringEquals", None, False),
        ("ForAnyValue:StringEquals", [], False),
        # Negated: every (ForAll) or some (ForAny) requested value is outside the policy's set.
        ("ForAllValues:StringNotEquals", [LOGS], True),
        ("ForAllValues:StringNotEquals", [METRIC, LOGS], False),
        ("ForAnyValue:StringNotEquals", [METRIC, LOGS], True),
        ("ForAnyValue:StringNotEquals", [METRIC], False),
        # Wildcards and IfExists keep their meaning under a qualifier.
        ("ForAllValues:StringLike", ["AWS::CloudWatch::Metric"], True),
        ("ForAnyValue:StringEqualsIfExists", None, True),
        ("ForAnyValue:StringEqualsIfExists", [LOGS], False),
    ],
)
def test_policy_evaluator_set_operators_on_multivalued_keys(
    operator: str, requested: list[str] | None, expected: bool
) -> None:
    # given: the sink policy's shape, a set of resource types the request may hold
    values: Any = [METRIC] if "Like" not in operator else ["AWS::CloudWatch::*"]
    statements = [allow("oam:CreateLink", Condition={operator: {"oam:ResourceTypes": values}})]
    context = {} if requested is None else {"oam:ResourceTypes": requested}
    # when / then
    assert (decide(statements, "oam:CreateLink", **context) is Decision.ALLOW) is expected


def test_policy_evaluator_set_operator_and_a_plain_one_must_both_hold() -> None:
    # The sink policy: an organization's principal, asking for metrics only.
    condition = {
        "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
        "ForAllValues:StringEquals": {"oam:ResourceTypes": [METRIC]},
    }
    statements = [allow("oam:CreateLink", Condition=condition)]
    member = {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}
    assert decide(statements, "oam:CreateLink", **member, **{"oam:ResourceTypes": [METRIC]}) is (
        Decision.ALLOW
    )
    outsider = {"aws:PrincipalOrgID": "o-zzzzzzzzzz", "oam:ResourceTypes": [METRIC]}
    assert decide(statements, "oam:CreateLink", **outsider) is Decision.IMPLICIT_DENY
    assert decide(statements, "oam:CreateLink", **{"oam:ResourceTypes": [METRIC]}) is Decision.IMPLICIT_DENY
    both = {"oam:ResourceTypes": [METRIC, LOGS]}
    assert decide(statements, "oam:CreateLink", **member, **both) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "NotPrincipal": {"AWS": "x"}, "Action": "sns:Publish", "Resource": "*"},
        allow("sns:Publish", Condition={"ForEachValue:StringEquals": {"aws:TagKeys": "a"}}),
        allow("sns:Publish", Condition={"ForAnyValue:Null": {"aws:TagKeys": "true"}}),
        allow("sns:Publish", Condition={"ForAllValues:NumericLessThan": {"aws:TagKeys": "1"}}),
        allow("sns:Publish", Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "60"}}),
        {"Effect": "Allow", "Action": "sns:Publish"},
        {"Effect": "Maybe", "Action": "sns:Publish", "Resource": "*"},
    ],
    ids=[
        "not-principal",
        "unknown-qualifier",
        "null-under-a-qualifier",
        "numeric-set",
        "numeric",
        "no-resource",
        "bad-effect",
    ],
)
def test_policy_evaluator_refuses_what_it_does_not_model(statement: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedPolicyError):
        decide([statement], "sns:Publish")


def test_policy_evaluator_identity_and_resource_policies_are_not_mixed_up() -> None:
    with pytest.raises(UnsupportedPolicyError):
        evaluate([allow("sns:Publish")], Request("sns:Publish", TOPIC, CLOUDWATCH), resource_policy=True)
    with pytest.raises(UnsupportedPolicyError):
        decide([allow("sns:Publish", Principal="*")], "sns:Publish")


TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
        "Named": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "collector"}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/aws/vendedlogs/states/x"}},
        "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {}},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
    }
}


def test_template_resolver_evaluates_intrinsics_with_the_fake_environment() -> None:
    resolver = TemplateResolver(TEMPLATE, account="111122223333", region="eu-west-1", stack_name="S")
    assert resolver.resolve({"Fn::GetAtt": ["Named", "Arn"]}) == (
        "arn:aws:lambda:eu-west-1:111122223333:function:collector"
    )
    assert resolver.resolve({"Ref": "Fn"}) == "S-Fn-FAKE1234"
    assert resolver.resolve({"Fn::GetAtt": "Logs.Arn"}) == (
        "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/vendedlogs/states/x:*"
    )
    assert (
        resolver.resolve({"Ref": "Machine"})
        == "arn:aws:states:eu-west-1:111122223333:stateMachine:S-Machine-FAKE1234"
    )
    joined = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":ecs:", {"Ref": "AWS::Region"}, ":x"]]}
    assert resolver.resolve(joined) == "arn:aws:ecs:eu-west-1:x"
    assert resolver.resolve({"Fn::Sub": "${AWS::AccountId}/${Named.Arn}"}) == (
        "111122223333/arn:aws:lambda:eu-west-1:111122223333:function:collector"
    )
    assert resolver.resolve({"Fn::Sub": ["${T}:${AWS::Region}", {"T": {"Ref": "Topic"}}]}) == (
        "arn:aws:sns:eu-west-1:111122223333:S-Topic-FAKE1234:eu-west-1"
    )
    assert resolver.logical_id_of("AWS::SNS::Topic", resolver.ref("Topic")) == "Topic"


def test_template_resolver_refuses_unknown_functions_and_attributes() -> None:
    resolver = TemplateResolver(TEMPLATE)
    with pytest.raises(UnsupportedPolicyError):
        resolver.resolve({"Fn::ImportValue": "x"})
    with pytest.raises(UnsupportedPolicyError):
        resolver.resolve({"Fn::GetAtt": ["Named", "SnapStartResponse"]})
    with pytest.raises(KeyError):
        resolver.resolve({"Ref": "Missing"})
