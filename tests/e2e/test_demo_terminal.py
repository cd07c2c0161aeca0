"""End to end: `make demo` as a person meets it, in a terminal, piped, and stopped with Ctrl-C.

A live display behaves differently on a TTY (rich swaps sys.stdout for its own proxy there), and
once that made the demo hang at `sampling 0/60 s` while every piped run passed. So the demo runs
here as a subprocess under a pseudo-terminal, next to a piped run, and the two must print the same
results. Each run is bounded; a hang fails the test instead of stalling the suite.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from collector_core.catalogue import ALL_METRICS, SAMPLE_DELAY, SAMPLES_DROPPED

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = [sys.executable, "-m", "local.demo", "--no-chart"]
# A demo minute takes about 75 s on this 2-core machine; the bound only stops a hang.
RUN_BOUND_S = 420
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # colours and styles: inside a line
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")  # cursor moves: new line
_BOX = re.compile(r"[│┃┏┓┗┛┡┩┢┪╇╈┳┻━─┼┬┴┌┐└┘├┤╭╮╯╰]")


@dataclass
class Finished:
    code: int
    output: str  # terminal control sequences removed
    scratch: Path


def _environment(scratch: Path) -> dict[str, str]:
    env = {**os.environ, "TMPDIR": str(scratch), "COLUMNS": "200", "LINES": "50", "TERM": "xterm-256color"}
    env.pop("CI", None)
    return env


def run_in_terminal(scratch: Path, when: Callable[[str], bool] | None = None) -> Finished:
    """Run the demo on a pseudo-terminal (its stdin, stdout and stderr); send Ctrl-C, as the
    terminal would, once `when(output so far)` is true."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        DEMO,
        cwd=REPO_ROOT,
        env=_environment(scratch),
        stdin=follower,
        stdout=follower,
        stderr=follower,
        start_new_session=True,  # its own process group, which Ctrl-C reaches as a whole
        close_fds=True,
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + RUN_BOUND_S
    interrupted = False
    try:
        for chunk in _read_until_closed(leader, deadline):
            chunks.append(chunk)
            if when and not interrupted and when(_plain(b"".join(chunks))):
                os.killpg(process.pid, signal.SIGINT)
                interrupted = True
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(leader)
    return Finished(code, _plain(b"".join(chunks)), scratch)


def _read_until_closed(fd: int, deadline: float) -> Iterator[bytes]:
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the terminal closed: every process holding it has exited
            return
        if not chunk:
            return
        yield chunk
    raise AssertionError(f"the demo did not finish within {RUN_BOUND_S} s on a terminal")


def run_piped(scratch: Path) -> Finished:
    done = subprocess.run(
        DEMO,
        cwd=REPO_ROOT,
        env=_environment(scratch),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_BOUND_S,
        check=False,
    )
    return Finished(done.returncode, done.stdout + done.stderr, scratch)


def _plain(raw: bytes) -> str:
    return _CONTROL.sub("\n", _COLOUR.sub("", raw.decode("utf-8", "replace")))


_MACHINE_METRICS = {SAMPLE_DELAY.name, SAMPLES_DROPPED.name}


def metric_rows(output: str) -> set[tuple[str, ...]]:
    """(metric, dimensions, min, max, last) of each row of the summary table, borders or not.
    Sample counts and the values of SampleDelay and SamplesDropped are left out: they measure
    the machine, not the account, and a loaded machine may drop a sample in one run and not in
    the other."""
    names = {spec.name for spec in ALL_METRICS}
    rows: set[tuple[str, ...]] = set()
    for line in output.splitlines():
        cells = _BOX.sub(" ", line).split()
        if len(cells) >= 6 and cells[0] in names and cells[2].isdigit():
            values = ("-",) * 3 if cells[0] in _MACHINE_METRICS else tuple(cells[3:6])
            rows.add((cells[0], cells[1], *values))
    return rows


def alarm_states(output: str) -> set[tuple[str, str]]:
    states = set()
    for line in output.splitlines():
        cells = _BOX.sub(" ", line).split()
        if len(cells) >= 2 and re.match(r"^(Ecs|Ec2|Ebs|Pipeline)[A-Za-z]+", cells[0]):
            states.add((cells[0], "ALARM" if "ALARM" in cells else "OK" if "OK" in cells else "other"))
    return states


@pytest.fixture(scope="module")
def both_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Finished, Finished]:
    with ThreadPoolExecutor(2) as pool:
        terminal = pool.submit(run_in_terminal, tmp_path_factory.mktemp("terminal"))
        piped = pool.submit(run_piped, tmp_path_factory.mktemp("piped"))
        return terminal.result(), piped.result()


def test_e2e_demo_terminal_finishes_and_shows_progress(both_runs: tuple[Finished, Finished]) -> None:
    terminal, _ = both_runs
    assert terminal.code == 0, terminal.output[-3000:]
    seconds = [int(s) for s in re.findall(r"sampling\D*?(\d+)/60 s", terminal.output)]
    assert seconds and seconds[-1] > seconds[0], "the progress bar never advanced"
    assert "executions: SUCCEEDED" in terminal.output


def test_e2e_demo_terminal_prints_what_the_piped_run_prints(both_runs: tuple[Finished, Finished]) -> None:
    terminal, piped = both_runs
    assert piped.code == 0, piped.output[-3000:]
    rows = metric_rows(piped.output)
    assert len(rows) >= 20, piped.output[-3000:]
    assert metric_rows(terminal.output) == rows
    assert alarm_states(terminal.output) == alarm_states(piped.output) != set()


def test_e2e_demo_piped_says_it_is_alive(both_runs: tuple[Finished, Finished]) -> None:
    _, piped = both_runs
    progress = [int(s) for s in re.findall(r"^sampling (\d+)/60 s$", piped.output, re.MULTILINE)]
    assert progress[:3] == [0, 10, 20] and progress[-1] == 60


def test_e2e_demo_leaves_no_temporary_files(both_runs: tuple[Finished, Finished]) -> None:
    for finished in both_runs:
        assert list(finished.scratch.iterdir()) == []


def test_e2e_demo_ctrl_c_while_sampling_ends_with_one_line(tmp_path: Path) -> None:
    # given a demo that has started sampling
    # when Ctrl-C arrives
    finished = run_in_terminal(tmp_path, when=lambda out: "second 20:" in out)
    # then one line, exit 130, nothing left behind
    assert finished.code == 130
    last_lines = [line for line in finished.output.splitlines() if line.strip()][-1:]
    assert last_lines == ["demo: interrupted; the emulator was stopped"], finished.output[-3000:]
    assert "Traceback" not in finished.output and "Error" not in finished.output
    assert list(tmp_path.iterdir()) == []
