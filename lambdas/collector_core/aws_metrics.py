"""The AWS-published metrics the stack alarms on (the pipeline's own functions, state machine and
schedule), next to the catalogue of the metrics the pipeline publishes itself.

Each is named once here with the dimension AWS publishes it by, so the alarms and any tool that
reads them back spell a namespace, a metric name and a dimension the same way.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AwsMetric:
    """A metric AWS publishes about one resource, identified by `dimension`."""

    namespace: str
    name: str
    dimension: str


# AWS/Lambda: invocations that ended in an error (a crash, a timeout, a raised exception).
LAMBDA_ERRORS = AwsMetric("AWS/Lambda", "Errors", "FunctionName")
# AWS/States: executions of the sampler that failed or timed out.
EXECUTIONS_FAILED = AwsMetric("AWS/States", "ExecutionsFailed", "StateMachineArn")
EXECUTIONS_TIMED_OUT = AwsMetric("AWS/States", "ExecutionsTimedOut", "StateMachineArn")
# AWS/Events: a rule's targets EventBridge could not invoke.
FAILED_INVOCATIONS = AwsMetric("AWS/Events", "FailedInvocations", "RuleName")
# AWS/SQS: messages waiting in a queue (events mode: the events no function could apply).
SQS_MESSAGES_VISIBLE = AwsMetric("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName")
