"""The parallel-wait sampler state machine and the one-minute schedule that starts it."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from collector_core.catalogue import Collector
from stacks.config_model import DeploymentConfig
from stacks.log_retention import RETENTION_DAYS
from stacks.nag import LOG_GROUP_KMS_REASON, acknowledge, skip_checkov
from stacks.sampler_definition import FUNCTION_ARN_KEYS, render_sampler_definition

# Step Functions vends the state machine's logs through a CloudWatch Logs resource policy, limited
# to 5,120 characters for the account and region; groups under this prefix need no policy entry.
VENDED_LOGS_PREFIX = "/aws/vendedlogs/states/"


class Sampler(Construct):
    """`.state_machine` samples one minute per execution; `.rule` starts one every minute."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        functions: Mapping[Collector, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="Sampler state machine: invokes the collector functions and nothing else",
        )
        # The unqualified ARN only: the sampler never invokes versions or aliases.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[function.function_arn for function in functions.values()],
            )
        )
        express = config.workflow_type == "EXPRESS"
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"{VENDED_LOGS_PREFIX}{Stack.of(self).stack_name}-sampler",
            retention=RETENTION_DAYS[config.log_retention_days],
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_string(render_sampler_definition(config.periods)),
            definition_substitutions={
                FUNCTION_ARN_KEYS[collector]: function.function_arn
                for collector, function in functions.items()
            },
            state_machine_type=sfn.StateMachineType.EXPRESS if express else sfn.StateMachineType.STANDARD,
            role=role,
            # No `timeout=`: CDK ignores it for a definition body given as text. The execution
            # timeout is the ASL's own TimeoutSeconds (statemachines/sampler.asl.json).
            # ERROR level without execution data: a failed sample is logged, a healthy minute costs nothing.
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ERROR, include_execution_data=False
            ),
            tracing_enabled=False,
        )
        self.rule = events.Rule(
            self,
            "EveryMinute",
            schedule=events.Schedule.rate(Duration.minutes(1)),
            enabled=config.rule_enabled,
            description="Starts one sampler execution per minute with the scheduled time as input",
        )
        self.rule_role = iam.Role(
            self,
            "RuleRole",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
            description="Schedule rule: starts the sampler state machine",
        )
        self.rule.add_target(
            targets.SfnStateMachine(
                self.state_machine,
                # The scheduled time, not the delivery time: every sample's second derives from it.
                input=events.RuleTargetInput.from_object({"time": events.EventField.time}),
                role=self.rule_role,
                retry_attempts=0,
            )
        )
        skip_checkov(self.log_group, "CKV_AWS_158", LOG_GROUP_KMS_REASON)
        acknowledge(
            role,
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            "Step Functions log delivery (logs:CreateLogDelivery, ...) has no resource-level permissions; "
            "CDK adds these with Resource '*' when logging is configured.",
        )
        acknowledge(
            self.state_machine,
            "AwsSolutions::AwsSolutions-SF2",
            "X-Ray tracing is off by design: 1,440 executions and ~100,000 Lambda invocations a day would "
            "be traced for no diagnostic gain over the ERROR log and the pipeline alarms.",
        )
        acknowledge(
            self.state_machine,
            "AwsSolutions::AwsSolutions-SF1",
            "Logging ALL events would write ~150 events per minute (about $0.05 a day, a third of the "
            "pipeline's cost) to record healthy samples; ERROR level records every lost sample.",
        )
        acknowledge(
            self.state_machine,
            "CloudFormation-Validate::E1029",
            "The ${...FunctionArn} placeholders are filled by the state machine's DefinitionSubstitutions "
            "property, which is how Step Functions substitutes values into an inline definition.",
        )
