"""The monitoring account's permission paths, evaluated on the synthesized MonitoringStack.

1. member alarm -> central topic: CloudWatch of an organization account may publish (the topic
   policy) and use the topic's key (the key policy); CloudWatch of an account outside the
   organization may not, nor anything else;
1b. member snapshot rule -> central topic: the snapshot notice role of an organization account
   (EventBridge's execution role) may publish and use the key through SNS; a role of another name
   or region, or of an account outside the organization, may not;
2. member -> sink: only principals of the organization may create or update a link, and only one
   that shares metrics (a link asking for log groups too is refused).
"""

from __future__ import annotations

from typing import Any

import pytest

from stacks.constructs.central_topic_construct import (
    CENTRAL_KEY_ALIAS,
    central_topic_arn,
    snapshot_notice_role_name,
)
from stacks.constructs.org_sink_construct import METRICS
from tests.support.monitoring import (
    MEMBER_ACCOUNT,
    MONITORING_ACCOUNT,
    ORGANIZATION_ID,
    OUTSIDE_ACCOUNT,
    OUTSIDE_ORGANIZATION_ID,
    REGION,
    STACK_NAME,
    synth_monitoring,
)
from tests.support.policy_evaluator import Decision, Principal, Request, TemplateResolver, evaluate
from tests.support.stacks import SynthResult

CLOUDWATCH = Principal(service="cloudwatch.amazonaws.com")
LOG_GROUPS = "AWS::Logs::LogGroup"


@pytest.fixture(scope="module")
def monitoring() -> SynthResult:
    return synth_monitoring(
        alarmThresholds={"runningTasksMin": 2, "containerInstancesMin": 1},
        notificationEmails=["oncall@example.com"],
    )


@pytest.fixture(scope="module")
def resolver(monitoring: SynthResult) -> TemplateResolver:
    return TemplateResolver(
        monitoring.template, account=MONITORING_ACCOUNT, region=REGION, stack_name=STACK_NAME
    )


def _topic_arn(resolver: TemplateResolver) -> str:
    (topic_id,) = resolver.resources("AWS::SNS::Topic")
    return resolver.ref(topic_id)


def _alarm_arn(account: str, region: str = REGION, name: str = "HighResMetrics-EbsVolumesInError") -> str:
    return f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"


def _cloudwatch_context(account: str, org_id: str | None, alarm_arn: str | None = None) -> dict[str, Any]:
    """What CloudWatch sends with an alarm's Publish (and its KMS call): the alarm, its account,
    its account's organization when it is in one, over TLS."""
    context: dict[str, Any] = {
        "aws:SourceAccount": account,
        "aws:SourceArn": alarm_arn or _alarm_arn(account),
        "aws:SecureTransport": True,
    }
    if org_id is not None:
        context["aws:SourceOrgID"] = org_id
    return context


def publish(resolver: TemplateResolver, context: dict[str, Any], who: Principal = CLOUDWATCH) -> Decision:
    topic_arn = _topic_arn(resolver)
    statements = resolver.topic_policy_statements(topic_arn)
    assert statements is not None, "the topic has no policy: SNS's default one would apply"
    return evaluate(statements, Request("sns:Publish", topic_arn, who, context), resource_policy=True)


def use_key(
    resolver: TemplateResolver, action: str, context: dict[str, Any], who: Principal = CLOUDWATCH
) -> Decision:
    topic = resolver.resources("AWS::SNS::Topic")[
        resolver.logical_id_of("AWS::SNS::Topic", _topic_arn(resolver))
    ]
    key_arn = resolver.resolve(topic["KmsMasterKeyId"])
    key = resolver.resources("AWS::KMS::Key")[resolver.logical_id_of("AWS::KMS::Key", key_arn, "Arn")]
    statements = resolver.resolve(key["KeyPolicy"])["Statement"]
    return evaluate(statements, Request(action, key_arn, who, context), resource_policy=True)


# --- 1. alarm -> central topic -> topic policy and key policy ---------------------------------


def test_monitoring_topic_is_named_as_member_alarms_name_it(resolver: TemplateResolver) -> None:
    assert _topic_arn(resolver) == central_topic_arn(REGION, MONITORING_ACCOUNT)


