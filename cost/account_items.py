"""What the account pays per month whatever the sampling: the custom metric streams each catalogue
metric publishes in this deployment, the alarms, the operator-facing items, the dashboard, the key."""

from __future__ import annotations

from collections.abc import Mapping

from collector_core import catalogue as cat
from collector_core.catalogue import Collector, Group, MetricSpec
from collector_core.collectors import metrics_of
from collector_core.settings import Settings
from cost import pricing
from cost.items import ALARMS, FIXED, METRICS, EstimateError, Item, Options, monthly_item
from cost.operations import fleet_rule_and_board_items
from synthesis.synthesized import Synthesized


def dimension_cardinality(
    dimension: str, spec: MetricSpec, settings: Settings, clusters: int, services_per_cluster: int
) -> int:
    """How many values `dimension` takes for `spec` in this deployment."""
    if dimension == cat.CLUSTER_NAME:
        return clusters if settings.discover_clusters else len(settings.ecs_clusters)
    if dimension == cat.SERVICE_NAME:
        return services_per_cluster if settings.ecs_service_metrics else 0
    if dimension == cat.STATE:
        return len(cat.INSTANCE_STATES if spec.group is Group.EC2 else cat.VOLUME_STATES)
    if dimension == cat.INSTANCE_ID:
        return len(settings.watch_instance_ids)
    if dimension == cat.COLLECTOR:
        return 1  # each collector publishes its own health metrics under its own name
    raise EstimateError(f"the cost model does not know how many values dimension {dimension} takes")


def metric_streams(
    collectors: Mapping[Collector, Settings],
    clusters: int,
    services_per_cluster: int,
    events_mode: bool = False,
) -> dict[str, int]:
    """Distinct metric streams (name + dimension values) each catalogue metric publishes."""
    counts: dict[str, int] = {}
    for collector, settings in collectors.items():
        for spec in metrics_of(collector):
            if spec.group is Group.EC2_EVENTS and not events_mode:
                continue  # StateRepairs: the reconcile job of events mode only
            streams = 1
            for dimension in spec.dimensions:
                streams *= dimension_cardinality(dimension, spec, settings, clusters, services_per_cluster)
            if streams:
                counts[spec.name] = counts.get(spec.name, 0) + streams
    return counts


def account_items(
    synthesized: Synthesized, options: Options, settings_of: Mapping[Collector, Settings], events_mode: bool
) -> list[Item]:
    """What the account pays per month whatever the sampling: metrics, alarms, dashboard, key."""
    items: list[Item] = []
    streams = metric_streams(settings_of, options.clusters, options.services_per_cluster, events_mode)
    total_streams = sum(streams.values())
    items.append(
        monthly_item(
            "CloudWatch custom metrics",
            METRICS,
            total_streams,
            "metrics",
            pricing.tiered_cost(total_streams, pricing.CUSTOM_METRIC_MONTH_TIERS),
            ", ".join(f"{name} {n}" for name, n in streams.items()),
        )
    )
    items.append(alarm_item(synthesized))
    items += fleet_rule_and_board_items(synthesized, options)
    items += dashboard_and_key_items(synthesized)
    return items


def alarm_item(synthesized: Synthesized) -> Item:
    """The alarms that list their metric directly, priced by resolution (query alarms: their own item)."""
    alarms = [a for a in synthesized.alarms if not a.query]
    high = sum(1 for a in alarms if a.period < 60)
    return monthly_item(
        "CloudWatch alarms",
        ALARMS,
        len(alarms),
        "alarms",
        high * pricing.ALARM_HIGH_RESOLUTION_MONTH.usd
        + (len(alarms) - high) * pricing.ALARM_STANDARD_MONTH.usd,
        f"{high} high-resolution (period < 60 s), {len(alarms) - high} standard",
    )


def dashboard_and_key_items(synthesized: Synthesized) -> list[Item]:
    """The template's dashboards and KMS keys (a member account of an organization has neither)."""
    dashboards = len(synthesized.resources("AWS::CloudWatch::Dashboard"))
    keys = len(synthesized.resources("AWS::KMS::Key"))
    return [
        monthly_item(
            "CloudWatch dashboard",
            FIXED,
            dashboards,
            "dashboards",
            dashboards * pricing.DASHBOARD_MONTH.usd,
            "free if the account has fewer than 3 other dashboards",
        ),
        monthly_item(
            "KMS key (alarm topic)",
            FIXED,
            keys,
            "keys",
            keys * pricing.KMS_KEY_MONTH.usd,
            "rotation adds $1/month per rotated backing key from the second year",
        ),
    ]
