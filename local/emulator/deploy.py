"""Deploys what the synthesized template holds into one emulated account: the state table (events
mode), the functions with their handlers, memory, timeout and environment, the sampler state
machine with its substitutions resolved against those functions, the alarms on the stack's own
namespace, the alarm topic and the snapshot rule.

DynamoDB: the state table is created in moto with the template's key schema; functions whose
environment names it (`{"Ref": table}`) get the emulated table's name."""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any

from collector_core import env_names
from local.emulator.account import EmulatedAccount
from local.emulator.lambda_runtime import LambdaRuntime
from synthesis.synthesized import Synthesized

EVENT_HANDLER = "ec2_state_events.handler.handler"
RECONCILE_HANDLER = "ec2_state_events.reconcile_handler.handler"


@dataclass
class Deployment:
    """What `deploy` created: the names and ARNs the demo and tests need."""

    state_machine_arn: str
    function_arns: dict[str, str]  # logical id -> ARN
    namespace: str
    state_table: str | None = None  # events mode: the emulated state table
    handlers: dict[str, str] = field(default_factory=dict)  # logical id -> handler string
    account_id: str = ""  # the account it was deployed in

    def function_with(self, handler: str) -> str | None:
        """The ARN of the function running `handler`, if the stack has one."""
        return next((self.function_arns[lid] for lid, h in self.handlers.items() if h == handler), None)


def deploy(account: EmulatedAccount, runtime: LambdaRuntime, synthesized: Synthesized) -> Deployment:
    """Create the stack's functions, state machine and alarms in `account` from the template."""
    state_table = _create_state_table(account, synthesized)
    role_arn = account.client("iam").create_role(
        RoleName=f"emulated-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    environments = {
        logical_id: _resolved_environment(spec.environment, state_table)
        for logical_id, spec in synthesized.functions.items()
    }
    arns = _create_functions(account, synthesized, role_arn, environments)
    runtime.warm_up(
        {synthesized.functions[lid].handler: env for lid, env in environments.items()}, account.account_id
    )
    machine = synthesized.state_machine
    state_machine_arn = account.client("stepfunctions").create_state_machine(
        name=f"Sampler-{uuid.uuid4().hex[:8]}",
        definition=machine.resolved(arns),
        roleArn=role_arn,
        type=machine.workflow_type,
    )["stateMachineArn"]
    namespaces = {
        spec.environment[env_names.METRICS_NAMESPACE]
        for spec in synthesized.functions.values()
        if env_names.METRICS_NAMESPACE in spec.environment  # the event function publishes no metric
    }
    (namespace,) = namespaces
    _create_alarms(account, synthesized, namespace)
    account.snapshot_rule = synthesized.snapshot_rule
    if synthesized.resources("AWS::SNS::Topic"):  # a StackSet member pages the central topic instead
        account.topic_arn = account.client("sns").create_topic(Name="alarms")["TopicArn"]
    if account.snapshot_rule is not None:
        account.snapshot_topic_arn = _rule_target_arn(account, account.snapshot_rule["target"])
    handlers = {lid: spec.handler for lid, spec in synthesized.functions.items()}
    return Deployment(
        state_machine_arn,
        arns,
        namespace,
        state_table[1] if state_table else None,
        handlers,
        account.account_id,
    )


@dataclass
class MonitoringDeployment:
    """What `deploy_monitoring` created in the monitoring account, and what it left out and why."""

    account_id: str
    topic_arn: str
    alarm_names: list[str]
    skipped: dict[str, str]  # resource type -> why the emulator does not create it


# The monitoring template's resources moto cannot hold or the demo does not read.
MONITORING_SKIPPED = {
    "AWS::Oam::Sink": "moto has no OAM; the stand-in copies the members' metrics instead",
    "AWS::CloudWatch::Dashboard": "a picture for the console; the demo prints the view instead",
    "AWS::SNS::TopicPolicy": "moto does not enforce resource policies (the policy tests prove them)",
    "AWS::KMS::Alias": "only the members' role policies name the key by it, and moto enforces no policy",
}


def deploy_monitoring(
    account: EmulatedAccount, synthesized: Synthesized, namespace: str
) -> MonitoringDeployment:
    """Create the monitoring template's central topic and its key, and its organization alarms
    (Metrics Insights queries over every account's metrics of `namespace`), in `account`."""
    key_arn = account.client("kms").create_key(Description="the central alarm topic's key")["KeyMetadata"][
        "Arn"
    ]
    ((topic_props),) = synthesized.resources("AWS::SNS::Topic").values()
    topic_arn = account.client("sns").create_topic(
        Name=topic_props["TopicName"], Attributes={"KmsMasterKeyId": key_arn}
    )["TopicArn"]
    account.topic_arn = topic_arn
    _create_alarms(account, synthesized, namespace)
    present = {r["Type"] for r in synthesized.template["Resources"].values()}
    return MonitoringDeployment(
        account.account_id,
        topic_arn,
        [alarm.name for alarm in synthesized.alarms if alarm.namespace == namespace],
        {kind: why for kind, why in MONITORING_SKIPPED.items() if kind in present},
    )


