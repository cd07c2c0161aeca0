"""What moves the pipeline's daily cost: the cost model on variants of the default configuration.

Run: python -m bench.cost_knobs

Each variant is synthesized in-process from the default settings plus its change (or estimated with
a different cluster count or handler duration) and priced by `cost.model`, next to the
original design at 5 s and 1 s sampling and the project's cost targets. The targets live here (and
in docs/BENCHMARKS.md) only: they are the project's goals, not something `make cost` tells a user.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from bench.report import table, write_result
from collector_core.collectors import COLLECTORS

DEFAULT = "default: ECS 1 s, EC2 5 s, 256 MB, Express, EMF"
# The original design's workload: the four ECS counts of one cluster, every second.
LIKE_FOR_LIKE = "like for like: ECS alone, 1 cluster"

# name -> (config settings on top of the defaults, estimate options)
VARIANTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    DEFAULT: ({}, {}),
    "collector memory 128 MB": ({"collectorMemoryMb": 128}, {}),
    "+25 ms per invocation (network)": ({}, {"extra_ms": 25.0}),
    "1 cluster": ({}, {"clusters": 1}),
    "10 clusters": ({}, {"clusters": 10}),
    "ECS every 2 s": ({"samplePeriods": {"ecs_counts": 2}}, {}),
    "EC2/EBS every 10 s": ({"samplePeriods": {"ec2_ebs_state": 10}}, {}),
    "1 cluster and EC2/EBS every 10 s": ({"samplePeriods": {"ec2_ebs_state": 10}}, {"clusters": 1}),
    "ECS alone (no EC2/EBS collector)": ({"collectors": ["ecs_counts"]}, {}),
    LIKE_FOR_LIKE: ({"collectors": ["ecs_counts"]}, {"clusters": 1}),
    "api sink (PutMetricData)": ({"sink": "api"}, {}),
    "STANDARD workflow": ({"workflowType": "STANDARD"}, {}),
}

# Pipeline cost per account per day (issue 12), and the like-for-like variant's ratios to the
# original design at 5 s and at 1 s sampling (issue 6).
TARGET_USD_PER_DAY: dict[str, float] = {DEFAULT: 0.220, LIKE_FOR_LIKE: 0.140}
TARGET_RATIO_VS_ORIGINAL = 6.0
TARGET_RATIO_VS_ORIGINAL_1S = 30.0


def verdict(name: str, pipeline: float) -> str:
    """`<= 0.220 met` / `<= 0.140 MISSED` for a variant with a target, `-` for the others."""
    target = TARGET_USD_PER_DAY.get(name)
    if target is None:
        return "-"
    return f"<= {target:.3f} {'met' if pipeline <= target else 'MISSED'}"


def price(settings: dict[str, Any], options: dict[str, Any]) -> Any:
    """The estimate of the default configuration changed by `settings`, priced with `options`."""
    from cost import items, model
    from stacks.deployment_config import parse_config
    from synthesis.synth import synthesize

    synthesized = synthesize(parse_config(settings))
    extra = options.get("extra_ms", 0.0)
    durations = {c: s.measured_duration_ms + extra for c, s in COLLECTORS.items()} if extra else {}
    return model.estimate(
        synthesized,
        items.Options(clusters=options.get("clusters", items.DEFAULT_CLUSTERS), durations_ms=durations),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.cost_knobs", description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    from cost import items, original
    from synthesis.toolchain import prefer_venv_node

    prefer_venv_node()  # before the first aws_cdk import

    original_5s = original.estimate_original(5).pipeline_usd_per_day
    original_1s = original.estimate_original(1).pipeline_usd_per_day
    rows, results = [], []
    for name, (settings, options) in VARIANTS.items():
        estimate = price(settings, options)
        pipeline = estimate.pipeline_usd_per_day
        largest = max(
            (i for i in estimate.items if i.category in items.PIPELINE_CATEGORIES),
            key=lambda i: i.usd_per_day,
        )
        rows.append(
            [
                name,
                pipeline,
                estimate.total_usd_per_day,
                original_5s / pipeline,
                original_1s / pipeline,
                verdict(name, pipeline),
                f"{largest.name} {largest.usd_per_day / pipeline:.0%}",
            ]
        )
        results.append({"variant": name, **estimate.as_dict()})
    print(
        f"Pipeline cost per day by variant (the original design costs ${original_5s:.2f} at 5 s and "
        f"${original_1s:.2f} at 1 s sampling)"
    )
    print(
        table(
            (
                "variant",
                "pipeline $/day",
                "total $/day",
                "x orig 5 s",
                "x orig 1 s",
                "target $/day",
                "largest",
            ),
            rows,
        )
    )
    like = next(row for row in rows if row[0] == LIKE_FOR_LIKE)
    x5, x1 = like[3], like[4]
    print(
        f"like for like vs the original: {x5:.1f}x at 5 s (target {TARGET_RATIO_VS_ORIGINAL:.0f}x: "
        f"{'met' if x5 >= TARGET_RATIO_VS_ORIGINAL else 'MISSED'}), {x1:.1f}x at 1 s (target "
        f"{TARGET_RATIO_VS_ORIGINAL_1S:.0f}x: {'met' if x1 >= TARGET_RATIO_VS_ORIGINAL_1S else 'MISSED'})"
    )
    write_result(
        "cost_knobs",
        {
            "original_5s_pipeline_usd_per_day": original_5s,
            "original_1s_pipeline_usd_per_day": original_1s,
            "targets_usd_per_day": TARGET_USD_PER_DAY,
            "variants": results,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
