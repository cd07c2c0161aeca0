"""Every AWS price the cost model uses: US East (N. Virginia), on-demand, free tiers not applied.

Each constant names the official pricing page it belongs to (`source`) and, where that page renders
its rate tables in the browser so the number is not in the page text, the page the number was read
from (`via`: a copy of the official page, or AWS's own blog). All were read on `READ_ON`. Nothing
else in the repository holds a price but `collector_core.prices`, GetMetricData's, which the
operator's board needs as well and cannot import from here (ops tools do not depend on cost/).

Free tiers are left out on purpose: they are shared by everything in the account, so a tool that
counts them would claim a cost nobody can verify from this stack alone.
"""

from __future__ import annotations

from dataclasses import dataclass

# GetMetricData's price, and the Price record, sit below cost/ and ops/board, which both need them.
from collector_core import prices as shared
from collector_core.prices import Price

READ_ON = shared.READ_ON
REGION = "us-east-1"


@dataclass(frozen=True)
class Tier:
    """`usd` per unit for usage up to `up_to` units a month (None: no upper bound)."""

    up_to: float | None
    usd: float


# --- Step Functions -----------------------------------------------------------------------------
_SFN = "https://aws.amazon.com/step-functions/pricing/"
# Standard workflows: "US East (N. Virginia) $0.0250" per 1,000 state transitions.
SFN_STANDARD_TRANSITION = Price(0.025 / 1000, "state transition", _SFN)
# Express workflows: "$1.00 per million requests" (the page's Express pricing example).
SFN_EXPRESS_REQUEST = Price(
    1.00 / 1_000_000,
    "request",
    _SFN,
    via="https://mdsite.deno.dev/https://aws.amazon.com/step-functions/pricing",
)
# Express duration, per GB-hour of billed memory x duration: $0.06000 for the first 1,000 GB-hours,
# $0.03000 for the next 4,000, $0.01642 beyond (the page's Express pricing example).
SFN_EXPRESS_GB_HOUR_TIERS: tuple[Tier, ...] = (Tier(1_000, 0.06), Tier(5_000, 0.03), Tier(None, 0.01642))
SFN_EXPRESS_DURATION = Price(
    0.06 / 3600,
    "GB-second (first tier)",
    _SFN,
    via="https://mdsite.deno.dev/https://aws.amazon.com/step-functions/pricing",
)
# Express billing rules from the same page: duration rounded up to 100 ms; memory billed in 64 MB
# chunks, estimated as 50 MB + definition size + execution data size x Parallel/Map steps.
SFN_EXPRESS_DURATION_INCREMENT_MS = 100
SFN_EXPRESS_MEMORY_CHUNK_MB = 64
SFN_EXPRESS_BASE_MEMORY_MB = 50

# --- Lambda -------------------------------------------------------------------------------------
_LAMBDA = "https://aws.amazon.com/lambda/pricing/"
_LAMBDA_VIA = "https://cloudchipr.com/blog/aws-lambda-pricing"
LAMBDA_REQUEST = Price(0.20 / 1_000_000, "request", _LAMBDA, via=_LAMBDA_VIA)
# First tier (7.5 billion GB-s a month on arm64, 6 billion on x86_64): far above this workload.
LAMBDA_GB_SECOND: dict[str, Price] = {
    "arm64": Price(0.0000133334, "GB-second", _LAMBDA, via=_LAMBDA_VIA),
    "x86_64": Price(0.0000166667, "GB-second", _LAMBDA, via=_LAMBDA_VIA),
}
# Duration is "rounded up to the nearest 1 ms" (the Lambda pricing page).
LAMBDA_DURATION_INCREMENT_MS = 1

