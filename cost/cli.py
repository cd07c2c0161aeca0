"""Expected AWS cost of the pipeline, per account per day and per month, itemized.

Usage:
    python -m cost [--template PATH] [--config FILE] [--clusters N]
                                  [--services-per-cluster K] [--sink emf|api]
                                  [--duration-ms COLLECTOR=MS ...] [--compare-original] [--json]
                                  [--ec2-resources N] [--daily-churn F]   (events mode)
    python -m cost --organization --member-accounts N [--regions R1,R2] [--config FILE] [--json]

Everything countable comes from the synthesized template (`make synth`; without one the app is
synthesized in-process from the config): the sampler ASL gives the invocations per minute and
the Express duration (or, for a STANDARD workflow, the state transitions), each function its
memory and architecture, the alarms their periods. Bytes of metric ingestion per sample are
measured by running each real handler, with its template environment, on moto and capturing
what it prints. Custom metrics are counted from the metric catalogue for `--clusters` clusters.
Prices come from `cost.pricing` (us-east-1, free tiers not applied).

Measured lower bounds, not AWS measurements: the handler durations (each collector's
`measured_duration_ms`) were timed in-process on moto with a small account, so they include no
network round trip and no cold start; `--duration-ms ecs_counts=40` replaces one with your own
(e.g. from the Lambda REPORT line).

`--compare-original` adds the design this project grows from (AWS Compute Blog: a Standard
workflow of hand-written Wait+Task branches every 5 s, one x86 128 MB Lambda per sample making one
DescribeClusters and one PutMetricData call with 4 metrics), at 5 s and at 1 s sampling, and the
ratios. `--json` prints exactly one JSON object.

`--organization --member-accounts N` prices organization mode instead (cost.organization): a member
account and the monitoring account per region, the organization of N members in the config's
`organization.regions` (or `--regions`), and `all_in_usd_per_member_account_per_month`, beside the
single-account stack (`--compare-original` is for the single-account estimate and is not shown).

Examples:
    make synth && python -m cost
    python -m cost --clusters 20 --compare-original --json
    python -m cost --organization --member-accounts 100 --regions eu-west-1,us-east-1 --json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from collector_core.catalogue import Collector
from cost import pricing
from cost.items import (
    DAYS_PER_MONTH,
    DEFAULT_CLUSTERS,
    DEFAULT_SERVICES_PER_CLUSTER,
    ORIGINAL_PERIOD_SECONDS,
    PIPELINE_CATEGORIES,
    REPO_ROOT,
    SENSITIVITY_EXTRA_MS,
    Estimate,
    EstimateError,
    Options,
)
from cost.model import estimate
from cost.org_templates import load_organization
from cost.organization import estimate_organization, format_summary
from cost.original import estimate_original
from synthesis.synth import synthesize
from synthesis.synthesized import DEFAULT_ASSEMBLY, Synthesized
from synthesis.toolchain import prefer_venv_node


def load_synthesized(template: Path | None, config_file: str | None) -> Synthesized:
    """The given template, else the config's stack in cdk.out/, else an in-process synth."""
    if template is not None:
        if not template.exists():
            raise EstimateError(f"--template {template}: no such file")
        return Synthesized(json.loads(template.read_text()))
    prefer_venv_node()
    from stacks.deployment_config import load_config

    config = load_config({"configFile": config_file} if config_file else {}, REPO_ROOT)
    stack_name = config.targets[0].stack_name
    if config_file is None and (DEFAULT_ASSEMBLY / f"{stack_name}.template.json").exists():
        return Synthesized.load(DEFAULT_ASSEMBLY, stack_name)
    return synthesize(config)


