"""A live board of the one-second metrics: one cell per watched instance, each cluster's counts.

Usage:
    python tools/board.py [--namespace HighResMetrics] [--region eu-west-1] [--refresh 5] [--all-accounts]
    make demo DEMO_ARGS=--board        # the same board on the embedded emulator, live

Cells keep their place and take the colour of the instance's state (stopped red, pending green,
running blue, stopping yellow); instances are those in `watchInstanceIds` (their
InstanceStateCode metric). Clusters show running and pending tasks. Each refresh is one batched
GetMetricData call (500 metrics a call), which CloudWatch bills per metric requested: the bottom
line says what the session has cost and what an hour costs at this rate. Ctrl-C ends it (exit 130).
In an organization's monitoring account `--all-accounts` shows every linked member's clusters and
instances, each cluster named with its account.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

MIN_REFRESH_S = 1.0
# Re-list instances and clusters this often (new clusters appear without a restart).
DISCOVER_EVERY = 12


@contextlib.contextmanager
def _stop_on_ctrl_c() -> Iterator[threading.Event]:
    """Ctrl-C sets the event instead of raising: the refresh loop ends between two frames and
    rich's live display closes normally. A KeyboardInterrupt raised at an arbitrary point (inside
    rich's refresh while it holds its lock) could leave the process drawing and never exit."""
    stopped = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stopped.set())
    try:
        yield stopped
    finally:
        signal.signal(signal.SIGINT, previous)


def main(argv: list[str] | None = None, cloudwatch: Any = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/board.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--namespace", default="HighResMetrics", help="the stack's metric namespace")
    parser.add_argument("--region", help="the stack's region (default: the AWS CLI's)")
    parser.add_argument("--refresh", type=float, default=5.0, help="seconds between refreshes (default 5)")
    parser.add_argument(
        "--all-accounts",
        action="store_true",
        help="in an organization's monitoring account: every linked account's clusters and instances",
    )
    args = parser.parse_args(argv)
    if args.refresh < MIN_REFRESH_S:
        parser.error(f"--refresh takes at least {MIN_REFRESH_S:g} s (the data is one-second)")
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError
    from rich.console import Console

    from ops.board.live import run_board
    from ops.board.sources import CloudWatchSource
    from ops.doctor.clients import CLIENT_CONFIG

    console = Console(file=sys.stdout)
    try:
        client = cloudwatch or boto3.client("cloudwatch", region_name=args.region, config=CLIENT_CONFIG)
        source = CloudWatchSource(client, args.namespace, all_accounts=args.all_accounts)
        source.discover()
        refreshes = 0

        def rediscover(_: Any) -> None:
            nonlocal refreshes
            refreshes += 1
            if refreshes % DISCOVER_EVERY == 0:
                source.discover()

        with _stop_on_ctrl_c() as stopped:
            run_board(
                source, console, refresh_seconds=args.refresh, until=stopped.is_set, on_refresh=rediscover
            )
    except KeyboardInterrupt:  # Ctrl-C before the board was up
        print("board: stopped", file=sys.stderr)
        return 130
    except (BotoCoreError, ClientError) as error:
        print(f"board: error: {error}", file=sys.stderr)
        return 2
    # The board runs until Ctrl-C: reaching here is that.
    print("board: stopped", file=sys.stderr)
    return 130


if __name__ == "__main__":
    sys.exit(main())
