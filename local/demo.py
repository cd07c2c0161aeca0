"""Run the whole pipeline locally for a real minute, on the embedded AWS emulator.

Usage:
    python -m local.demo [--minutes N] [--output DIR] [--no-chart] [--board]

It synthesizes the CDK app (the same code path as `cdk synth`), deploys what the template holds
into moto (the sampler ASL, the collector functions with their handlers and environments, the
alarms), seeds an account with ECS clusters, instances, volumes and snapshots, and starts one
sampler execution per minute with the input the schedule rule gives. A scripted scenario changes
the account while it runs. Then it reads the one-second metrics back from the emulated CloudWatch,
prints a summary, draws a chart, and says which of the stack's alarms would have gone into ALARM.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import logging
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from local.demo_report import Series, draw_chart, report
from synthesis.toolchain import prefer_venv_node

prefer_venv_node()

REPO_ROOT = Path(__file__).resolve().parents[1]

DEFAULT_OUTPUT = REPO_ROOT / "out" / "demo"
# Demo-only settings on top of highres.config.json: per-cluster alarms need cluster names at
# synth, and a running-task floor lets the run show an alarm firing.
DEMO_CONTEXT: dict[str, Any] = {
    "alarmClusters": "web,batch,payments",
    "alarmThresholds": '{"pendingStuckSeconds": 30, "runningTasksMin": 4}',
}
# The scenario's fault: the ECS collector is denied DescribeClusters for this sample.
FAULT_OFFSET = 33
# moto starts an execution's 72 branches one thread at a time, which takes seconds on a loaded
# 2-core machine (AWS takes milliseconds), so each execution starts this long before its minute.
# Its input still names the scheduled minute and every Wait waits for an absolute second, so
# nothing moves: the first samples are simply not late.
EXECUTION_LEAD_S = 5
# A plain progress line this often when the output is not a terminal (a CI log, `| tee`).
PLAIN_PROGRESS_EVERY_S = 10


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
    sample_periods: dict[str, int] = field(default_factory=dict)  # collector -> seconds
    notifications: list[str] = field(default_factory=list)  # messages the snapshot rule published
    clusters: list[str] = field(default_factory=list)  # the account's clusters at the end


# Events mode: EC2/EBS states sampled every second, as the mode allows (its calls do not grow
# with the fleet).
EVENTS_CONTEXT: dict[str, Any] = {
    "ec2StateSource": "events",
    "samplePeriods": '{"ecs_counts": 1, "ec2_ebs_state": 1}',
}


def synthesize(outdir: Path, ec2_state_source: str = "poll") -> Any:
    """The app as `cdk synth` builds it from the config file plus the demo's context."""
    from synthesis import synth
    from stacks.deployment_config import load_config

    context = DEMO_CONTEXT | (EVENTS_CONTEXT if ec2_state_source == "events" else {})
    try:
        return synth.synthesize(load_config(context, REPO_ROOT), outdir)
    except synth.SynthError as error:
        raise DemoError(str(error)) from None


def run(minutes: int, synthesized: Any, progress: Any = None, inject_fault: bool = True) -> RunResult:
    """Deploy into the emulator, seed, run `minutes` sampler executions in real time, read back."""
    from collector_core.env_names import SAMPLE_PERIOD_SECONDS
    from local.alarm_evaluation import evaluate_alarm
    from local.demo_account import Change, seed_account
    from local.emulator import EmbeddedAws, read_metrics

    with EmbeddedAws() as aws:
        if progress:
            progress.emulator_started()
        deployment = aws.deploy(synthesized)
        account = seed_account(aws)
        if progress:
            progress.attach(aws, deployment.namespace)
        if deployment.state_table:
            # Events mode: the reconcile job's first run seeds the table, as after a real deploy.
            seeded = aws.run_reconcile(deployment) or {}
            if progress:
                progress.log(
                    f"events mode: the reconcile seeded the state table ({seeded.get('seeded')} items)"
                )
        if inject_fault:
            aws.inject_fault("ecs_counts", {FAULT_OFFSET}, "ecs.describe_clusters", "AccessDeniedException")
        # The rule fires on whole minutes; the demo starts at a whole second soon after the
        # emulator is ready instead of making you wait for one.
        first = datetime.fromtimestamp(math.ceil(time.time()) + EXECUTION_LEAD_S + 1, UTC)
        applied: list[Change] = []

        def apply_due_changes(event: dict[str, Any]) -> None:
            # A scripted change lands just before the first sample of its second, whatever the
            # machine's load: the scenario is deterministic, so the tests can hold it exactly.
            if "offset" not in event:
                return  # a state event or the reconcile, not a sample
            scheduled = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
            due = account.due((scheduled - first).total_seconds() + event.get("offset", 0))
            applied.extend(due)
            if deployment.state_table:
                for change in due:
                    publish_state_events(aws, change, first.timestamp() + change.second)

        aws.runtime.before_invoke = apply_due_changes
        executions: list[str] = []
        total = minutes * 60
        while (elapsed := time.time() - first.timestamp()) < total + 1:
            if elapsed >= 60 * len(executions) - EXECUTION_LEAD_S and len(executions) < minutes:
                scheduled = first + timedelta(minutes=len(executions))
                executions.append(aws.start_minute(deployment, synthesized, scheduled))
            if deployment.state_table:
                _deliver_state_events(aws, deployment, first, progress)
            while applied:
                change = applied.pop(0)
                if progress:
                    progress.log(f"second {change.second:2d}: {change.description}")
            if progress:
                progress.advance(max(0.0, min(elapsed, total)))
            time.sleep(0.1)
        described = [aws.wait_for(arn, timeout_s=30) for arn in executions]
        clusters = [arn.rsplit("/", 1)[-1] for arn in aws.client("ecs").list_clusters()["clusterArns"]]
        end = first + timedelta(minutes=minutes)
        series = read_metrics(aws.client("cloudwatch"), deployment.namespace, first, end)
        verdicts = [
            evaluate_alarm(alarm, series, first, end)
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
        {
            spec.handler.split(".")[0]: int(spec.environment.get(SAMPLE_PERIOD_SECONDS, "1"))
            for spec in synthesized.functions.values()
        },
        list(aws.notifications),
        sorted(clusters),
    )


