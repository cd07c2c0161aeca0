"""The collector functions: one asset, one function and one least-privilege role per collector."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from collector_core import env_names
from collector_core.catalogue import Collector
from collector_core.collectors import COLLECTORS
from stacks.config_model import DeploymentConfig
from stacks.log_retention import RETENTION_DAYS
from stacks.nag import LOG_GROUP_KMS_REASON, acknowledge, skip_checkov
from stacks.sampler_definition import collector_timeout_seconds

LAMBDA_ASSET_DIR = Path(__file__).resolve().parents[2] / "lambdas"
# Only handler code goes into the asset; tests and caches stay home.
ASSET_EXCLUDES = ["**/__pycache__", "**/*.pyc", "**/.mypy_cache", "**/.pytest_cache"]
# The newest Python runtime (cdk-nag L1), on arm64: 20% cheaper per GB-second than x86_64.
RUNTIME = lambda_.Runtime.PYTHON_3_14
# checkov findings that do not apply to these functions, each with the reason.
CHECKOV_FUNCTION_SKIPS = {
    "CKV_AWS_116": "Step Functions invokes the collectors synchronously (lambda:invoke); a dead-letter "
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


class CollectorFunctions(Construct):
    """Creates the collector functions; `.functions[collector]` is what the sampler invokes."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeploymentConfig) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        code = lambda_.Code.from_asset(str(LAMBDA_ASSET_DIR), exclude=ASSET_EXCLUDES)
        # Resolved by CloudFormation at deploy time from AWS's public parameter: no lookup at synth.
        layer_arn = ssm.StringParameter.value_for_string_parameter(
            self, config.powertools_layer_parameter(RUNTIME.name)
        )
        powertools = lambda_.LayerVersion.from_layer_version_arn(self, "PowertoolsLayer", layer_arn)
        # The events mode's functions share the asset and the layer.
        self.code, self.powertools = code, powertools
        self.functions: dict[Collector, lambda_.Function] = {}
        self.log_groups: dict[Collector, logs.LogGroup] = {}
        for collector, period in config.periods.items():
            cid = COLLECTORS[collector].label
            log_group = logs.LogGroup(
                self,
                f"{cid}Logs",
                retention=RETENTION_DAYS[config.log_retention_days],
            )
            role = iam.Role(
                self,
                f"{cid}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"{collector.value} collector: reads account state, writes its own logs",
            )
            log_group.grant_write(role)
            for statement in _read_statements(collector, config, stack):
                role.add_to_policy(statement)
            if config.sink == "api":
                role.add_to_policy(
                    iam.PolicyStatement(
                        actions=["cloudwatch:PutMetricData"],
                        # PutMetricData has no resource type; the namespace condition is the scope.
                        resources=["*"],
                        conditions={"StringEquals": {"cloudwatch:namespace": config.namespace}},
                    )
                )
            function = lambda_.Function(
                self,
                cid,
                runtime=RUNTIME,
                architecture=lambda_.Architecture.ARM_64,
                handler=COLLECTORS[collector].handler,
                code=code,
                layers=[powertools],
                role=role,
                memory_size=config.collector_memory_mb,
                timeout=Duration.seconds(collector_timeout_seconds(period)),
                log_group=log_group,
                # JSON format: EMF lines pass through unchanged (Lambda does not re-encode JSON),
                # and the system log level decides whether START/END/REPORT lines are written.
                logging_format=lambda_.LoggingFormat.JSON,
                system_log_level_v2=_SYSTEM_LOG_LEVELS[config.lambda_system_log_level],
                application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
                description=f"Samples {collector.value} every {period} s into {config.namespace}",
                environment=_environment(collector, period, config),
            )
            # The role's policy must exist before the function can be invoked by the sampler.
            function.node.add_dependency(role)
            for finding, reason in _wildcard_reasons(config, stack).items():
                acknowledge(role, f"AwsSolutions::AwsSolutions-IAM5[{finding}]", reason)
            for check_id, reason in CHECKOV_FUNCTION_SKIPS.items():
                skip_checkov(function, check_id, reason)
            skip_checkov(log_group, "CKV_AWS_158", LOG_GROUP_KMS_REASON)
            self.functions[collector] = function
            self.log_groups[collector] = log_group