# --- CloudWatch ---------------------------------------------------------------------------------
_CW = "https://aws.amazon.com/cloudwatch/pricing/"
# Custom metrics, per metric-month: $0.30 first 10,000, $0.10 next 240,000, $0.05 next 750,000,
# $0.02 over 1,000,000. High-resolution metrics cost the same as standard ones.
CUSTOM_METRIC_MONTH_TIERS: tuple[Tier, ...] = (
    Tier(10_000, 0.30),
    Tier(250_000, 0.10),
    Tier(1_000_000, 0.05),
    Tier(None, 0.02),
)
CUSTOM_METRIC_MONTH = Price(
    0.30, "metric-month (first tier)", _CW, via="https://github.com/nishinoshake/aws-rough/issues/37"
)
# Alarms, per alarm metric-month: standard resolution (period >= 60 s) and high resolution.
ALARM_STANDARD_MONTH = Price(
    0.10, "alarm-month", _CW, via="https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm"
)
ALARM_HIGH_RESOLUTION_MONTH = Price(
    0.30, "alarm-month", _CW, via="https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm"
)
# Alarms on a Metrics Insights query. The pricing page's free tier covers only "Standard
# resolution alarms that list metrics directly and don't use a Metrics Insights query", and AWS's
# cost guide ("Optimizing and reducing costs of CloudWatch alarms") bills a metric alarm by "the
# number of metrics that your alarm references". This model charges a query alarm one standard
# alarm metric-month per metric its query analyzes (one per cluster for the fleet alarms). The
# rate table renders in the browser and was not read here: check it before relying on the figure.
ALARM_INSIGHTS_METRIC_MONTH = Price(
    0.10,
    "analyzed metric-month (assumed: the standard alarm metric rate)",
    _CW,
    via="https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_billing.html",
)
# PutMetricData: $0.01 per 1,000 requests.
PUT_METRIC_DATA_REQUEST = Price(
    0.01 / 1000, "request", _CW, via="https://github.com/nishinoshake/aws-rough/issues/37"
)
# GetMetricData: $0.01 per 1,000 metrics requested; kept in collector_core.prices for the board too.
GET_METRIC_DATA_METRIC = shared.GET_METRIC_DATA_METRIC
# Dashboards: $3.00 per dashboard-month (the account's first 3 are free; not applied here).
DASHBOARD_MONTH = Price(
    3.00, "dashboard-month", _CW, via="https://github.com/nishinoshake/aws-rough/issues/37"
)
# CloudWatch cross-account observability (OAM): a member's metrics shared through its link to the
# monitoring account's sink add no charge. They are not copied: they stay the source account's
# custom metrics (billed there, once) and the monitoring account reads them where they are. AWS's
# Observability Best Practices guide ("Setup Monitoring and Source Accounts"): "With cross-account
# observability, logs and metrics are NOT copied from the source accounts, but trace data is copied
# to the monitoring account (with trace copy to the 1st monitoring account included at no
# additional cost)"; the CloudWatch guide's "Monitoring spans across accounts" calls the feature
# "provided at no extra cost" for the spans log group and points to the pricing page. The pricing
# page's own wording on cross-account observability was not found in the copies searched here:
# check it there. What the monitoring account does with the shared metrics is billed as usual
# (its dashboard, its query alarms per metric analyzed: see below).
OAM_SHARED_METRIC = Price(
    0.0,
    "metric shared through an OAM link",
    _CW,
    via="https://aws-observability.github.io/observability-best-practices/guides/getting-started/setup-monitoring-source-accounts",
)
# Logs ingestion (Standard class). Lambda logs are billed as vended logs since 2025-05-01, whose
# first tier (up to 10 TB a month) is the same $0.50/GB. EMF lines are ordinary log events: the
# metrics extracted from them cost only the custom-metric fee.
LOGS_INGESTION_GB = Price(0.50, "GB ingested", _CW, via="https://www.duckbillgroup.com/?p=9080")
# Logs storage, per GB-month (billed on the compressed size).
LOGS_STORAGE_GB_MONTH = Price(
    0.03,
    "GB-month stored",
    _CW,
    via="https://hykell.com/kb/platform-specific-guides/aws-cloudwatch-logs-pricing",
)

# --- KMS, SNS, EventBridge ----------------------------------------------------------------------
# Each customer managed key: $1/month, plus $1/month for each rotated backing key after a year.
KMS_KEY_MONTH = Price(1.00, "key-month", "https://aws.amazon.com/kms/pricing/")
# Requests to the key ($0.03 per 10,000) happen only when an alarm notifies: a few a month.
KMS_REQUEST = Price(0.03 / 10_000, "request", "https://aws.amazon.com/kms/pricing/")
# SNS standard topic: $0.50 per million publishes; e-mail deliveries $2.00 per 100,000. Alarm
# notifications are a handful a month.
SNS_PUBLISH = Price(
    0.50 / 1_000_000,
    "publish",
    "https://aws.amazon.com/sns/pricing/",
    via="https://www.factualminds.com/blog/amazon-sns-pricing-publishes-fanout-protocols/",
)
SNS_EMAIL_DELIVERY = Price(
    2.00 / 100_000,
    "e-mail delivery",
    "https://aws.amazon.com/sns/pricing/",
    via="https://www.factualminds.com/blog/amazon-sns-pricing-publishes-fanout-protocols/",
)
# A scheduled rule's events, and the EBS snapshot notifications the snapshot rule matches, are AWS
# service events on the default bus: no charge.
EVENTBRIDGE_SCHEDULED_EVENT = Price(
    0.0,
    "scheduled event",
    "https://aws.amazon.com/eventbridge/pricing/",
    via="https://www.wring.co/blog/aws-eventbridge-pricing-guide",
)

