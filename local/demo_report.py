"""What `make demo` shows of a run: the summary table with sparklines, the alarm verdicts, the
samples that landed, and the chart (one panel per metric group, a style of its own per series)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from local.demo_run import RunResult, Series

SPARK = "▁▂▃▄▅▆▇█"


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
    from collector_core.catalogue import ALL_METRICS

    order = {spec.name: i for i, spec in enumerate(ALL_METRICS)}
    rows = []
    for (name, dims), points in sorted(series.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1])):
        values = [v for _, v in points]
        if not values:
            continue  # listed but written outside the run (events mode: the seeding reconcile's datum)
        label = ",".join(f"{k}={v}" for k, v in dims) or "-"
        rows.append((name, label, len(values), min(values), max(values), values[-1], sparkline(values)))
    return rows


def draw_chart(result: RunResult, path: Path) -> Path:
    """One panel per metric group, one-second resolution, written as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from collector_core.catalogue import Group, metric

    panels: dict[Group, list[tuple[str, list[tuple[datetime, float]]]]] = defaultdict(list)
    for (name, dims), points in sorted(result.series.items()):
        if not points:
            continue
        label = name + "".join(f" {k}={v}" for k, v in dims)
        panels[metric(name).group].append((label, points))
    groups = [g for g in Group if g in panels]
    figure, axes = plt.subplots(len(groups), 1, figsize=(14, 3.4 * len(groups)), sharex=True, squeeze=False)
    for ax, group in zip(axes[:, 0], groups, strict=True):
        counters = None  # one shared right-hand axis for the health panel's counters
        for index, (label, points) in enumerate(panels[group]):
            # Counters of trouble go on their own axis: milliseconds of delay would flatten them.
            target = ax
            if group is Group.HEALTH and not label.startswith("SampleDelay"):
                counters = counters or ax.twinx()
                target = counters
            colour, style = series_style(index)
            seconds = [(when - result.start).total_seconds() for when, _ in points]
            target.step(
                seconds,
                [v for _, v in points],
                style,
                color=colour,
                where="post",
                label=label,
                linewidth=1.3,
            )
        if counters is not None:
            counters.set_ylabel("count", fontsize=8)
            counters.legend(fontsize=7, loc="upper right")
        unit = "ms" if group is Group.HEALTH else "count"
        ax.set_title(
            f"{_panel_title(group)} — {result.namespace}, one data point per second", loc="left", fontsize=10
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


def samples_landed(result: RunResult) -> list[str]:
    """`collector n/expected` for each collector: the seconds of the run that got a sample
    (every sample writes SampleDelay, also one whose API calls failed; a dropped one does not)."""
    from collector_core.catalogue import SAMPLE_DELAY

    seconds = (result.end - result.start).total_seconds()
    landed = []
    for (name, dims), points in sorted(result.series.items()):
        if name == SAMPLE_DELAY.name:
            collector = dict(dims).get("Collector", "?")
            expected = int(seconds / result.sample_periods.get(collector, 1))
            landed.append(f"{collector} {len(points)}/{expected}")
    return landed


def fleet_coverage(result: RunResult) -> list[str]:
    """Which of the account's clusters only the fleet alarms cover, and whether their series have
    reached CloudWatch yet (the ECS collector lists clusters once a minute)."""
    fleet = [v for v in result.verdicts if v.alarm.query]
    if not fleet:
        return []
    named = {
        str(v.alarm.dimensions["ClusterName"]) for v in result.verdicts if "ClusterName" in v.alarm.dimensions
    }
    seen = {label for v in fleet for label in v.contributors}
    lines = []
    for cluster in (c for c in result.clusters if c not in named):
        if cluster in seen:
            lines.append(f"fleet alarms: {cluster} has no per-cluster alarm; the fleet alarms cover it")
        else:
            lines.append(
                f"fleet alarms: {cluster} has no per-cluster alarm and no data yet; the fleet alarms cover "
                "it from its first sample (the collector lists clusters once a minute: --minutes 2 shows it)"
            )
    return lines


def _relative(path: Path) -> Path:
    """`path` relative to the working folder when it lies inside it (what a user can paste)."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def _panel_title(group: Any) -> str:
    from collector_core.catalogue import Group

    if group is Group.HEALTH:  # the chart puts two kinds of value in this panel
        return f"{group.heading}: SampleDelay (ms, left axis), errors and drops (count, right axis)"
    return str(group.heading)


def series_style(index: int) -> tuple[str, str]:
    """A colour and line style of its own for each series of a panel: ten colours, then the same
    ten dashed, dotted and dash-dotted (40 series before a pair repeats; a panel has at most 13)."""
    colours = [f"C{i}" for i in range(10)]
    styles = ["-", "--", ":", "-."]
    return colours[index % len(colours)], styles[(index // len(colours)) % len(styles)]


def verdict_text(verdict: Any) -> str:
    """An alarm's verdict as the tables show it: ALARM and when, its state, or why not judged."""
    if verdict.would_alarm:
        return f"[bold red]ALARM[/] at {verdict.first_alarm:%H:%M:%S}"
    if verdict.evaluations == 0:
        return f"not evaluated: needs {verdict.window_seconds} s of data"
    return f"[green]{verdict.state}[/]"


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
        text = verdict_text(verdict)
        if alarm.query:
            alarming = [c for c, v in verdict.contributors.items() if v.would_alarm]
            quiet = [c for c in verdict.contributors if c not in alarming]
            text += "; contributors: " + (
                "; ".join(
                    part
                    for part in (
                        f"ALARM {', '.join(alarming)}" if alarming else "",
                        f"not in ALARM {', '.join(quiet)}" if quiet else "",
                    )
                    if part
                )
                or "none yet"
            )
        watched = (
            f"{alarm.statistic}({alarm.metric_name}{''.join(f' {v}' for v in alarm.dimensions.values())})"
        )
        alarms.add_row(
            alarm.alarm_id,
            watched + (f" by {', '.join(alarm.group_by)}" if alarm.query else ""),
            f"{alarm.period} s x {alarm.evaluation_periods} ({alarm.datapoints_to_alarm})",
            text,
        )
    console.print(alarms)
    for line in fleet_coverage(result):
        console.print(line)
    for message in result.notifications:
        console.print(f"alarm topic (snapshot rule): {message}")
    console.print(
        f"executions: {', '.join(result.statuses)}; collector invocations: {len(result.invocations)} "
        f"({sum(1 for i in result.invocations if i.error)} failed and caught by the state machine)"
    )
    console.print("samples written: " + ", ".join(samples_landed(result)))
    if chart:
        console.print(f"chart: {_relative(chart)}")
