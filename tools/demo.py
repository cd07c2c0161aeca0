"""Run the whole pipeline locally for a real minute, on the embedded AWS emulator.

Usage:
    python -m tools.demo [--minutes N] [--output DIR] [--no-chart]

It synthesizes the CDK app (the same code path as `cdk synth`), deploys what the template holds
into moto (the sampler ASL, the collector functions with their handlers and environments, the
alarms), seeds an account with ECS clusters, instances, volumes and snapshots, and starts one
sampler execution per minute with the input the schedule rule gives. A scripted scenario changes
the account while it runs. Then it reads the one-second metrics back from the emulated CloudWatch,
prints a summary, draws a chart, and says which of the stack's alarms would have gone into ALARM.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
# lambdas/ is the Lambda asset root: the stack and the handlers import `common.*` from it.
sys.path[:0] = [p for p in (str(REPO_ROOT / "lambdas"), str(REPO_ROOT)) if p not in sys.path]

from stacks.toolchain import prefer_venv_node  # noqa: E402

prefer_venv_node()

from stacks.deployment_config import ConfigError  # noqa: E402

DEFAULT_OUTPUT = REPO_ROOT / "out" / "demo"
# Demo-only settings on top of highres.config.json: per-cluster alarms need cluster names at
# synth, and a running-task floor lets the run show an alarm firing.
DEMO_CONTEXT: dict[str, Any] = {
    "alarmClusters": "web,batch,payments",
    "alarmThresholds": '{"pendingStuckSeconds": 30, "runningTasksMin": 4}',
}
# The scenario's fault: the ECS collector is denied DescribeClusters for this sample.
FAULT_OFFSET = 33
SPARK = "▁▂▃▄▅▆▇█"
_GROUP_TITLES = {
    "ecs": "ECS clusters",
    "ecs_service": "ECS services",
    "ec2": "EC2 instances",
    "ec2_watch": "Watched instances",
    "ebs": "EBS volumes and snapshots",
    "health": "Pipeline health: SampleDelay (ms), errors and drops (count, dashed)",
}

Series = dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[datetime, float]]]


class DemoError(RuntimeError):
    """Something the demo needs is missing; the message says what to do."""


@dataclass
class RunResult:
    """What one demo run produced: the data, the executions and the alarm verdicts."""

    series: Series
    statuses: list[str]
    outputs: list[Any]
    invocations: list[Any]
    verdicts: list[Any]
    start: datetime
    end: datetime
    namespace: str


def synthesize(outdir: Path) -> Any:
    """Synthesize the app as `cdk synth` does (config file + demo context), cdk-nag included."""
    import aws_cdk as cdk

    from stacks.app_factory import build_app
    from stacks.deployment_config import load_config
    from tools.synthesized import Synthesized

    config = load_config(DEMO_CONTEXT, REPO_ROOT)
    app, stacks = build_app(config, cdk.App(outdir=str(outdir)))
    try:
        app.synth()
    except RuntimeError as error:  # cdk-nag findings or a jsii failure, already printed above
        raise DemoError(f"cdk synth failed: {str(error).splitlines()[0]}") from None
    return Synthesized.load(outdir, stacks[0].stack_name)


def run(minutes: int, synthesized: Any, progress: Any = None, inject_fault: bool = True) -> RunResult:
    """Deploy into the emulator, seed, run `minutes` sampler executions in real time, read back."""
    from tools.alarm_evaluation import evaluate
    from tools.demo_account import Change, seed_account
    from tools.emulator import EmbeddedAws, read_metrics

    with EmbeddedAws() as aws:
        deployment = aws.deploy(synthesized)
        account = seed_account(aws)
        if inject_fault:
            aws.inject_fault("ecs_counts", {FAULT_OFFSET}, "ecs.describe_clusters", "AccessDeniedException")
        # The rule fires on whole minutes; the demo starts at the next whole second instead of
        # making you wait for one.
        first = datetime.fromtimestamp(math.ceil(time.time()) + 1, UTC)
        applied: list[Change] = []

        def apply_due_changes(event: dict[str, Any]) -> None:
            # A scripted change lands just before the first sample of its second, whatever the
            # machine's load: the scenario is deterministic, so the tests can hold it exactly.
            scheduled = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
            applied.extend(account.due((scheduled - first).total_seconds() + event.get("offset", 0)))

        aws.runtime.before_invoke = apply_due_changes
        executions: list[str] = []
        total = minutes * 60
        while (elapsed := time.time() - first.timestamp()) < total + 1:
            if elapsed >= 60 * len(executions) - 0.05 and len(executions) < minutes:
                scheduled = first + timedelta(minutes=len(executions))
                executions.append(aws.start_minute(deployment, synthesized, scheduled))
            while applied:
                change = applied.pop(0)
                if progress:
                    progress.log(f"second {change.second:2d}: {change.description}")
            if progress:
                progress.advance(min(elapsed, total))
            time.sleep(0.1)
        described = [aws.wait_for(arn, timeout_s=30) for arn in executions]
        end = first + timedelta(minutes=minutes)
        series = read_metrics(aws.client("cloudwatch"), deployment.namespace, first, end)
        verdicts = [
            evaluate(alarm, series.get(_alarm_key(alarm), []), first, end)
            for alarm in synthesized.alarms
            if alarm.namespace == deployment.namespace
        ]
    return RunResult(
        series,
        [d["status"] for d in described],
        [json.loads(d.get("output") or "null") for d in described],
        list(aws.runtime.invocations),
        verdicts,
        first,
        end,
        deployment.namespace,
    )


def _alarm_key(alarm: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    return alarm.metric_name, tuple(sorted((k, str(v)) for k, v in alarm.dimensions.items()))


def sparkline(values: Sequence[float], width: int = 60) -> str:
    """One character per second (or per group of seconds beyond `width`), scaled to the range."""
    if not values:
        return ""
    step = max(1, math.ceil(len(values) / width))
    grouped = [max(values[i : i + step]) for i in range(0, len(values), step)]
    low, high = min(grouped), max(grouped)
    scale = (len(SPARK) - 1) / (high - low) if high > low else 0
    return "".join(SPARK[int((v - low) * scale)] for v in grouped)


def summary_rows(series: Series) -> list[tuple[str, str, int, float, float, float, str]]:
    """(metric, dimensions, samples, min, max, last, sparkline), in catalogue order."""
    from common.catalogue import ALL_METRICS

    order = {spec.name: i for i, spec in enumerate(ALL_METRICS)}
    rows = []
    for (name, dims), points in sorted(series.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1])):
        values = [v for _, v in points]
        label = ",".join(f"{k}={v}" for k, v in dims) or "-"
        rows.append((name, label, len(values), min(values), max(values), values[-1], sparkline(values)))
    return rows


def draw_chart(result: RunResult, path: Path) -> Path:
    """One panel per metric group, one-second resolution, written as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from common.catalogue import Group, metric

    panels: dict[Group, list[tuple[str, list[tuple[datetime, float]]]]] = defaultdict(list)
    for (name, dims), points in sorted(result.series.items()):
        label = name + "".join(f" {v}" for _, v in dims)
        panels[metric(name).group].append((label, points))
    groups = [g for g in Group if g in panels]
    figure, axes = plt.subplots(len(groups), 1, figsize=(14, 3.4 * len(groups)), sharex=True, squeeze=False)
    for ax, group in zip(axes[:, 0], groups, strict=True):
        counters = None  # one shared right-hand axis for the health panel's counters
        for label, points in panels[group]:
            # Counters of trouble go on their own axis: milliseconds of delay would flatten them.
            if group is Group.HEALTH and not label.startswith("SampleDelay"):
                counters = counters or ax.twinx()
                target, style = counters, "--"
            else:
                target, style = ax, "-"
            seconds = [(when - result.start).total_seconds() for when, _ in points]
            target.step(seconds, [v for _, v in points], style, where="post", label=label, linewidth=1.3)
        if counters is not None:
            counters.set_ylabel("count", fontsize=8)
            counters.legend(fontsize=7, loc="upper right")
        unit = "ms" if group is Group.HEALTH else "count"
        ax.set_title(
            f"{_GROUP_TITLES[group]} — {result.namespace}, one data point per second", loc="left", fontsize=10
        )
        ax.set_ylabel(unit, fontsize=8)
        ax.legend(
            fontsize=7,
            ncol=1,
            loc="upper left",
            bbox_to_anchor=(1.06 if group is Group.HEALTH else 1.01, 1.0),
        )
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel(f"seconds after {result.start:%Y-%m-%d %H:%M:%S} UTC (the scheduled minute)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return path


def report(result: RunResult, chart: Path | None, console: Any) -> None:
    from rich.table import Table

    table = Table(title=f"One-second metrics read back from the emulated CloudWatch ({result.namespace})")
    for column in ("metric", "dimensions", "samples", "min", "max", "last"):
        table.add_column(column, justify="right" if column in ("samples", "min", "max", "last") else "left")
    table.add_column("per second", no_wrap=True, min_width=60)
    for name, label, count, low, high, last, spark in summary_rows(result.series):
        table.add_row(name, label, str(count), f"{low:g}", f"{high:g}", f"{last:g}", spark)
    console.print(table)
    alarms = Table(title="The stack's alarms on these metrics, evaluated M-out-of-N on the data above")
    for column in ("alarm", "metric", "period x N (M)", "verdict"):
        alarms.add_column(column)
    for verdict in sorted(result.verdicts, key=lambda v: (not v.would_alarm, v.alarm.name)):
        alarm = verdict.alarm
        if verdict.would_alarm:
            text = f"[bold red]ALARM[/] at {verdict.first_alarm:%H:%M:%S}"
        elif verdict.evaluations == 0:
            text = f"not evaluated: needs {verdict.window_seconds} s of data"
        else:
            text = f"[green]{verdict.state}[/]"
        alarms.add_row(
            alarm.name.split("-", 1)[-1],
            f"{alarm.statistic}({alarm.metric_name}{''.join(f' {v}' for v in alarm.dimensions.values())})",
            f"{alarm.period} s x {alarm.evaluation_periods} ({alarm.datapoints_to_alarm})",
            text,
        )
    console.print(alarms)
    console.print(
        f"executions: {', '.join(result.statuses)}; collector invocations: {len(result.invocations)} "
        f"({sum(1 for i in result.invocations if i.error)} failed and caught by the state machine)"
    )
    if chart:
        console.print(f"chart: {chart}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=1, help="sampler executions to run (default 1)")
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help=f"chart folder (default {DEFAULT_OUTPUT})"
    )
    parser.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    args = parser.parse_args(argv)
    if not 1 <= args.minutes <= 60:
        parser.error("--minutes takes a whole number from 1 to 60")
    try:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
    except ImportError as error:
        print(
            f"demo: error: {error.name} is not installed; run `make demo`, which installs it", file=sys.stderr
        )
        return 2
    # Wide enough for the summary table even when output is piped (rich assumes 80 columns then).
    console = Console(width=max(160, Console().width))
    try:
        with tempfile.TemporaryDirectory(prefix="highres-demo-") as outdir:
            console.print("synthesizing the CDK app (cdk-nag included) ...")
            synthesized = synthesize(Path(outdir))
            columns = (
                TextColumn("sampling"),
                BarColumn(),
                TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
            )
            with Progress(*columns, TimeRemainingColumn(), console=console) as progress:
                task = progress.add_task("run", total=args.minutes * 60)
                result = run(args.minutes, synthesized, _ProgressAdapter(progress, task))
    except DemoError as error:
        print(f"demo: error: {error}", file=sys.stderr)
        return 2
    except (ImportError, FileNotFoundError) as error:
        print(f"demo: error: {error}; run `make demo` from the project folder", file=sys.stderr)
        return 2
    except ConfigError as error:
        print(f"demo: error: configuration: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("demo: interrupted; the emulator was stopped", file=sys.stderr)
        return 130
    chart = None if args.no_chart else draw_chart(result, args.output / "metrics.png")
    report(result, chart, console)
    return 0 if all(status == "SUCCEEDED" for status in result.statuses) else 1


@dataclass
class _ProgressAdapter:
    progress: Any
    task: Any

    def advance(self, completed: float) -> None:
        self.progress.update(self.task, completed=completed)

    def log(self, text: str) -> None:
        self.progress.console.print(text)


if __name__ == "__main__":
    sys.exit(main())
