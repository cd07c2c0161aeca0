"""Run the whole pipeline locally for a real minute, on the embedded AWS emulator.

Usage:
    python -m local.demo [--minutes N] [--output DIR] [--no-chart] [--board]
    python -m local.demo --organization N [--minutes N]

It synthesizes the CDK app (the same code path as `cdk synth`), deploys what the template holds
into moto (the sampler ASL, the collector functions with their handlers and environments, the
alarms), seeds an account with ECS clusters, instances, volumes and snapshots, and starts one
sampler execution per minute with the input the schedule rule gives. A scripted scenario changes
the account while it runs. Then it reads the one-second metrics back from the emulated CloudWatch,
prints a summary, draws a chart, and says which of the stack's alarms would have gone into ALARM.

`--organization N` runs the same pipeline in the N member accounts of an emulated organization
and shows the monitoring account's view of all of them (`local.demo_organization`, shown by
`local.demo_org_report`).

This module is the command: its arguments, the progress display (a bar, plain lines or the live
board) and Ctrl-C. The run itself is `local.demo_run`; what it shows, `local.demo_report`.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from local.demo_organization import MAX_MEMBERS
from local.demo_report import draw_chart, report
from local.demo_run import DemoError, run, synthesize
from synthesis.toolchain import prefer_venv_node

prefer_venv_node()

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "out" / "demo"
# A plain progress line this often when the output is not a terminal (a CI log, `| tee`).
PLAIN_PROGRESS_EVERY_S = 10


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
    parser.add_argument(
        "--organization",
        type=int,
        metavar="N",
        help=f"an organization of N member accounts (1 to {MAX_MEMBERS}) and a monitoring account",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.minutes <= 60:
        parser.error("--minutes takes a whole number from 1 to 60")
    if args.organization is not None and (problem := _organization_problem(args)):
        print(f"demo: error: --organization: {problem}", file=sys.stderr)
        return 2
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


def _organization_problem(args: argparse.Namespace) -> str | None:
    """Why `--organization` cannot run with these arguments, or None."""
    if not 1 <= args.organization <= MAX_MEMBERS:
        return f"takes a whole number of member accounts from 1 to {MAX_MEMBERS}, not {args.organization}"
    if args.board:
        return "shows the monitoring account's view after the run; --board is not supported with it"
    if args.ec2_state_source != "poll":
        return "runs the members in poll mode only; --ec2-state-source events is not supported with it"
    return None


def _demo(args: argparse.Namespace, console: Any, progress: _ProgressAdapter) -> int:
    # Imported here, not at the top: it loads jsii, whose temporary files belong in run_cli's
    # scratch folder.
    from stacks.deployment_config import ConfigError

    if args.organization is not None:
        return _organization_demo(args, console, progress)
    try:
        with tempfile.TemporaryDirectory(prefix="highres-demo-", ignore_cleanup_errors=True) as outdir:
            console.print("synthesizing the CDK app (cdk-nag included) ...")
            synthesized = synthesize(Path(outdir), args.ec2_state_source)
            with progress.live(total=args.minutes * 60):
                result = run(args.minutes, synthesized, progress)
    except (DemoError, ImportError, FileNotFoundError, ConfigError) as error:
        return _error_exit(error)
    chart = None if args.no_chart else draw_chart(result, chart_path(args.output, result.start))
    report(result, chart, console)
    return 0 if all(status == "SUCCEEDED" for status in result.statuses) else 1


def _organization_demo(args: argparse.Namespace, console: Any, progress: _ProgressAdapter) -> int:
    from local.demo_org_report import report_organization
    from local.demo_organization import run_organization
    from stacks.deployment_config import ConfigError

    try:
        with (
            tempfile.TemporaryDirectory(prefix="highres-demo-", ignore_cleanup_errors=True) as outdir,
            progress.live(total=args.minutes * 60),
        ):
            result = run_organization(args.organization, args.minutes, Path(outdir), progress)
    except (DemoError, ImportError, FileNotFoundError, ConfigError) as error:
        return _error_exit(error)
    report_organization(result, console)
    statuses = [status for member in result.statuses.values() for status in member]
    return 0 if all(status == "SUCCEEDED" for status in statuses) else 1


def _error_exit(error: Exception) -> int:
    """The one line a failed run prints (what to do, where it is known), and its exit code."""
    if isinstance(error, DemoError):
        text = str(error)
    elif isinstance(error, ImportError | FileNotFoundError):
        text = f"{error}; run `make demo` from the project folder"
    else:
        text = f"configuration: {error}"
    print(f"demo: error: {text}", file=sys.stderr)
    return 2


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