# --- DynamoDB (events mode's state table, on-demand) ----------------------------------------------
_DDB = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
_DDB_VIA = "https://aws.amazon.com/blogs/database/new-amazon-dynamodb-lowers-pricing-for-on-demand-throughput-and-global-tables/"
# Standard table class: $0.625 per million write request units, $0.125 per million read request
# units (since the 2024-11-01 price cut the blog announces). A standard write of up to 1 KB is one
# unit, a transactional one two; a strongly consistent read of up to 4 KB one unit, an eventually
# consistent one half (the on-demand page's "Key terms").
DYNAMODB_WRITE_REQUEST_UNIT = Price(0.625 / 1_000_000, "write request unit", _DDB, via=_DDB_VIA)
DYNAMODB_READ_REQUEST_UNIT = Price(0.125 / 1_000_000, "read request unit", _DDB, via=_DDB_VIA)
# Storage: $0.25 per GB-month beyond the account's first 25 GB (free tier not applied here).
DYNAMODB_STORAGE_GB_MONTH = Price(0.25, "GB-month stored", _DDB)
# "All state change events published by AWS services are free": the EC2 and EBS notifications the
# rules match cost nothing to deliver (EventBridge pricing page, "Event buses").
EVENTBRIDGE_AWS_SERVICE_EVENT = Price(
    0.0,
    "AWS service event",
    "https://aws.amazon.com/eventbridge/pricing/",
    via="https://www.wring.co/blog/aws-eventbridge-pricing-guide",
)

ALL_PRICES: dict[str, Price] = {
    "sfn_standard_transition": SFN_STANDARD_TRANSITION,
    "sfn_express_request": SFN_EXPRESS_REQUEST,
    "sfn_express_gb_second": SFN_EXPRESS_DURATION,
    "lambda_request": LAMBDA_REQUEST,
    "lambda_gb_second_arm64": LAMBDA_GB_SECOND["arm64"],
    "lambda_gb_second_x86_64": LAMBDA_GB_SECOND["x86_64"],
    "custom_metric_month": CUSTOM_METRIC_MONTH,
    "alarm_standard_month": ALARM_STANDARD_MONTH,
    "alarm_high_resolution_month": ALARM_HIGH_RESOLUTION_MONTH,
    "alarm_insights_metric_month": ALARM_INSIGHTS_METRIC_MONTH,
    "put_metric_data_request": PUT_METRIC_DATA_REQUEST,
    "get_metric_data_metric": GET_METRIC_DATA_METRIC,
    "dashboard_month": DASHBOARD_MONTH,
    "oam_shared_metric": OAM_SHARED_METRIC,
    "logs_ingestion_gb": LOGS_INGESTION_GB,
    "logs_storage_gb_month": LOGS_STORAGE_GB_MONTH,
    "kms_key_month": KMS_KEY_MONTH,
    "kms_request": KMS_REQUEST,
    "sns_publish": SNS_PUBLISH,
    "sns_email_delivery": SNS_EMAIL_DELIVERY,
    "eventbridge_scheduled_event": EVENTBRIDGE_SCHEDULED_EVENT,
    "dynamodb_write_request_unit": DYNAMODB_WRITE_REQUEST_UNIT,
    "dynamodb_read_request_unit": DYNAMODB_READ_REQUEST_UNIT,
    "dynamodb_storage_gb_month": DYNAMODB_STORAGE_GB_MONTH,
    "eventbridge_aws_service_event": EVENTBRIDGE_AWS_SERVICE_EVENT,
}


def tiered_cost(quantity: float, tiers: tuple[Tier, ...]) -> float:
    """The cost of `quantity` units a month under graduated tiers (each tier's rate on its slice)."""
    cost, below = 0.0, 0.0
    for tier in tiers:
        top = quantity if tier.up_to is None else min(quantity, tier.up_to)
        if top > below:
            cost += (top - below) * tier.usd
        if tier.up_to is None or quantity <= tier.up_to:
            break
        below = tier.up_to
    return cost
