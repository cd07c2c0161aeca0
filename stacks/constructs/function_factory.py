"""The one way this stack builds a Lambda function: the shared asset and Powertools layer, and for each
function its own log group, its own least-privilege role, JSON logging and Powertools' settings.

Every construct that needs a function asks `FunctionFactory.function` and then owns what it gets:
the collectors, the event function and the reconcile job differ only in what they pass in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from collector_core import env_names
from stacks.config_model import DeploymentConfig
from stacks.log_retention import RETENTION_DAYS
from stacks.nag import LOG_GROUP_KMS_REASON, acknowledge, skip_checkov

LAMBDA_ASSET_DIR = Path(__file__).resolve().parents[2] / "lambdas"
# Only handler code goes into the asset; tests and caches stay home.
ASSET_EXCLUDES = ["**/__pycache__", "**/*.pyc", "**/.mypy_cache", "**/.pytest_cache"]
# The newest Python runtime (cdk-nag L1), on arm64: 20% cheaper per GB-second than x86_64.
RUNTIME = lambda_.Runtime.PYTHON_3_14
DEAD_LETTER_CHECK = "CKV_AWS_116"
# checkov findings that do not apply to these functions, each with the reason.
CHECKOV_FUNCTION_SKIPS = {
    DEAD_LETTER_CHECK: "Step Functions invokes the collectors synchronously (lambda:invoke); a dead-letter "
    "queue only receives failed asynchronous invocations, so it would stay empty. Failures are caught "
    "in the ASL and alarmed on (PipelineLambdaErrors).",
    "CKV_AWS_117": "The collectors call only AWS's public ECS, EC2 and CloudWatch APIs and reach no private "
    "network; a VPC would add NAT or interface endpoints (billed per hour per AZ) for no isolation gain.",
    "CKV_AWS_115": "Reserved concurrency comes out of the account's unreserved pool, and accounts at the "
    "minimum (new accounts have 10) refuse any reservation, so the stack would not deploy. The sampler "
    "bounds concurrency instead: one invocation per branch, a branch per sample.",
    "CKV_AWS_173": "The environment holds only the namespace, sink, sampling period and cluster names or "
    "instance ids, no secret; Lambda encrypts it at rest with an AWS managed key.",
}
_SYSTEM_LOG_LEVELS = {
    "DEBUG": lambda_.SystemLogLevel.DEBUG,
    "INFO": lambda_.SystemLogLevel.INFO,
    "WARN": lambda_.SystemLogLevel.WARN,
}


@dataclass(frozen=True, kw_only=True)
class FunctionSpec:
    """What differs between the stack's functions; `wildcard_reasons` maps each cdk-nag IAM5 finding
    of the role (`Resource::*`, ...) to why the wildcard is needed."""

    handler: str
    service: str  # POWERTOOLS_SERVICE_NAME is `highres-<service>`
    memory_mb: int
    timeout_seconds: int
    description: str
    role_description: str
    statements: Sequence[iam.PolicyStatement] = ()
    environment: Mapping[str, str]
    wildcard_reasons: Mapping[str, str] = field(default_factory=dict)
    # None: the deployment's `lambdaSystemLogLevel`.
    system_log_level: str | None = None
    # Why no dead-letter queue, for a function invoked asynchronously (checkov CKV_AWS_116).
    dead_letter_reason: str | None = None
    # More lambda_.Function properties (an on-failure destination, ...).
    options: Mapping[str, Any] = field(default_factory=dict)


class FunctionFactory:
    """Builds every Lambda function of one stack from one asset and one Powertools layer."""

    def __init__(self, scope: Construct, config: DeploymentConfig) -> None:
        self.config = config
        self.code = lambda_.Code.from_asset(str(LAMBDA_ASSET_DIR), exclude=ASSET_EXCLUDES)
        # Resolved by CloudFormation at deploy time from AWS's public parameter: no lookup at synth.
        layer_arn = ssm.StringParameter.value_for_string_parameter(
            scope, config.powertools_layer_parameter(RUNTIME.name)
        )
        self.layer = lambda_.LayerVersion.from_layer_version_arn(scope, "PowertoolsLayer", layer_arn)

    def function(self, scope: Construct, construct_id: str, spec: FunctionSpec) -> lambda_.Function:
        """`construct_id` in `scope`, with `<id>Logs` and `<id>Role` beside it; `.role` and
        `.log_group` are the caller's to extend."""
        config = self.config
        log_group = logs.LogGroup(
            scope, f"{construct_id}Logs", retention=RETENTION_DAYS[config.log_retention_days]
        )
        role = iam.Role(
            scope,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=spec.role_description,
        )
        log_group.grant_write(role)
        for statement in spec.statements:
            role.add_to_policy(statement)
        function = lambda_.Function(
            scope,
            construct_id,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=spec.handler,
            code=self.code,
            layers=[self.layer],
            role=role,
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_seconds),
            log_group=log_group,
            # JSON format: EMF lines pass through unchanged (Lambda does not re-encode JSON),
            # and the system log level decides whether START/END/REPORT lines are written.
            logging_format=lambda_.LoggingFormat.JSON,
            system_log_level_v2=_SYSTEM_LOG_LEVELS[spec.system_log_level or config.lambda_system_log_level],
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            description=spec.description,
            environment={
                **spec.environment,
                env_names.POWERTOOLS_SERVICE_NAME: f"highres-{spec.service}",
                env_names.POWERTOOLS_LOG_LEVEL: "INFO",
            },
            **spec.options,
        )
        # The role's policy must exist before the function can be invoked.
        function.node.add_dependency(role)
        for finding, reason in spec.wildcard_reasons.items():
            acknowledge(role, f"AwsSolutions::AwsSolutions-IAM5[{finding}]", reason)
        skips = dict(CHECKOV_FUNCTION_SKIPS)
        if spec.dead_letter_reason is not None:
            del skips[DEAD_LETTER_CHECK]
            skips[DEAD_LETTER_CHECK] = spec.dead_letter_reason
        for check_id, reason in skips.items():
            skip_checkov(function, check_id, reason)
        skip_checkov(log_group, "CKV_AWS_158", LOG_GROUP_KMS_REASON)
        return function


def metric_publishing_statements(config: DeploymentConfig) -> list[iam.PolicyStatement]:
    """PutMetricData into the stack's namespace only, for the api sink (the emf sink needs none)."""
    if config.sink != "api":
        return []
    return [
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            # PutMetricData has no resource type; the namespace condition is the scope.
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": config.namespace}},
        )
    ]