def _deliver_state_events(aws: Any, deployment: Any, first: datetime, progress: Any) -> None:
    """Hand the event function every state event that is due, and say when each arrived."""
    delivered = aws.deliver_due_events(deployment, time.time())
    for event in aws.delivered_events[len(aws.delivered_events) - delivered :]:
        if progress:
            at = int(datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp())
            detail = event["detail"]
            progress.log(
                f"second {at - int(first.timestamp()):2d}: event delivered at "
                f"{time.time() - first.timestamp():.1f} s: {detail['instance-id']} {detail['state']}"
            )


def publish_state_events(aws: Any, change: Any, at: float) -> None:
    """Queue the notifications EC2 would send for `change` (at its second) with their delays. A
    repeated (instance, state) keeps its event id: a redelivery, not a second change."""
    from local.demo_account import instance_state_event

    for event in change.events:
        event_id = f"{event.instance_id}-{event.state}-{int(at)}"
        aws.publish_event(
            instance_state_event(event.instance_id, event.state, at, event_id), at + event.delay_s
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=1, help="sampler executions to run (default 1)")
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help=f"chart folder (default {DEFAULT_OUTPUT})"
    )
    parser.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    parser.add_argument(
        "--board",
        action="store_true",
        help="show the live board (tools/board.py) while sampling, on a terminal",
    )
    parser.add_argument(
        "--ec2-state-source",
        choices=("poll", "events"),
        default="poll",
        help="EC2/EBS states by listing (poll, default) or from state events kept in DynamoDB (events)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.minutes <= 60:
        parser.error("--minutes takes a whole number from 1 to 60")
    try:
        from rich.console import Console
    except ImportError as error:
        print(
            f"demo: error: {error.name} is not installed; run `make demo`, which installs it", file=sys.stderr
        )
        return 2
    # The console owns the stream it writes to (today's sys.stdout), so it never follows
    # sys.stdout to the emulator's capture router. Wide enough for the summary table even when
    # output is piped (rich assumes 80 columns then).
    console = Console(file=sys.stdout, width=max(160, Console(file=sys.stdout).width))
    progress = _BoardProgress(console) if args.board and console.is_terminal else _ProgressAdapter(console)
    stderr = sys.stderr
    interrupted = _on_interrupt()
    try:
        return _demo(args, console, progress)
    except BaseException as error:
        # Ctrl-C can surface as another exception from jsii, whose node process got the same
        # SIGINT: once the signal was seen, anything that follows is the interruption.
        if not (isinstance(error, KeyboardInterrupt) or interrupted.is_set()):
            raise
        stopped = "; the emulator was stopped" if progress.emulator_was_started else ""
        print(f"demo: interrupted{stopped}", file=stderr)
        return 130


def _demo(args: argparse.Namespace, console: Any, progress: _ProgressAdapter) -> int:
    # Imported here, not at the top: it loads jsii, whose temporary files belong in run_cli's
    # scratch folder.
    from stacks.deployment_config import ConfigError

    try:
        with tempfile.TemporaryDirectory(prefix="highres-demo-", ignore_cleanup_errors=True) as outdir:
            console.print("synthesizing the CDK app (cdk-nag included) ...")
            synthesized = synthesize(Path(outdir), args.ec2_state_source)
            with progress.live(total=args.minutes * 60):
                result = run(args.minutes, synthesized, progress)
    except DemoError as error:
        print(f"demo: error: {error}", file=sys.stderr)
        return 2
    except (ImportError, FileNotFoundError) as error:
        print(f"demo: error: {error}; run `make demo` from the project folder", file=sys.stderr)
        return 2
    except ConfigError as error:
        print(f"demo: error: configuration: {error}", file=sys.stderr)
        return 2
    chart = None if args.no_chart else draw_chart(result, chart_path(args.output, result.start))
    report(result, chart, console)
    return 0 if all(status == "SUCCEEDED" for status in result.statuses) else 1


def chart_path(folder: Path, start: datetime) -> Path:
    """A file of its own per run, so demos run side by side never overwrite each other's chart."""
    return folder / f"metrics-{start:%Y%m%dT%H%M%SZ}-{os.getpid()}.png"


def _on_interrupt() -> threading.Event:
    """Remember that SIGINT arrived, quieten the threads still running, then raise
    KeyboardInterrupt as Python does by default.

    Ctrl-C reaches the whole process group: jsii's node process ends, and moto's execution
    threads go on for a moment and fail loudly. What they would print (moto's log records, jsii's
    stderr relay) is noise after the one line the demo owes the user, so logging is switched off
    and sys.stderr points at the null device; the demo writes its line to the stream it kept.
    """
    seen = threading.Event()

    def handle(signum: int, frame: Any) -> None:
        if not seen.is_set():
            seen.set()
            logging.disable(logging.CRITICAL)
            sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - stays open until the process exits
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handle)
    return seen


