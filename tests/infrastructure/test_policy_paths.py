"""Every permission path the pipeline depends on, evaluated on the synthesized template.

moto enforces no policy, so these paths are proven here instead, with `tests.support.policy_evaluator`
applying AWS's evaluation logic to the template's own policies (resolved for a fake account):

1. alarm -> AlarmActions/OKActions -> SNS topic: the topic policy lets CloudWatch publish (with the
   aws:SourceAccount and aws:SourceArn CloudWatch sends, over TLS), and the topic's KMS key policy
   lets CloudWatch encrypt;
2. schedule rule -> its role may start the sampler; sampler -> its role may invoke every function
   the ASL names and deliver its logs; each role trusts only the service that assumes it;
3. collector -> every AWS call it makes on moto (recorded from botocore, mapped to IAM actions,
   resources and condition keys) is allowed by its own role, and its role grants nothing unused;
4. events mode: an event the function failed reaches the failures queue (Lambda sends the on-failure
   record with the function's role; the queue policy must not refuse it), and so does an event a
   rule could not deliver (EventBridge sends it under the queue policy's grant for that rule).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

import ec2_ebs_state.handler as ec2_handler
import ec2_state_events.handler as state_event_handler
import ecs_counts.handler as ecs_handler
from collector_core import env_names
from ec2_state_events import reconcile_handler
from tests.support.collectors import ACCOUNT, REGION, event_for, fake_aws, lambda_context, recent_minute
from tests.support.policy_evaluator import (
    ContextValue,
    Decision,
    Principal,
    Request,
    TemplateResolver,
    action_matches,
    evaluate,
)
from tests.support.stacks import SynthResult, synth
from tests.support.state_events import create_state_table, instance_event

CLOUDWATCH = Principal(service="cloudwatch.amazonaws.com")

# The configurations whose templates are evaluated: between them every optional grant is present.
CONFIGS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "all-clusters-services-api-standard": {
        "serviceMetrics": True,
        "sink": "api",
        "workflowType": "STANDARD",
        "watchInstanceIds": ["i-0123456789abcdef0"],
        "notificationEmails": ["oncall@example.com"],
    },
    "listed-clusters-in-a-fixed-env": {
        "clusters": ["prod", f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/staging"],
        "serviceMetrics": True,
        "sink": "api",
        "namespace": "Team/HighRes",
        "alarmThresholds": {"runningTasksMin": 2, "containerInstancesMin": 1},
        "targets": [{"account": ACCOUNT, "region": REGION}],
    },
    # Events mode: the state table's readers and writers, with a watch list (BatchGetItem).
    "ec2-state-events-api": {
        "ec2StateSource": "events",
        "sink": "api",
        "watchInstanceIds": ["i-0123456789abcdef0"],
        "collectors": ["ec2_ebs_state"],
    },
}


@pytest.fixture(scope="module", params=list(CONFIGS), ids=list(CONFIGS))
def result(request: pytest.FixtureRequest) -> SynthResult:
    return synth(**CONFIGS[request.param])


def resolver_for(result: SynthResult, template: Mapping[str, Any] | None = None) -> TemplateResolver:
    return TemplateResolver(
        template if template is not None else result.template,
        account=ACCOUNT,
        region=REGION,
        stack_name=result.config.targets[0].stack_name,
    )


# --- 1. alarm -> topic -> topic policy and key policy -----------------------------------------


def alarms_that_cannot_notify(resolver: TemplateResolver) -> dict[str, str]:
    """Alarm name -> why CloudWatch could not deliver its notification (empty: every alarm can)."""
    failures: dict[str, str] = {}
    for logical_id, props in resolver.resources("AWS::CloudWatch::Alarm").items():
        name = resolver.ref(logical_id)
        if not props.get("AlarmActions"):
            failures[name] = "no alarm action"
            continue
        actions = resolver.resolve(props["AlarmActions"]) + resolver.resolve(props.get("OKActions", []))
        for topic_arn in actions:
            why = cloudwatch_cannot_publish(resolver, topic_arn, resolver.get_att(logical_id, "Arn"))
            if why:
                failures[name] = why
    return failures


def cloudwatch_cannot_publish(resolver: TemplateResolver, topic_arn: str, alarm_arn: str) -> str | None:
    """Why CloudWatch's Publish for `alarm_arn` to `topic_arn` would fail, or None."""
    topic = resolver.resources("AWS::SNS::Topic")[resolver.logical_id_of("AWS::SNS::Topic", topic_arn)]
    statements = resolver.topic_policy_statements(topic_arn)
    if statements is None:
        return "the topic has no policy: SNS's default one applies, which this test does not model"
    # What CloudWatch sends with a Publish: its alarm's account and ARN, over TLS.
    publish = Request(
        "sns:Publish",
        topic_arn,
        CLOUDWATCH,
        {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": alarm_arn, "aws:SecureTransport": True},
    )
    decision = evaluate(statements, publish, resource_policy=True)
    if decision is not Decision.ALLOW:
        return f"topic policy: {decision.value} of sns:Publish"
    if "KmsMasterKeyId" not in topic:
        return None
    key_arn = resolver.resolve(topic["KmsMasterKeyId"])
    key = resolver.resources("AWS::KMS::Key")[resolver.logical_id_of("AWS::KMS::Key", key_arn, "Arn")]
    key_statements = resolver.resolve(key["KeyPolicy"])["Statement"]
    # SNS asks KMS for a data key on the publisher's behalf; no source condition is promised there.
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        decision = evaluate(key_statements, Request(action, key_arn, CLOUDWATCH), resource_policy=True)
        if decision is not Decision.ALLOW:
            return f"key policy: {decision.value} of {action}"
    return None


def test_policy_paths_every_alarm_can_notify_its_topic(result: SynthResult) -> None:
    resolver = resolver_for(result)
    assert resolver.resources("AWS::CloudWatch::Alarm")
    assert alarms_that_cannot_notify(resolver) == {}


def _topic_policy(template: dict[str, Any]) -> dict[str, Any]:
    (policy,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::TopicPolicy"]
    document: dict[str, Any] = policy["Properties"]["PolicyDocument"]
    return document


def test_policy_paths_without_the_cloudwatch_statement_no_alarm_would_notify() -> None:
    """The bug the audit found: a topic policy with only the TLS Deny replaces SNS's default."""
    result = synth()
    broken = copy.deepcopy(result.template)
    document = _topic_policy(broken)
    document["Statement"] = [s for s in document["Statement"] if s["Effect"] == "Deny"]

    failures = alarms_that_cannot_notify(resolver_for(result, broken))

    names = {a.name for a in result.synthesized.alarms}
    assert set(failures) == names
    assert failures["HighResMetrics-PipelineExecutionsFailed"] == "topic policy: implicit deny of sns:Publish"


def test_policy_paths_without_the_key_grant_no_alarm_would_notify() -> None:
    result = synth()
    broken = copy.deepcopy(result.template)
    (key,) = [r for r in broken["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    key["Properties"]["KeyPolicy"]["Statement"] = [s for s in statements if "Service" not in s["Principal"]]

    failures = alarms_that_cannot_notify(resolver_for(result, broken))

    assert set(failures.values()) == {"key policy: implicit deny of kms:GenerateDataKey"}
    assert len(failures) == len(result.synthesized.alarms)


@pytest.mark.parametrize(
    ("context", "why"),
    [
        ({"aws:SecureTransport": False}, "plain HTTP"),
        ({"aws:SourceAccount": "210987654321"}, "another account (the confused deputy)"),
        (
            {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:SomeoneElses-Alarm"},
            "another alarm",
        ),
        (
            {"aws:SourceArn": f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:HighResMetrics-X"},
            "another region",
        ),
    ],
)
def test_policy_paths_topic_refuses_publishers_other_than_this_stacks_alarms(
    context: dict[str, ContextValue], why: str
) -> None:
    result = synth()
    resolver = resolver_for(result)
    ((topic_id, _),) = resolver.resources("AWS::SNS::Topic").items()
    topic_arn = resolver.ref(topic_id)
    statements = resolver.topic_policy_statements(topic_arn)
    assert statements is not None
    alarm_arn = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:HighResMetrics-PipelineScheduleFailed"
    sent: dict[str, ContextValue] = {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": alarm_arn,
        "aws:SecureTransport": True,
    }
    request = Request("sns:Publish", topic_arn, CLOUDWATCH, sent | context)
    assert evaluate(statements, request, resource_policy=True) is not Decision.ALLOW, why


# --- 2. rule -> sampler -> functions and logs --------------------------------------------------


def role_of(resolver: TemplateResolver, role_arn_value: Any) -> str:
    return resolver.logical_id_of("AWS::IAM::Role", resolver.resolve(role_arn_value), "Arn")


def role_allows(resolver: TemplateResolver, role_id: str, action: str, resource: str, **context: Any) -> bool:
    request = Request(action, resource, context=context)
    return evaluate(resolver.role_statements(role_id), request, resource_policy=False) is Decision.ALLOW


def trusts(resolver: TemplateResolver, role_id: str, service: str) -> bool:
    role_arn = resolver.get_att(role_id, "Arn")
    # A trust policy names no Resource: it is the role's own resource policy.
    statements = [{"Resource": role_arn, **s} for s in resolver.trust_statements(role_id)]
    request = Request("sts:AssumeRole", role_arn, Principal(service=service))
    return evaluate(statements, request, resource_policy=True) is Decision.ALLOW


def test_policy_paths_rule_role_may_start_the_sampler(result: SynthResult) -> None:
    resolver = resolver_for(result)
    rule = resolver.resources("AWS::Events::Rule")[result.synthesized.sampler_rule_id()]
    (target,) = rule["Targets"]
    role_id = role_of(resolver, target["RoleArn"])
    machine_arn = resolver.resolve(target["Arn"])
    assert trusts(resolver, role_id, "events.amazonaws.com")
    assert not trusts(resolver, role_id, "lambda.amazonaws.com")
    assert role_allows(resolver, role_id, "states:StartExecution", machine_arn)
    assert not role_allows(resolver, role_id, "states:StartExecution", machine_arn + "-other")
    granted = {a for s in resolver.role_statements(role_id) for a in _as_list(s["Action"])}
    assert granted == {"states:StartExecution"}, "the rule role grants nothing else"


def functions_the_sampler_cannot_invoke(resolver: TemplateResolver) -> list[str]:
    ((_, machine),) = resolver.resources("AWS::StepFunctions::StateMachine").items()
    substitutions = resolver.resolve(machine.get("DefinitionSubstitutions", {}))
    definition = machine["DefinitionString"]
    for key, value in substitutions.items():
        definition = definition.replace("${" + key + "}", value)
    role_id = role_of(resolver, machine["RoleArn"])
    named = set()
    for branch in json.loads(definition)["States"]["SampleMinute"]["Branches"]:
        for state in branch["States"].values():
            if state.get("Resource") == "arn:aws:states:::lambda:invoke":
                named.add(state["Arguments"]["FunctionName"])
    assert named, "the ASL invokes the collectors"
    return sorted(arn for arn in named if not role_allows(resolver, role_id, "lambda:InvokeFunction", arn))


def test_policy_paths_sampler_role_may_invoke_every_function_the_asl_names(result: SynthResult) -> None:
    resolver = resolver_for(result)
    ((_, machine),) = resolver.resources("AWS::StepFunctions::StateMachine").items()
    assert trusts(resolver, role_of(resolver, machine["RoleArn"]), "states.amazonaws.com")
    assert functions_the_sampler_cannot_invoke(resolver) == []


def test_policy_paths_a_qualified_function_in_the_asl_needs_its_own_grant() -> None:
    """The role grants the unqualified ARNs the ASL names; an alias or version would need more."""
    result = synth()
    changed = copy.deepcopy(result.template)
    (machine,) = [r for r in changed["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    props = machine["Properties"]
    props["DefinitionString"] = props["DefinitionString"].replace(
        "${EcsCountsFunctionArn}", "${EcsCountsFunctionArn}:live"
    )

    (refused,) = functions_the_sampler_cannot_invoke(resolver_for(result, changed))

    assert refused.endswith(":live")


# Step Functions' log delivery to CloudWatch Logs (the "vended logs" actions); they have no resource
# types, so they are evaluated on "*".
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)


def test_policy_paths_sampler_role_may_deliver_its_logs(result: SynthResult) -> None:
    resolver = resolver_for(result)
    ((_, machine),) = resolver.resources("AWS::StepFunctions::StateMachine").items()
    role_id = role_of(resolver, machine["RoleArn"])
    refused = [a for a in LOG_DELIVERY_ACTIONS if not role_allows(resolver, role_id, a, "*")]
    assert refused == []
    granted = {a for s in resolver.role_statements(role_id) for a in _as_list(s["Action"])}
    assert granted == {"lambda:InvokeFunction", *LOG_DELIVERY_ACTIONS}, "the sampler role grants nothing else"


# --- 3. collectors: every call they make, allowed by their own role ------------------------------


@dataclass(frozen=True)
class Call:
    """One AWS API call a collector made: botocore's service and operation names and its params."""

    service: str
    operation: str
    params: Mapping[str, Any]

    @property
    def action(self) -> str:
        # The IAM action names of these services are their API operation names.
        prefix = {"ecs": "ecs", "ec2": "ec2", "cloudwatch": "cloudwatch", "dynamodb": "dynamodb"}[
            self.service
        ]
        return f"{prefix}:{self.operation}"


# Actions whose Service Authorization Reference entry lists no resource type: IAM evaluates "*".
NO_RESOURCE_TYPE = {
    "ecs:ListClusters",
    "ec2:DescribeInstanceStatus",
    "ec2:DescribeVolumes",
    "ec2:DescribeVolumeStatus",
    "ec2:DescribeSnapshots",
}


def cluster_arn(cluster: str) -> str:
    return cluster if cluster.startswith("arn:") else f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster}"


def service_arn(cluster: str, service: str) -> str:
    if service.startswith("arn:"):
        return service
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{cluster_arn(cluster).rsplit('/', 1)[1]}/{service}"


def table_arn(table: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"


def requests_for(call: Call) -> list[Request]:
    """The authorization requests IAM evaluates for one call: resources and condition keys."""
    action, params = call.action, call.params
    if action == "ecs:DescribeClusters":
        return [Request(action, cluster_arn(c)) for c in params["clusters"]]
    if action == "ecs:ListServices":
        return [Request(action, "*", context={"ecs:cluster": cluster_arn(params["cluster"])})]
    if action == "ecs:DescribeServices":
        return [Request(action, service_arn(params["cluster"], s)) for s in params["services"]]
    if action == "cloudwatch:PutMetricData":
        return [Request(action, "*", context={"cloudwatch:namespace": params["Namespace"]})]
    if action in NO_RESOURCE_TYPE:
        return [Request(action, "*")]
    if action == "dynamodb:TransactWriteItems":
        # Authorized as its parts (DynamoDB "Using IAM with DynamoDB transactions"): PutItem,
        # UpdateItem... on each item's table, with dynamodb:EnclosingOperation set.
        parts = {
            "Put": "PutItem",
            "Update": "UpdateItem",
            "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem",
        }
        enclosing = {"dynamodb:EnclosingOperation": "TransactWriteItems"}
        return [
            Request(f"dynamodb:{parts[kind]}", table_arn(body["TableName"]), context=enclosing)
            for item in params["TransactItems"]
            for kind, body in item.items()
        ]
    if action == "dynamodb:BatchGetItem":
        return [Request(action, table_arn(table)) for table in params["RequestItems"]]
    if action.startswith("dynamodb:"):
        return [Request(action, table_arn(params["TableName"]))]
    raise AssertionError(f"{action}: say which resources and condition keys IAM evaluates for it")


def runtime_log_requests(resolver: TemplateResolver, function_id: str) -> list[Request]:
    """What the Lambda service itself does with the function's role: write its log streams."""
    group = resolver.ref(
        resolver.resources("AWS::Lambda::Function")[function_id]["LoggingConfig"]["LogGroup"]["Ref"]
    )
    stream = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:log-stream:2026/12/01/[$LATEST]0123abcd"
    return [Request("logs:CreateLogStream", stream), Request("logs:PutLogEvents", stream)]


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Call]]:
    """Every call made through boto3's default session (the collectors' clients) inside moto.

    Recorded at before-parameter-build, before the request is sent: a call moto cannot answer
    (DescribeVolumeStatus raises NotImplementedError there) is still a call the role must allow."""
    fake_aws(monkeypatch)
    calls: list[Call] = []

    def record(params: Mapping[str, Any], model: Any, **_: Any) -> None:
        calls.append(Call(model.service_model.service_name, model.name, dict(params)))

    with mock_aws():
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-parameter-build", record)
        _build_account()
        calls.clear()
        yield calls
    boto3.DEFAULT_SESSION = None


def _build_account() -> None:
    """Clusters with a service each (the listed configuration's names among them), an instance with
    its root volume, and a snapshot: every API the collectors call has something to return."""
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.register_task_definition(
        family="app", containerDefinitions=[{"name": "a", "image": "x", "memory": 64}]
    )
    for cluster in ("prod", "staging", "batch"):
        ecs.create_cluster(clusterName=cluster)
        ecs.create_service(cluster=cluster, serviceName="api", taskDefinition="app", desiredCount=1)
    ec2 = boto3.client("ec2", region_name=REGION)
    (instance,) = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"]
    volume = ec2.describe_volumes()["Volumes"][0]["VolumeId"]
    ec2.create_snapshot(VolumeId=volume)
    assert instance["InstanceId"]


HANDLERS: dict[str, Any] = {
    "ecs_counts.handler.handler": ecs_handler,
    "ec2_ebs_state.handler.handler": ec2_handler,
    "ec2_state_events.handler.handler": state_event_handler,
    "ec2_state_events.reconcile_handler.handler": reconcile_handler,
}


def run_function(
    result: SynthResult, function_id: str, monkeypatch: pytest.MonkeyPatch, resolver: TemplateResolver
) -> None:
    """One invocation of the function, configured by the environment the template gives it: a
    sample for a collector, a state event for the event function, a run for the reconcile."""
    function = result.synthesized.functions[function_id]
    module = HANDLERS[function.handler]
    for name, value in function.environment.items():
        monkeypatch.setenv(name, str(resolver.resolve(value)))
    table = resolver.resolve(function.environment.get(env_names.STATE_TABLE_NAME, ""))
    # Set up through a session of its own, so these calls are not recorded as the function's.
    setup = boto3.session.Session().client("dynamodb", region_name=REGION)
    if table and table not in setup.list_tables()["TableNames"]:
        create_state_table(setup, table)
    second = recent_minute() + timedelta(seconds=5)
    container = module.store if module is state_event_handler else module.runtime
    if module is state_event_handler:
        event: dict[str, Any] = instance_event("i-0123456789abcdef0", "running", second.timestamp())
    else:
        monkeypatch.setattr(module, "clock", lambda: second.timestamp() + 0.1)
        event = event_for(recent_minute(), 5)
    container.reset()  # a fresh container: every call it needs is made, and recorded, here
    module.handler(event, lambda_context())


def destination_requests(resolver: TemplateResolver, function_id: str) -> list[Request]:
    """What Lambda itself does with the function's role after a failed asynchronous invocation:
    send the record to the on-failure destination (over TLS)."""
    requests = []
    for props in resolver.resources("AWS::Lambda::EventInvokeConfig").values():
        if props["FunctionName"] == {"Ref": function_id}:
            queue_arn = resolver.resolve(props["DestinationConfig"]["OnFailure"]["Destination"])
            requests.append(Request("sqs:SendMessage", queue_arn, context={"aws:SecureTransport": True}))
    return requests


def test_policy_paths_every_collector_call_is_allowed_and_every_grant_used(
    result: SynthResult, recorded: list[Call], monkeypatch: pytest.MonkeyPatch
) -> None:
    resolver = resolver_for(result)
    for function_id, props in resolver.resources("AWS::Lambda::Function").items():
        role_id = role_of(resolver, props["Role"])
        assert trusts(resolver, role_id, "lambda.amazonaws.com")
        recorded.clear()
        # when
        run_function(result, function_id, monkeypatch, resolver)
        # then
        requests = [r for call in recorded for r in requests_for(call)]
        requests += runtime_log_requests(resolver, function_id) + destination_requests(resolver, function_id)
        statements = resolver.role_statements(role_id)
        refused = [
            (r.action, r.resource, dict(r.context))
            for r in requests
            if evaluate(statements, r, resource_policy=False) is not Decision.ALLOW
        ]
        assert refused == [], f"{function_id} would get AccessDenied"
        used = {r.action for r in requests}
        granted = {a for s in statements if s["Effect"] == "Allow" for a in _as_list(s["Action"])}
        unused = {g for g in granted if not any(action_matches(g, u) for u in used)}
        assert unused == set(), f"{function_id}'s role grants what it never calls"


def test_policy_paths_collector_calls_are_scoped_to_the_configured_clusters_and_namespace() -> None:
    """The scoping the evaluator sees: listed clusters, their services, the namespace condition."""
    result = synth(**CONFIGS["listed-clusters-in-a-fixed-env"])
    resolver = resolver_for(result)
    ecs_id = next(
        lid for lid, f in result.synthesized.functions.items() if f.handler.startswith("ecs_counts")
    )
    role_id = role_of(resolver, resolver.resources("AWS::Lambda::Function")[ecs_id]["Role"])

    def allowed(call: Call) -> bool:
        statements = resolver.role_statements(role_id)
        return all(
            evaluate(statements, r, resource_policy=False) is Decision.ALLOW for r in requests_for(call)
        )

    assert allowed(Call("ecs", "DescribeClusters", {"clusters": ["prod", "staging"]}))
    assert not allowed(Call("ecs", "DescribeClusters", {"clusters": ["batch"]}))
    assert allowed(Call("ecs", "ListServices", {"cluster": "staging"}))
    assert not allowed(Call("ecs", "ListServices", {"cluster": "batch"}))
    assert allowed(Call("ecs", "DescribeServices", {"cluster": "prod", "services": ["api"]}))
    assert not allowed(Call("ecs", "DescribeServices", {"cluster": "batch", "services": ["api"]}))
    assert allowed(Call("cloudwatch", "PutMetricData", {"Namespace": "Team/HighRes"}))
    assert not allowed(Call("cloudwatch", "PutMetricData", {"Namespace": "HighResMetrics"}))
    assert not allowed(Call("ecs", "ListClusters", {})), "listed clusters need no discovery"


def test_policy_paths_short_service_arns_are_readable_with_every_cluster() -> None:
    """Services created before ECS's long ARN format (service/<name>, no cluster in it)."""
    short = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/legacy"
    every = synth(**CONFIGS["all-clusters-services-api-standard"])
    listed = synth(**CONFIGS["listed-clusters-in-a-fixed-env"])
    for result, expected in ((every, Decision.ALLOW), (listed, Decision.IMPLICIT_DENY)):
        resolver = resolver_for(result)
        ecs_id = next(lid for lid, f in result.synthesized.functions.items() if f.handler.startswith("ecs_"))
        role_id = role_of(resolver, resolver.resources("AWS::Lambda::Function")[ecs_id]["Role"])
        request = Request("ecs:DescribeServices", short)
        # Listed clusters: documented in the collectors construct and the README's security section.
        assert evaluate(resolver.role_statements(role_id), request, resource_policy=False) is expected


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- 4. events mode: failed events reach the failures queue --------------------------------------


def _event_path(resolver: TemplateResolver) -> tuple[str, str, str, list[Mapping[str, Any]]]:
    """(event function id, its role id, the failures queue's ARN, the queue policy's statements)."""
    ((function_id, function),) = [
        (lid, props)
        for lid, props in resolver.resources("AWS::Lambda::Function").items()
        if props["Handler"] == "ec2_state_events.handler.handler"
    ]
    ((queue_id, queue),) = resolver.resources("AWS::SQS::Queue").items()
    assert "KmsMasterKeyId" not in queue and queue["SqsManagedSseEnabled"] is True, (
        "SQS-managed encryption: no key policy stands in the path"
    )
    statements = resolver.queue_policy_statements(resolver.ref(queue_id))
    assert statements is not None, "enforceSSL gives the queue a policy"
    return function_id, role_of(resolver, function["Role"]), resolver.get_att(queue_id, "Arn"), statements


def test_policy_paths_a_failed_event_reaches_the_failures_queue() -> None:
    resolver = resolver_for(synth(**CONFIGS["ec2-state-events-api"]))
    function_id, role_id, queue_arn, queue_policy = _event_path(resolver)
    (send,) = destination_requests(resolver, function_id)
    assert send.resource == queue_arn
    # Lambda sends as the function's role, in the queue's own account: the role's Allow is needed and
    # enough unless the queue policy denies.
    assert evaluate(resolver.role_statements(role_id), send, resource_policy=False) is Decision.ALLOW
    caller = Principal(arn=resolver.get_att(role_id, "Arn"))
    as_sent = Request(send.action, send.resource, caller, send.context)
    assert evaluate(queue_policy, as_sent, resource_policy=True) is not Decision.EXPLICIT_DENY
    plain_http = Request(send.action, send.resource, caller, {"aws:SecureTransport": False})
    assert evaluate(queue_policy, plain_http, resource_policy=True) is Decision.EXPLICIT_DENY


def test_policy_paths_without_the_send_grant_a_failed_event_is_lost() -> None:
    result = synth(**CONFIGS["ec2-state-events-api"])
    broken = copy.deepcopy(result.template)
    for resource in broken["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy":
            document = resource["Properties"]["PolicyDocument"]
            document["Statement"] = [s for s in document["Statement"] if s["Action"] != "sqs:SendMessage"]
    resolver = resolver_for(result, broken)
    function_id, role_id, _, _ = _event_path(resolver)
    (send,) = destination_requests(resolver, function_id)
    assert evaluate(resolver.role_statements(role_id), send, resource_policy=False) is Decision.IMPLICIT_DENY


def test_policy_paths_an_undeliverable_event_reaches_the_failures_queue_from_its_own_rule_only() -> None:
    resolver = resolver_for(synth(**CONFIGS["ec2-state-events-api"]))
    function_id, _, queue_arn, queue_policy = _event_path(resolver)
    rules = {
        lid: props
        for lid, props in resolver.resources("AWS::Events::Rule").items()
        if any(t["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]} for t in props.get("Targets", []))
    }
    assert len(rules) == 3, "instance, volume notification and volume API call rules"
    events_service = Principal(service="events.amazonaws.com")
    for rule_id, props in rules.items():
        (target,) = props["Targets"]
        assert resolver.resolve(target["DeadLetterConfig"]["Arn"]) == queue_arn, rule_id
        sent: dict[str, ContextValue] = {
            "aws:SourceArn": resolver.get_att(rule_id, "Arn"),
            "aws:SecureTransport": True,
        }
        request = Request("sqs:SendMessage", queue_arn, events_service, sent)
        assert evaluate(queue_policy, request, resource_policy=True) is Decision.ALLOW, rule_id
    someone_elses: dict[str, ContextValue] = {
        "aws:SourceArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/other",
        "aws:SecureTransport": True,
    }
    request = Request("sqs:SendMessage", queue_arn, events_service, someone_elses)
    assert evaluate(queue_policy, request, resource_policy=True) is not Decision.ALLOW