def test_monitoring_organization_accounts_cloudwatch_may_publish_and_use_the_key(
    resolver: TemplateResolver,
) -> None:
    for account in (MEMBER_ACCOUNT, MONITORING_ACCOUNT):
        context = _cloudwatch_context(account, ORGANIZATION_ID)
        assert publish(resolver, context) is Decision.ALLOW, account
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            assert use_key(resolver, action, context) is Decision.ALLOW, (account, action)


@pytest.mark.parametrize(
    ("account", "org_id"),
    [(OUTSIDE_ACCOUNT, OUTSIDE_ORGANIZATION_ID), (OUTSIDE_ACCOUNT, None)],
    ids=["account-of-another-organization", "account-in-no-organization"],
)
def test_monitoring_outside_accounts_cloudwatch_may_neither_publish_nor_use_the_key(
    resolver: TemplateResolver, account: str, org_id: str | None
) -> None:
    context = _cloudwatch_context(account, org_id)
    assert publish(resolver, context) is Decision.IMPLICIT_DENY
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert use_key(resolver, action, context) is Decision.IMPLICIT_DENY, action


def test_monitoring_topic_refuses_other_regions_plain_http_and_other_principals(
    resolver: TemplateResolver,
) -> None:
    # An alarm of the organization in another region names that region's topic, never this one.
    elsewhere = _cloudwatch_context(MEMBER_ACCOUNT, ORGANIZATION_ID, _alarm_arn(MEMBER_ACCOUNT, "us-east-1"))
    assert publish(resolver, elsewhere) is Decision.IMPLICIT_DENY
    plain_http = _cloudwatch_context(MEMBER_ACCOUNT, ORGANIZATION_ID) | {"aws:SecureTransport": False}
    assert publish(resolver, plain_http) is Decision.EXPLICIT_DENY
    # A role of a member account is no CloudWatch alarm: it may not publish pages itself.
    role = Principal(arn=f"arn:aws:iam::{MEMBER_ACCOUNT}:role/anything")
    assert publish(resolver, {"aws:PrincipalOrgID": ORGANIZATION_ID, "aws:SecureTransport": True}, role) is (
        Decision.IMPLICIT_DENY
    )


def test_monitoring_own_alarms_notify_the_central_topic(resolver: TemplateResolver) -> None:
    alarms = resolver.resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == 3
    for logical_id, props in alarms.items():
        actions = resolver.resolve(props["AlarmActions"]) + resolver.resolve(props["OKActions"])
        assert actions == [_topic_arn(resolver)] * 2, logical_id
        context = _cloudwatch_context(
            MONITORING_ACCOUNT, ORGANIZATION_ID, resolver.get_att(logical_id, "Arn")
        )
        assert publish(resolver, context) is Decision.ALLOW, logical_id
        assert use_key(resolver, "kms:GenerateDataKey", context) is Decision.ALLOW, logical_id


# --- 1b. member snapshot rule -> its named role -> central topic and key ----------------------


def _notice_role(account: str, name: str | None = None) -> Principal:
    return Principal(arn=f"arn:aws:iam::{account}:role/{name or snapshot_notice_role_name(REGION)}")


def _role_context(
    who: Principal, org_id: str | None, via: str | None = f"sns.{REGION}.amazonaws.com"
) -> dict[str, Any]:
    """What a role's request carries: its ARN, its account's organization, TLS, and (for the KMS
    call SNS makes on its behalf) the service it came through."""
    context: dict[str, Any] = {"aws:PrincipalArn": who.arn, "aws:SecureTransport": True}
    if org_id is not None:
        context["aws:PrincipalOrgID"] = org_id
    if via is not None:
        context["kms:ViaService"] = via
    return context


def test_monitoring_organization_snapshot_notice_roles_may_publish_and_use_the_key(
    resolver: TemplateResolver,
) -> None:
    for account in (MEMBER_ACCOUNT, MONITORING_ACCOUNT):
        role = _notice_role(account)
        context = _role_context(role, ORGANIZATION_ID)
        assert publish(resolver, context, role) is Decision.ALLOW, account
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            assert use_key(resolver, action, context, role) is Decision.ALLOW, (account, action)