class _ProgressAdapter:
    """The demo's progress: rich's live bar on a terminal, a plain line every few seconds when
    piped (so a CI log or `| tee` shows it is alive), and scenario changes as log lines."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self.emulator_was_started = False
        self._bar: Any = None
        self._task: Any = None
        self._total = 0
        self._next_plain = 0.0

    @contextlib.contextmanager
    def live(self, total: int) -> Iterator[None]:
        self._total = total
        if not self.console.is_terminal:
            yield
            self.console.print(f"sampling {total}/{total} s")
            return
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("sampling"), BarColumn(), TextColumn("{task.completed:.0f}/{task.total:.0f} s"))
        # No stdout redirection: the bar is drawn on the console's own stream, and sys.stdout
        # stays what the emulator captured handler output from.
        with Progress(
            *columns,
            TimeRemainingColumn(),
            console=self.console,
            redirect_stdout=False,
            redirect_stderr=False,
        ) as bar:
            self._bar, self._task = bar, bar.add_task("run", total=total)
            try:
                yield
            finally:
                self._bar = None

    def emulator_started(self) -> None:
        self.emulator_was_started = True

    def attach(self, aws: Any, namespace: str) -> None:
        """The seeded emulator, for a progress display that reads from it (the board)."""

    def advance(self, completed: float) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=completed)
        elif completed >= self._next_plain and completed < self._total:
            self.console.print(f"sampling {self._next_plain:.0f}/{self._total} s")
            self._next_plain += PLAIN_PROGRESS_EVERY_S

    def log(self, text: str) -> None:
        self.console.print(text)


class _BoardProgress(_ProgressAdapter):
    """`--board`: the live board instead of the bar, refreshed from the emulator every few seconds
    (instance states from EC2, cluster counts from the one-second metrics in CloudWatch)."""

    REFRESH_S = 2.0

    def __init__(self, console: Any) -> None:
        from rich.console import Console

        super().__init__(console)
        # The terminal's own width (the demo's console is kept at 160 columns for its tables).
        self._terminal = Console(file=console.file)
        self._source: Any = None
        self._board: Any = None
        self._next_refresh = 0.0

    @contextlib.contextmanager
    def live(self, total: int) -> Iterator[None]:
        from rich.live import Live

        from ops.board.live import BoardRenderable
        from ops.board.view import Board

        self._total = total
        self._board = Board(self.REFRESH_S)
        with Live(
            BoardRenderable(self._board),
            console=self._terminal,
            refresh_per_second=4,
            redirect_stdout=False,
            redirect_stderr=False,
        ):
            yield
        self.console.print(f"sampling {total}/{total} s")

    def log(self, text: str) -> None:
        self._terminal.print(text)

    def attach(self, aws: Any, namespace: str) -> None:
        from ops.board.sources import EmulatorSource

        self._source = EmulatorSource(aws.client("ec2"), aws.client("cloudwatch"), namespace)

    def advance(self, completed: float) -> None:
        if self._source is None or self._board is None or time.monotonic() < self._next_refresh:
            return
        self._next_refresh = time.monotonic() + self.REFRESH_S
        self._board.update(self._source.fetch())


def run_cli() -> int:
    """`python -m local.demo`: `main` with every temporary file of the run (ours, jsii's, node's)
    in one scratch folder that goes when the process does, Ctrl-C included."""
    scratch = tempfile.mkdtemp(prefix="highres-demo-")
    os.environ["TMPDIR"] = tempfile.tempdir = scratch
    # Registered before jsii is imported, so it runs after jsii's own exit hooks.
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    code = main()
    if code == 130:
        # Skip interpreter teardown after Ctrl-C: jsii's exit hooks would talk to a node process
        # that the same SIGINT already ended, and print its traceback.
        shutil.rmtree(scratch, ignore_errors=True)
        sys.stdout.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(run_cli())
