"""ECS counts per cluster (and optionally per service), from the smallest set of calls that has them.

Per sample: ListClusters pages (only for ECS_CLUSTERS="*", and only once per cache TTL), one
DescribeClusters per 100 clusters and, with per-service metrics on, per cluster ListServices pages
plus one DescribeServices per 10 services. Calls grow with pages, not with tasks or instances.

ActiveServices comes from DescribeClusters' activeServicesCount, except when the per-service
metrics are on: the services are then described anyway, and counting the ACTIVE ones keeps
ActiveServices consistent with the per-service metrics of the same sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from collector_core.catalogue import (
    ACTIVE_SERVICES,
    CLUSTER_NAME,
    PENDING_TASK,
    REGISTERED_CONTAINER_INSTANCES,
    RUNNING_TASK,
    SERVICE_DESIRED_TASK,
    SERVICE_NAME,
    SERVICE_PENDING_TASK,
    SERVICE_RUNNING_TASK,
)
from collector_core.datum import Datum, datum
from collector_core.faults import Budget, DeadlineExceededError, Faults
from collector_core.paging import chunks, pages
from collector_core.sample import Clock
from collector_core.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_ecs.client import ECSClient
    from mypy_boto3_ecs.type_defs import ClusterTypeDef, ServiceTypeDef

# API maxima: ListClusters/ListServices return at most 100 per page, DescribeClusters takes at
# most 100 clusters, DescribeServices at most 10 services.
LIST_PAGE_SIZE = 100
DESCRIBE_CLUSTERS_BATCH = 100
DESCRIBE_SERVICES_BATCH = 10
# Clusters come and go in minutes; re-listing them every second would multiply the calls.
CLUSTER_LIST_TTL_SECONDS = 60.0


class ClusterCache:
    """The account's cluster ARNs from ListClusters, kept for a short TTL in the container."""

    def __init__(self, ttl_seconds: float = CLUSTER_LIST_TTL_SECONDS) -> None:
        self.ttl_seconds = ttl_seconds
        self._arns: tuple[str, ...] | None = None
        self._listed_at = 0.0

    def fresh(self, now: float) -> tuple[str, ...] | None:
        if self._arns is not None and 0 <= now - self._listed_at < self.ttl_seconds:
            return self._arns
        return None

    @property
    def last(self) -> tuple[str, ...] | None:
        """The last list, however old: better than none when ListClusters fails."""
        return self._arns

    def store(self, arns: Sequence[str], now: float) -> None:
        self._arns = tuple(arns)
        self._listed_at = now


@dataclass
class Services:
    """A cluster's described services; `complete` when every List/Describe call succeeded."""

    items: list[ServiceTypeDef] = field(default_factory=list)
    complete: bool = True


def collect(
    ecs: ECSClient, settings: Settings, *, cache: ClusterCache, clock: Clock, budget: Budget, faults: Faults
) -> list[Datum]:
    """The ECS datums of one sample (health datums excluded); faults recorded, never raised."""
    refs = cluster_refs(ecs, settings, cache=cache, clock=clock, budget=budget, faults=faults)
    clusters = describe_clusters(ecs, refs, budget, faults)
    services: dict[str, Services] = {}
    if settings.ecs_service_metrics:
        for index, cluster in enumerate(clusters):
            try:
                services[cluster["clusterArn"]] = describe_services(ecs, cluster, budget, faults)
            except DeadlineExceededError as exc:
                # One fault for all the clusters left: their cluster metrics still go out.
                faults.record(exc.operation, exc, f"{len(clusters) - index} clusters")
                break
    datums: list[Datum] = []
    for cluster in clusters:
        try:
            datums += cluster_datums(cluster, services.get(cluster["clusterArn"]))
        except (ValueError, TypeError) as exc:  # an answer the checks above did not foresee
            faults.record_malformed("DescribeClusters", str(exc)[:200], cluster.get("clusterArn"))
    return datums


def cluster_refs(
    ecs: ECSClient, settings: Settings, *, cache: ClusterCache, clock: Clock, budget: Budget, faults: Faults
) -> list[str]:
    """The configured cluster names/ARNs, or every cluster of the account for "*"."""
    if not settings.discover_clusters:
        return list(settings.ecs_clusters)
    now = clock()
    cached = cache.fresh(now)
    if cached is not None:
        return list(cached)
    listed = ecs.get_paginator("list_clusters").paginate(PaginationConfig={"PageSize": LIST_PAGE_SIZE})
    try:
        arns = [arn for page in pages(listed, budget, "ListClusters") for arn in page.get("clusterArns", [])]
    except Exception as exc:  # any failure of this call loses only the clusters it would have found
        faults.record("ListClusters", exc)
        return list(cache.last or ())
    cache.store(arns, now)
    return arns


