"""The board as a person meets it: in a real (pseudo-)terminal of 80x24, resized, stopped with
Ctrl-C; and inside `make demo --board`. Each run is bounded: a hang fails instead of stalling."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.support.collectors import FAKE_AWS_ENV

REPO_ROOT = Path(__file__).resolve().parents[2]
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def _resize(fd: int, rows: int, columns: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


class Terminal:
    """A command on a pseudo-terminal of its own, in its own process group (which Ctrl-C reaches)."""

    def __init__(self, command: list[str], env: dict[str, str], rows: int = 24, columns: int = 80) -> None:
        self.leader, follower = pty.openpty()
        _resize(follower, rows, columns)
        self.process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env={**env, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(rows)},
            stdin=follower,
            stdout=follower,
            stderr=follower,
            start_new_session=True,
            close_fds=True,
        )
        os.close(follower)
        self.raw = b""

    @property
    def text(self) -> str:
        return _CONTROL.sub("\n", self.raw.decode("utf-8", "replace"))

    def read_until(self, done: Callable[[str], bool], bound_s: float) -> None:
        deadline = time.monotonic() + bound_s
        while not done(self.text):
            if time.monotonic() > deadline:
                raise AssertionError(f"not seen within {bound_s} s; last output:\n{self.text[-2000:]}")
            ready, _, _ = select.select([self.leader], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(self.leader, 65536)
                except OSError:
                    chunk = b""
                if not chunk and self.process.poll() is not None:
                    raise AssertionError(f"exited with {self.process.returncode}:\n{self.text[-2000:]}")
                self.raw += chunk

    def resize(self, rows: int, columns: int) -> None:
        _resize(self.leader, rows, columns)
        os.killpg(self.process.pid, signal.SIGWINCH)

    def finish(self, bound_s: float) -> int:
        try:
            self.read_until(lambda _: self.process.poll() is not None, bound_s)
        except AssertionError:
            if self.process.poll() is None:
                raise
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            try:
                while chunk := os.read(self.leader, 65536):
                    self.raw += chunk
            except OSError:
                pass
            os.close(self.leader)
        return self.process.returncode


@pytest.fixture
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _seed(endpoint: str) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=endpoint)
    now = datetime.now(UTC) - timedelta(seconds=2)
    data = [
        ("InstanceStateCode", {"InstanceId": f"i-{n:017x}"}, [16, 80, 0, 64][n % 4]) for n in range(40)
    ] + [("RunningTask", {"ClusterName": "web"}, 6), ("PendingTask", {"ClusterName": "web"}, 12)]
    for name, dims, value in data:
        cloudwatch.put_metric_data(
            Namespace="HighResMetrics",
            MetricData=[
                {
                    "MetricName": name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                    "Timestamp": now,
                    "Value": float(value),
                    "StorageResolution": 1,
                }
            ],
        )


def test_board_terminal_draws_survives_a_resize_and_stops_on_ctrl_c(moto_server: str) -> None:
    _seed(moto_server)
    env = {**os.environ, **FAKE_AWS_ENV, "AWS_ENDPOINT_URL": moto_server}
    terminal = Terminal([sys.executable, "tools/board.py", "--refresh", "1"], env)
    try:
        # when: the first frame, then a resize to a smaller and a larger terminal
        terminal.read_until(lambda t: "GetMetricData:" in t and "web" in t, bound_s=60)
        first = terminal.text
        terminal.resize(20, 60)
        terminal.read_until(lambda t: t.count("GetMetricData:") >= first.count("GetMetricData:") + 2, 30)
        terminal.resize(40, 120)
        terminal.read_until(lambda t: t.count("GetMetricData:") >= first.count("GetMetricData:") + 4, 30)
        os.killpg(terminal.process.pid, signal.SIGINT)
        code = terminal.finish(bound_s=30)
    finally:
        if terminal.process.poll() is None:
            terminal.finish(bound_s=1)
    # then
    assert code == 130
    assert "42 metrics/refresh" in first, "40 instances and one cluster's two counts, in one call"
    assert "running 10" in first and "stopped 10" in first and "pending 10" in first
    assert "Traceback" not in terminal.text
    assert [line for line in terminal.text.splitlines() if "board:" in line] == ["board: stopped"]


@pytest.mark.e2e
def test_board_terminal_runs_live_in_the_demo() -> None:
    terminal = Terminal([sys.executable, "-m", "local.demo", "--no-chart", "--board"], dict(os.environ))
    code = terminal.finish(bound_s=420)
    text = terminal.text
    assert code == 0, text[-3000:]
    assert "highres-metrics board" in text and "metrics/refresh" in text
    # The board's cluster table saw the demo's clusters and its instance legend counted them.
    assert re.search(r"web\s+\d+\s+\d+", text) and "running 5" in text
    assert "samples written:" in text and "Traceback" not in text