def _rule_target_arn(account: EmulatedAccount, target: Any) -> str:
    """The topic a rule's target names: the stack's own (a Ref to it), or one named by ARN with
    pseudo parameters in it (a StackSet member's central topic in the monitoring account)."""
    if isinstance(target, dict) and "Ref" in target:
        return account.topic_arn
    pseudo = {
        "AWS::Partition": "aws",
        "AWS::Region": account.region,
        "AWS::AccountId": account.account_id,
        "AWS::URLSuffix": "amazonaws.com",
    }
    if isinstance(target, dict) and "Fn::Join" in target:
        separator, parts = target["Fn::Join"]
        return str(separator).join(pseudo[p["Ref"]] if isinstance(p, dict) else str(p) for p in parts)
    if isinstance(target, str):
        return target
    raise ValueError(f"the snapshot rule's target {target!r} is neither a Ref nor an ARN")


def _create_functions(
    account: EmulatedAccount, synthesized: Synthesized, role_arn: str, environments: dict[str, dict[str, str]]
) -> dict[str, str]:
    """Logical id -> ARN of each function, created with the template's settings."""
    lambda_client = account.client("lambda")
    code = _placeholder_zip()
    return {
        logical_id: lambda_client.create_function(
            FunctionName=logical_id,
            Runtime=spec.runtime,
            Role=role_arn,
            Handler=spec.handler,
            Code={"ZipFile": code},
            MemorySize=spec.memory_mb,
            Timeout=spec.timeout_seconds,
            Architectures=[spec.architecture],
            Environment={"Variables": environments[logical_id]},
        )["FunctionArn"]
        for logical_id, spec in synthesized.functions.items()
    }


def _create_alarms(account: EmulatedAccount, synthesized: Synthesized, namespace: str) -> None:
    cloudwatch = account.client("cloudwatch")
    for alarm in synthesized.alarms:
        if alarm.namespace != namespace:
            continue  # AWS/* metrics (Lambda, States, Events) are not published by moto
        if alarm.query:
            watched: dict[str, Any] = {
                "Metrics": [
                    {"Id": "q", "Expression": alarm.query, "Period": alarm.period, "ReturnData": True}
                ]
            }
        else:
            watched = {
                "Namespace": alarm.namespace,
                "MetricName": alarm.metric_name,
                "Dimensions": [{"Name": k, "Value": str(v)} for k, v in alarm.dimensions.items()],
                "Statistic": alarm.statistic,
                "Period": alarm.period,
            }
        cloudwatch.put_metric_alarm(
            AlarmName=alarm.name,
            AlarmDescription=alarm.description,
            **watched,
            EvaluationPeriods=alarm.evaluation_periods,
            DatapointsToAlarm=alarm.datapoints_to_alarm,
            Threshold=alarm.threshold,
            ComparisonOperator=alarm.comparison,
            TreatMissingData=alarm.missing,
        )


def _create_state_table(account: EmulatedAccount, synthesized: Synthesized) -> tuple[str, str] | None:
    """(logical id, emulated name) of the events mode's table, created with its key schema."""
    tables = synthesized.resources("AWS::DynamoDB::Table")
    if not tables:
        return None
    ((logical_id, props),) = tables.items()
    name = f"emulated-{logical_id}"
    account.client("dynamodb").create_table(
        TableName=name,
        KeySchema=props["KeySchema"],
        AttributeDefinitions=props["AttributeDefinitions"],
        BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"),
    )
    return logical_id, name


def _resolved_environment(environment: dict[str, Any], state_table: tuple[str, str] | None) -> dict[str, str]:
    """The function's variables, with the template's `{"Ref": table}` replaced by the emulated name."""
    resolved = {}
    for name, given in environment.items():
        value = state_table[1] if state_table and given == {"Ref": state_table[0]} else given
        if not isinstance(value, str):
            raise TypeError(f"{name}: the emulator cannot resolve {value!r}")
        resolved[name] = value
    return resolved


def _placeholder_zip() -> bytes:
    """moto stores a code zip; the handlers themselves run from lambdas/ (the asset's source)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Handlers run from the project's lambdas/ folder.")
    return buffer.getvalue()