def _duration_override(text: str) -> tuple[Collector, float]:
    name, _, value = text.partition("=")
    try:
        return Collector(name), float(value)
    except ValueError:
        known = ", ".join(c.value for c in Collector)
        raise argparse.ArgumentTypeError(
            f"{text!r}: give COLLECTOR=MS with COLLECTOR one of {known}"
        ) from None


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number above 0")
    return int(text)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m cost", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "--template", type=Path, help="a synthesized template (default: the config's stack in cdk.out/)"
    )
    parser.add_argument(
        "--config", help="config file, relative to the repository (default highres.config.json)"
    )
    parser.add_argument(
        "--clusters", type=_positive_int, default=DEFAULT_CLUSTERS, help="ECS clusters when clusters is '*'"
    )
    parser.add_argument(
        "--services-per-cluster",
        type=int,
        default=DEFAULT_SERVICES_PER_CLUSTER,
        help="with serviceMetrics on",
    )
    parser.add_argument("--sink", choices=("emf", "api"), help="override the template's metric sink")
    parser.add_argument(
        "--duration-ms",
        type=_duration_override,
        action="append",
        default=[],
        metavar="COLLECTOR=MS",
        help="handler duration per invocation instead of the measured lower bound",
    )
    parser.add_argument(
        "--compare-original", action="store_true", help="add the original design at 5 s and 1 s"
    )
    parser.add_argument(
        "--board-hours-per-day", type=float, default=0.0, help="hours a day tools/board.py runs (default 0)"
    )
    parser.add_argument(
        "--board-instances", type=int, default=0, help="watched instances the board shows (default 0)"
    )
    parser.add_argument(
        "--ec2-resources",
        type=int,
        default=1000,
        help="events mode: instances (each with a volume) the state table follows (default 1000)",
    )
    parser.add_argument(
        "--daily-churn",
        type=float,
        default=0.1,
        help="events mode: share of the fleet launched and terminated per day (default 0.1)",
    )
    parser.add_argument(
        "--organization", action="store_true", help="organization mode: member and monitoring accounts"
    )
    parser.add_argument("--member-accounts", metavar="N", help="organization mode: member accounts")
    parser.add_argument(
        "--regions",
        metavar="R1,R2",
        help="organization mode: regions (default: the config's organization.regions, else us-east-1)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    return parser.parse_args(argv)


def report(ours: Estimate, originals: Sequence[Estimate]) -> dict[str, Any]:
    """The JSON document: ours, and (with originals) theirs and the ratios of pipeline costs."""
    result = ours.as_dict()
    pipeline = ours.pipeline_usd_per_day
    extra_usd = _sensitivity(ours)
    result["sensitivity"] = {
        "extra_ms_per_invocation": SENSITIVITY_EXTRA_MS,
        "pipeline_usd_per_day": round(pipeline + extra_usd, 6),
    }
    result["largest_pipeline_items"] = [
        {"name": i.name, "share": round(i.usd_per_day / pipeline, 4) if pipeline else 0.0}
        for i in sorted(ours.items, key=lambda i: -i.usd_per_day)
        if i.category in PIPELINE_CATEGORIES
    ][:4]
    result["prices"] = {name: asdict(price) for name, price in pricing.ALL_PRICES.items()}
    for original in originals:
        key = (
            "original" if original.assumptions["period_seconds"] == ORIGINAL_PERIOD_SECONDS else "original_1s"
        )
        theirs = original.pipeline_usd_per_day
        result[key] = original.as_dict()
        result[f"{key}_pipeline_usd_per_day"] = round(theirs, 6)
        result[f"ratio_vs_{key}"] = round(theirs / pipeline, 3) if pipeline else None
    return result


def _sensitivity(ours: Estimate) -> float:
    """What SENSITIVITY_EXTRA_MS more per invocation would add per day (Lambda compute only; the
    Express duration grows by the same amount once a minute, which is negligible)."""
    extra = 0.0
    for fn in ours.assumptions["functions"]:
        gb_seconds = fn["invocations_per_day"] * SENSITIVITY_EXTRA_MS / 1000 * fn["memory_mb"] / 1024
        extra += gb_seconds * pricing.LAMBDA_GB_SECOND[fn["architecture"]].usd
    return extra


def format_estimate(estimate: Estimate) -> str:
    lines = [
        f"{estimate.label}",
        f"  {'item':<40} {'per day':>14} {'unit':<12} {'$/day':>9} {'$/month':>9}  detail",
    ]
    for item in estimate.items:
        lines.append(
            f"  {item.name:<40} {item.quantity_per_day:>14,.3f} {item.unit:<12} "
            f"{item.usd_per_day:>9.4f} {item.usd_per_month:>9.2f}  {item.detail}"
        )
    pipeline, total = estimate.pipeline_usd_per_day, estimate.total_usd_per_day
    lines.append(
        f"  {'pipeline (orchestration+compute+ingestion)':<67} {pipeline:>9.4f} "
        f"{pipeline * DAYS_PER_MONTH:>9.2f}"
    )
    lines.append(f"  {'total':<67} {total:>9.4f} {total * DAYS_PER_MONTH:>9.2f}")
    return "\n".join(lines)


def format_report(ours: Estimate, originals: Sequence[Estimate], data: Mapping[str, Any]) -> str:
    parts = [format_estimate(ours)]
    pipeline = ours.pipeline_usd_per_day
    shares = ", ".join(f"{i['name']} {i['share']:.0%}" for i in data["largest_pipeline_items"])
    parts.append(
        f"\npipeline ${pipeline:.4f}/day; largest items: {shares}.\n"
        f"Lambda durations are lower bounds measured on moto; {SENSITIVITY_EXTRA_MS:.0f} ms more per "
        f"invocation (network round trips) makes the pipeline "
        f"${data['sensitivity']['pipeline_usd_per_day']:.4f}/day."
    )
    for original in originals:
        parts.append("\n" + format_estimate(original))
    if originals:
        r5, r1 = data["ratio_vs_original"], data["ratio_vs_original_1s"]
        parts.append(
            f"\npipeline ratio: original at 5 s / ours = {r5:.1f}x; original at 1 s / ours = {r1:.1f}x."
        )
    parts.append(
        f"\nus-east-1 prices read on {pricing.READ_ON} (cost/pricing.py), free tiers not applied; "
        f"a month is {DAYS_PER_MONTH:.2f} days."
    )
    return "\n".join(parts)


def member_accounts(args: argparse.Namespace) -> int | None:
    """N in organization mode (--organization or --member-accounts given), None otherwise."""
    if not (args.organization or args.member_accounts is not None or args.regions):
        return None
    text = args.member_accounts
    if text is None:
        raise EstimateError("--member-accounts: organization mode needs the number of member accounts")
    if not text.isdigit() or int(text) < 1:
        raise EstimateError(f"--member-accounts: {text!r} is not a whole number above 0")
    if args.template is not None:
        raise EstimateError("--template: organization mode reads the config's templates, not one file")
    return int(text)


def run_organization(args: argparse.Namespace, options: Options, n: int) -> int:
    regions = tuple(r.strip() for r in args.regions.split(",") if r.strip()) if args.regions else None
    templates = load_organization(args.config, regions)
    org = estimate_organization(templates, options, n)
    data = org.report()
    if args.json:
        print(json.dumps(data, indent=2, sort_keys=True))
        return 0
    parts = [format_estimate(org.member)]
    parts += [f"\n{region}: " + format_estimate(m) for region, m in org.monitoring.items()]
    parts += ["\n" + format_estimate(org.single), "\n" + format_summary(data)]
    parts.append(
        f"\nus-east-1 prices read on {pricing.READ_ON} (cost/pricing.py) for every region, free tiers "
        f"not applied; a month is {DAYS_PER_MONTH:.2f} days."
    )
    print("\n".join(parts))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        n = member_accounts(args)
        options = Options(
            args.clusters,
            args.services_per_cluster,
            args.sink,
            dict(args.duration_ms),
            board_hours_per_day=args.board_hours_per_day,
            board_instances=args.board_instances,
            ec2_resources=args.ec2_resources,
            daily_churn=args.daily_churn,
        )
        if n is not None:
            return run_organization(args, options, n)
        ours = estimate(load_synthesized(args.template, args.config), options)
    except EstimateError as error:
        print(f"cost: error: {error}", file=sys.stderr)
        return 2
    originals = (
        [estimate_original(ORIGINAL_PERIOD_SECONDS), estimate_original(1)] if args.compare_original else []
    )
    data = report(ours, originals)
    if args.json:
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        print(format_report(ours, originals, data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
