"""What the operator-facing parts cost: the fleet alarms (priced per metric their query
analyzes), the EBS snapshot notification rule, and the live board while it runs."""

from __future__ import annotations

from cost import pricing
from cost.items import ALARMS, FIXED, Item, Options, monthly_item
from synthesis.synthesized import Synthesized


def query_alarm_item(synthesized: Synthesized, analyzed_per_alarm: int, what: str) -> Item | None:
    """The Metrics Insights alarms, each priced per metric its query analyzes (`analyzed_per_alarm`:
    one per cluster in an account; one per account and cluster in a monitoring account)."""
    fleet = [a for a in synthesized.alarms if a.query]
    if not fleet:
        return None
    analyzed = len(fleet) * analyzed_per_alarm
    return monthly_item(
        "CloudWatch Metrics Insights alarms",
        ALARMS,
        len(fleet),
        "alarms",
        analyzed * pricing.ALARM_INSIGHTS_METRIC_MONTH.usd,
        f"{len(fleet)} fleet alarm(s) x {what} analyzed (assumed rate: see cost/pricing.py)",
    )


def fleet_rule_and_board_items(synthesized: Synthesized, options: Options) -> list[Item]:
    """The fleet alarms, the snapshot rule, the board."""
    items: list[Item] = []
    query_item = query_alarm_item(synthesized, options.clusters, f"{options.clusters} clusters")
    if query_item is not None:
        items.append(query_item)
    if synthesized.snapshot_rule is not None:
        items.append(
            Item(
                "EventBridge snapshot notifications",
                FIXED,
                0,
                "events",
                0.0,
                "AWS service events on the default bus are free (a StackSet member's, delivered to the "
                "central topic of another account, cost cents per million); SNS publishes only on a "
                "snapshot result",
            )
        )
    if options.board_hours_per_day:
        board_metrics = options.board_instances + 2 * options.clusters
        requested = board_metrics * options.board_hours_per_day * 3600 / options.board_refresh_seconds
        items.append(
            Item(
                "Live board (GetMetricData)",
                FIXED,
                requested,
                "metrics",
                requested * pricing.GET_METRIC_DATA_METRIC.usd,
                f"{board_metrics} metrics every {options.board_refresh_seconds:g} s, "
                f"{options.board_hours_per_day:g} h a day",
            )
        )
    return items
