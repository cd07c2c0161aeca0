"""Metrics Insights queries over the catalogue's metrics, spelled once.

The stacks' query alarms and the organization dashboard build them at synth; the doctor runs one
in a monitoring account (`python tools/doctor.py --monitoring`). Both read them here, the layer
they may both import, so an alarm and the doctor cannot group the same metric differently.
"""

from __future__ import annotations

from collector_core.catalogue import MetricSpec

# The label a monitoring account's Metrics Insights query groups by to keep each source account's
# series apart ("Query components and syntax in CloudWatch Metrics Insights", GROUP BY: "AWS.AccountId";
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html).
ACCOUNT_LABEL = "AWS.AccountId"
# A Metrics Insights query returns at most 500 series (Metrics Insights quotas): a monitoring
# account's query over more account-cluster pairs, or more accounts, answers for some of them only.
MAX_SERIES = 500


def insights_query(
    function: str,
    metric: MetricSpec,
    namespace: str,
    *,
    by_account: bool = False,
    by_dimensions: bool = True,
) -> str:
    """`SELECT MAX(InstanceCount) FROM SCHEMA("ns", State) GROUP BY State`: one series per value of
    the metric's dimensions (its published ones, exactly), and per source account with `by_account`;
    `by_dimensions=False` sums the dimensions away (one series per account, or one in all)."""
    schema = ", ".join((f'"{namespace}"', *metric.dimensions))
    group = ((ACCOUNT_LABEL,) if by_account else ()) + (metric.dimensions if by_dimensions else ())
    query = f"SELECT {function}({metric.name}) FROM SCHEMA({schema})"
    return f"{query} GROUP BY {', '.join(group)}" if group else query