@pytest.mark.parametrize(
    ("account", "name", "org_id"),
    [
        (OUTSIDE_ACCOUNT, None, OUTSIDE_ORGANIZATION_ID),
        (OUTSIDE_ACCOUNT, None, None),
        (MEMBER_ACCOUNT, "anything", ORGANIZATION_ID),
        (MEMBER_ACCOUNT, snapshot_notice_role_name("us-east-1"), ORGANIZATION_ID),
    ],
    ids=["another-organization", "no-organization", "another-role", "another-regions-role"],
)
def test_monitoring_other_roles_may_neither_publish_nor_use_the_key(
    resolver: TemplateResolver, account: str, name: str | None, org_id: str | None
) -> None:
    role = _notice_role(account, name)
    context = _role_context(role, org_id)
    assert publish(resolver, context, role) is Decision.IMPLICIT_DENY
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert use_key(resolver, action, context, role) is Decision.IMPLICIT_DENY, action


def test_monitoring_snapshot_notice_role_uses_the_key_through_sns_only_and_over_tls(
    resolver: TemplateResolver,
) -> None:
    role = _notice_role(MEMBER_ACCOUNT)
    for via in (None, f"s3.{REGION}.amazonaws.com"):
        context = _role_context(role, ORGANIZATION_ID, via)
        assert use_key(resolver, "kms:Decrypt", context, role) is Decision.IMPLICIT_DENY, via
    plain_http = _role_context(role, ORGANIZATION_ID) | {"aws:SecureTransport": False}
    assert publish(resolver, plain_http, role) is Decision.EXPLICIT_DENY
    assert use_key(resolver, "kms:CreateGrant", _role_context(role, ORGANIZATION_ID), role) is (
        Decision.IMPLICIT_DENY
    )


def test_monitoring_key_has_the_alias_a_members_role_policy_names(resolver: TemplateResolver) -> None:
    ((_, alias),) = resolver.resources("AWS::KMS::Alias").items()
    topic = resolver.resources("AWS::SNS::Topic")[
        resolver.logical_id_of("AWS::SNS::Topic", _topic_arn(resolver))
    ]
    assert alias["AliasName"] == CENTRAL_KEY_ALIAS
    assert resolver.resolve(alias["TargetKeyId"]) == resolver.resolve(topic["KmsMasterKeyId"])


# --- 2. member -> sink ------------------------------------------------------------------------


def link(resolver: TemplateResolver, action: str, org_id: str | None, resource_types: list[str]) -> Decision:
    ((sink_id, sink),) = resolver.resources("AWS::Oam::Sink").items()
    statements = resolver.resolve(sink["Policy"])["Statement"]
    # The member's StackSet execution role creates the link; OAM passes the types it asks for.
    who = Principal(arn=f"arn:aws:iam::{MEMBER_ACCOUNT}:role/stacksets-exec-0123456789abcdef")
    context: dict[str, Any] = {"oam:ResourceTypes": resource_types}
    if org_id is not None:
        context["aws:PrincipalOrgID"] = org_id
    return evaluate(statements, Request(action, resolver.ref(sink_id), who, context), resource_policy=True)


def test_monitoring_sink_admits_organization_accounts_linking_metrics(resolver: TemplateResolver) -> None:
    for action in ("oam:CreateLink", "oam:UpdateLink"):
        assert link(resolver, action, ORGANIZATION_ID, [METRICS]) is Decision.ALLOW, action


@pytest.mark.parametrize(
    ("org_id", "resource_types"),
    [
        (OUTSIDE_ORGANIZATION_ID, [METRICS]),
        (None, [METRICS]),
        (ORGANIZATION_ID, [METRICS, LOG_GROUPS]),
        (ORGANIZATION_ID, [LOG_GROUPS]),
    ],
    ids=["other-organization", "no-organization", "metrics-and-log-groups", "log-groups-only"],
)
def test_monitoring_sink_refuses_outsiders_and_anything_but_metrics(
    resolver: TemplateResolver, org_id: str | None, resource_types: list[str]
) -> None:
    assert link(resolver, "oam:CreateLink", org_id, resource_types) is Decision.IMPLICIT_DENY
    assert link(resolver, "oam:UpdateLink", org_id, resource_types) is Decision.IMPLICIT_DENY


def test_monitoring_sink_grants_nothing_but_linking(resolver: TemplateResolver) -> None:
    for action in ("oam:DeleteSink", "oam:PutSinkPolicy", "oam:DeleteLink"):
        assert link(resolver, action, ORGANIZATION_ID, [METRICS]) is Decision.IMPLICIT_DENY, action