def _environment(collector: Collector, period: int, config: DeploymentConfig) -> dict[str, str]:
    env = {
        env_names.METRICS_NAMESPACE: config.namespace,
        env_names.METRICS_SINK: config.sink,
        env_names.SAMPLE_PERIOD_SECONDS: str(period),
        env_names.POWERTOOLS_SERVICE_NAME: f"highres-{collector.value}",
        env_names.POWERTOOLS_METRICS_NAMESPACE: config.namespace,
        env_names.POWERTOOLS_LOG_LEVEL: "INFO",
    }
    if collector is Collector.ECS_COUNTS:
        env[env_names.ECS_CLUSTERS] = ",".join(config.clusters)
        env[env_names.ECS_SERVICE_METRICS] = str(config.service_metrics).lower()
    else:
        env[env_names.WATCH_INSTANCE_IDS] = ",".join(config.watch_instance_ids)
    return env


def _read_statements(
    collector: Collector, config: DeploymentConfig, stack: Stack
) -> list[iam.PolicyStatement]:
    """The read-only calls each collector makes, scoped as tightly as each API allows."""
    if collector is Collector.EC2_EBS_STATE:
        # Events mode lists no volumes: the counters come from the state table (its own grant).
        listing = [] if config.events_mode else ["ec2:DescribeVolumes"]
        return [
            iam.PolicyStatement(
                actions=[
                    "ec2:DescribeInstanceStatus",
                    *listing,
                    "ec2:DescribeVolumeStatus",
                    "ec2:DescribeSnapshots",
                ],
                # EC2 Describe* actions support no resource-level permissions.
                resources=["*"],
            )
        ]
    names = ["*"] if config.all_clusters else [c.rsplit("/", 1)[-1] for c in config.clusters]
    cluster_arns = [stack.format_arn(service="ecs", resource="cluster", resource_name=name) for name in names]
    statements = [iam.PolicyStatement(actions=["ecs:DescribeClusters"], resources=cluster_arns)]
    if config.all_clusters:
        # ListClusters has no resource type: discovering every cluster needs Resource '*'.
        statements.append(iam.PolicyStatement(actions=["ecs:ListClusters"], resources=["*"]))
    if config.service_metrics:
        # ListServices is scoped by the ecs:cluster condition, not by resource.
        list_services = iam.PolicyStatement(actions=["ecs:ListServices"], resources=["*"])
        if not config.all_clusters:
            list_services.add_condition("ArnEquals", {"ecs:cluster": cluster_arns})
        statements.append(list_services)
        statements.append(
            iam.PolicyStatement(
                actions=["ecs:DescribeServices"],
                resources=[
                    stack.format_arn(service="ecs", resource="service", resource_name=pattern)
                    for pattern in _service_patterns(config)
                ],
            )
        )
    return statements


def _wildcard_reasons(config: DeploymentConfig, stack: Stack) -> dict[str, str]:
    """Each wildcard resource a collector role holds (as cdk-nag names it), with the reason for it."""
    reasons = {
        "Resource::*": "EC2 Describe*, ECS ListClusters/ListServices and CloudWatch PutMetricData have no "
        "resource-level permissions; PutMetricData is scoped by its cloudwatch:namespace condition.",
    }
    ecs_arn = ":".join(
        (
            "arn",
            _nag_text(stack.partition, "<AWS::Partition>"),
            "ecs",
            _nag_text(stack.region, "<AWS::Region>"),
            _nag_text(stack.account, "<AWS::AccountId>"),
        )
    )
    if config.all_clusters:
        reasons[f"Resource::{ecs_arn}:cluster/*"] = (
            "clusters is '*': DescribeClusters must reach every cluster that ListClusters discovers."
        )
    if config.service_metrics:
        for pattern in _service_patterns(config):
            reasons[f"Resource::{ecs_arn}:service/{pattern}"] = (
                "DescribeServices of the cluster's services, whose names are not known at synth."
            )
    return reasons


def _service_patterns(config: DeploymentConfig) -> list[str]:
    """Resource names (after `service/`) of the services DescribeServices may read.

    Services have two ARN formats: `service/<cluster>/<name>` and, for services created before the
    long format became the default (2021), `service/<name>`. With "*", `service/*` covers both
    (`*/*` would miss the short one). Listed clusters are scoped by the cluster in the long format
    only: a short ARN names no cluster, so covering it would mean every service of every cluster.
    Such a service's DescribeServices is refused and counted in CollectorErrors (README, "Security").
    """
    if config.all_clusters:
        return ["*"]
    return [f"{_cluster_name(c)}/*" for c in config.clusters]


def _cluster_name(cluster: str) -> str:
    return cluster.rsplit("/", 1)[-1]


def _nag_text(value: str, placeholder: str) -> str:
    """How cdk-nag prints an ARN part: the literal when known at synth, else the pseudo parameter."""
    return placeholder if Token.is_unresolved(value) else value