def describe_clusters(
    ecs: ECSClient, refs: Sequence[str], budget: Budget, faults: Faults
) -> list[ClusterTypeDef]:
    """DescribeClusters in batches of 100; a failed batch or a MISSING cluster loses only its own."""
    found: dict[str, ClusterTypeDef] = {}
    for batch in chunks(refs, DESCRIBE_CLUSTERS_BATCH):
        try:
            budget.check("DescribeClusters")
            response = ecs.describe_clusters(clusters=list(batch))
        except Exception as exc:
            faults.record("DescribeClusters", exc, batch[0] if len(batch) == 1 else f"{len(batch)} clusters")
            if isinstance(exc, DeadlineExceededError):
                break
            continue
        for failure in response.get("failures", []):
            faults.record_failure("DescribeClusters", failure.get("reason", ""), failure.get("arn"))
        for cluster in response.get("clusters", []):
            if not _named(cluster, "clusterName") or not _named(cluster, "clusterArn"):
                # No name, no ClusterName dimension: this cluster is lost, the batch is not.
                faults.record_malformed("DescribeClusters", _described(cluster, "cluster"), _arn(cluster))
                continue
            # A cluster configured by name and by ARN is returned twice: count it once.
            found.setdefault(cluster["clusterArn"], cluster)
    return list(found.values())


def describe_services(ecs: ECSClient, cluster: ClusterTypeDef, budget: Budget, faults: Faults) -> Services:
    """The cluster's services; raises DeadlineExceededError so the caller can stop for every cluster."""
    arn, name = cluster.get("clusterArn", ""), cluster.get("clusterName", "")
    services = Services()
    listed = ecs.get_paginator("list_services").paginate(
        cluster=arn, PaginationConfig={"PageSize": LIST_PAGE_SIZE}
    )
    try:
        service_arns = [
            a for page in pages(listed, budget, "ListServices") for a in page.get("serviceArns", [])
        ]
    except DeadlineExceededError:
        raise
    except Exception as exc:
        faults.record("ListServices", exc, name)
        return Services(complete=False)
    for batch in chunks(service_arns, DESCRIBE_SERVICES_BATCH):
        try:
            budget.check("DescribeServices")
            response = ecs.describe_services(cluster=arn, services=list(batch))
        except DeadlineExceededError:
            raise
        except Exception as exc:  # this batch's services are lost, the others still count
            faults.record("DescribeServices", exc, name)
            services.complete = False
            continue
        for failure in response.get("failures", []):
            faults.record_failure("DescribeServices", failure.get("reason", ""), failure.get("arn"))
        for service in response.get("services", []):
            if not _named(service, "serviceName"):
                faults.record_malformed("DescribeServices", _described(service, "service"), name)
                # ActiveServices then falls back to the cluster's own count (see cluster_datums).
                services.complete = False
                continue
            services.items.append(service)
    return services


def cluster_datums(cluster: ClusterTypeDef, services: Services | None) -> list[Datum]:
    """A count field AWS leaves out (DescribeClusters' own documented example has none) is 0."""
    name = cluster.get("clusterName", "")
    active = _count(cluster, "activeServicesCount")
    if services is not None and services.complete:
        active = sum(1 for s in services.items if s.get("status") == "ACTIVE")
    on_cluster = {CLUSTER_NAME: name}
    datums = [
        datum(RUNNING_TASK, _count(cluster, "runningTasksCount"), **on_cluster),
        datum(PENDING_TASK, _count(cluster, "pendingTasksCount"), **on_cluster),
        datum(ACTIVE_SERVICES, active, **on_cluster),
        datum(
            REGISTERED_CONTAINER_INSTANCES, _count(cluster, "registeredContainerInstancesCount"), **on_cluster
        ),
    ]
    for service in services.items if services is not None else []:
        on_service = {CLUSTER_NAME: name, SERVICE_NAME: service.get("serviceName", "")}
        datums += [
            datum(SERVICE_RUNNING_TASK, _count(service, "runningCount"), **on_service),
            datum(SERVICE_PENDING_TASK, _count(service, "pendingCount"), **on_service),
            datum(SERVICE_DESIRED_TASK, _count(service, "desiredCount"), **on_service),
        ]
    return datums


def _named(item: Mapping[str, Any], key: str) -> bool:
    return isinstance(item, Mapping) and isinstance(item.get(key), str) and bool(item[key])


def _arn(item: Any) -> str | None:
    arn = item.get("clusterArn") if isinstance(item, Mapping) else None
    return arn if isinstance(arn, str) and arn else None


def _described(item: Any, kind: str) -> str:
    keys = sorted(item) if isinstance(item, Mapping) else type(item).__name__
    return f"a {kind} without a name or ARN (keys: {keys})"


def _count(item: Mapping[str, Any], key: str) -> int:
    value = item.get(key, 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
