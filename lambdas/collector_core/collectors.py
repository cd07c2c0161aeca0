"""One record per collector: what the stack, the dashboard, the cost model, the emulator and the
benchmarks know of it.

Adding a collector is its folder `lambdas/<name>/` (a `handler.py` with `handler`, `runtime`,
`clock` and `logger`, as the two here have), its member of `Collector`, its metrics in the
catalogue, and its record below. The stack's construct gives it its role and environment
(`stacks/constructs/collectors_construct.py`, `_read_statements` and `_environment`): IAM
statements are CDK objects and depend on the deployment's config, so they cannot be data here.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector_core.catalogue import ALL_METRICS, Collector, Group, MetricSpec


@dataclass(frozen=True)
class CollectorSpec:
    collector: Collector
    # PascalCase: the construct id, and `<label>FunctionArn`, the sampler ASL's placeholder.
    label: str
    # The prefix of its branches' state names in the sampler ASL ("Ecs 07s Collect").
    branch_label: str
    # Seconds between samples unless `samplePeriods` says otherwise (a divisor of 60).
    default_period_seconds: int
    # The metric groups it publishes: its dashboard rows, and what the cost model counts.
    groups: tuple[Group, ...]
    # In-process handler duration, warm, median of 50 samples on moto with a small account (3
    # clusters; 10 instances), by `python -m bench.collector_cost` on 2026-11-22 (AMD EPYC,
    # x86_64). A LOWER BOUND for the cost model: no network round trip, no cold start, and a
    # faster CPU than the share a 256 MB Lambda gets.
    measured_duration_ms: float

    @property
    def handler(self) -> str:
        """The Lambda handler string, relative to the asset root `lambdas/`."""
        return f"{self.collector.value}.handler.handler"

    @property
    def arn_placeholder(self) -> str:
        return f"{self.label}FunctionArn"


COLLECTORS: dict[Collector, CollectorSpec] = {
    spec.collector: spec
    for spec in (
        CollectorSpec(
            collector=Collector.ECS_COUNTS,
            label="EcsCounts",
            branch_label="Ecs",
            # Every second: the product.
            default_period_seconds=1,
            groups=(Group.ECS, Group.ECS_SERVICE, Group.HEALTH),
            measured_duration_ms=1.6,
        ),
        CollectorSpec(
            collector=Collector.EC2_EBS_STATE,
            label="Ec2EbsState",
            branch_label="Ec2Ebs",
            # Every 5 s: EC2's Describe* throttling budget is shared with every other tool in the
            # account (see collector_core.ec2_budget).
            default_period_seconds=5,
            # EC2_EVENTS: published by the reconcile job of the events mode.
            groups=(Group.EC2, Group.EC2_WATCH, Group.EBS, Group.HEALTH, Group.EC2_EVENTS),
            measured_duration_ms=13.6,
        ),
    )
}


def collector_of_handler(handler: str) -> Collector:
    """`ecs_counts.handler.handler` -> Collector.ECS_COUNTS; a ValueError names an unknown one."""
    for spec in COLLECTORS.values():
        if spec.handler == handler:
            return spec.collector
    raise ValueError(f"{handler!r} is not the handler of any collector")


def metrics_of(collector: Collector) -> tuple[MetricSpec, ...]:
    """The metrics `collector` may publish."""
    groups = COLLECTORS[collector].groups
    return tuple(spec for spec in ALL_METRICS if spec.group in groups)
