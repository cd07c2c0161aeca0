"""Names of the environment variables the stack sets and the collectors read.

Shared by `stacks/` (which sets them) and `collector_core.settings` (which parses them), so the two
cannot disagree about a spelling.
"""

METRICS_NAMESPACE = "METRICS_NAMESPACE"
METRICS_SINK = "METRICS_SINK"  # "emf" (default) or "api"
SAMPLE_PERIOD_SECONDS = "SAMPLE_PERIOD_SECONDS"  # this collector's sampling period, a divisor of 60
ECS_CLUSTERS = "ECS_CLUSTERS"  # "*" or comma-separated cluster names/ARNs
ECS_SERVICE_METRICS = "ECS_SERVICE_METRICS"  # "true" to publish the per-service metrics
WATCH_INSTANCE_IDS = "WATCH_INSTANCE_IDS"  # comma-separated instance ids for InstanceStateCode
EC2_STATE_SOURCE = "EC2_STATE_SOURCE"  # "poll" (default) or "events": where EC2/EBS states come from
STATE_TABLE_NAME = "STATE_TABLE_NAME"  # the events mode's DynamoDB table
# Set by Lambda itself, not the stack: the function's memory, hence its share of a vCPU.
LAMBDA_MEMORY_MB = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
# Powertools' own settings, which the stack sets for each function.
POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
POWERTOOLS_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
POWERTOOLS_LOG_LEVEL = "POWERTOOLS_LOG_LEVEL"
