"""The collector functions: one function and one least-privilege role per collector, built by the
stack's function factory; in events mode each may read the state table it is handed."""

from __future__ import annotations

from aws_cdk import Stack, Token
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from collector_core import env_names
from collector_core.catalogue import Collector
from collector_core.collectors import COLLECTORS
from collector_core.rules import cluster_name
from stacks.config_model import DeploymentConfig
from stacks.constructs.function_factory import FunctionFactory, FunctionSpec, metric_publishing_statements
from stacks.sampler_definition import collector_timeout_seconds


class CollectorFunctions(Construct):
    """Creates the collector functions; `.functions[collector]` is what the sampler invokes.

    `state_table` (events mode): the EC2/EBS collector reads its counters and watched instances.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        factory: FunctionFactory,
        state_table: dynamodb.ITable | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.functions: dict[Collector, lambda_.Function] = {}
        for collector, period in config.periods.items():
            table = state_table if collector is Collector.EC2_EBS_STATE else None
            self.functions[collector] = factory.function(
                self,
                COLLECTORS[collector].label,
                FunctionSpec(
                    handler=COLLECTORS[collector].handler,
                    service=collector.value,
                    memory_mb=config.collector_memory_mb,
                    timeout_seconds=collector_timeout_seconds(period),
                    description=f"Samples {collector.value} every {period} s into {config.namespace}",
                    role_description=f"{collector.value} collector: reads account state, writes its own logs",
                    statements=[
                        *_read_statements(collector, config, stack),
                        *metric_publishing_statements(config),
                        *_table_statements(table),
                    ],
                    environment=_environment(collector, period, config, table),
                    wildcard_reasons=_wildcard_reasons(config, stack),
                ),
            )


def _environment(
    collector: Collector, period: int, config: DeploymentConfig, table: dynamodb.ITable | None
) -> dict[str, str]:
    env = {
        env_names.METRICS_NAMESPACE: config.namespace,
        env_names.METRICS_SINK: config.sink,
        env_names.SAMPLE_PERIOD_SECONDS: str(period),
        env_names.POWERTOOLS_METRICS_NAMESPACE: config.namespace,
    }
    if collector is Collector.ECS_COUNTS:
        env[env_names.ECS_CLUSTERS] = ",".join(config.clusters)
        env[env_names.ECS_SERVICE_METRICS] = str(config.service_metrics).lower()
    else:
        env[env_names.WATCH_INSTANCE_IDS] = ",".join(config.watch_instance_ids)
    if table is not None:
        env[env_names.EC2_STATE_SOURCE] = "events"
        env[env_names.STATE_TABLE_NAME] = table.table_name
    return env


def _table_statements(table: dynamodb.ITable | None) -> list[iam.PolicyStatement]:
    """The collector reads the counters (Query) and the watched instances (BatchGetItem) only."""
    if table is None:
        return []
    return [
        iam.PolicyStatement(actions=["dynamodb:Query", "dynamodb:BatchGetItem"], resources=[table.table_arn])
    ]


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
    names = ["*"] if config.all_clusters else [cluster_name(c) for c in config.clusters]
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
    return [f"{cluster_name(c)}/*" for c in config.clusters]


def _nag_text(value: str, placeholder: str) -> str:
    """How cdk-nag prints an ARN part: the literal when known at synth, else the pseudo parameter."""
    return placeholder if Token.is_unresolved(value) else value
