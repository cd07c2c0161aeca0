"""The refresh loop: fetch, draw at the terminal's current size, sleep; Ctrl-C ends it.

rich's Live redraws at the size the terminal has at each refresh, so a resize only changes the
next frame. The console writes to the stream it was given and Live redirects nothing: the demo's
emulator captures handler output through sys.stdout, which must stay as it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console, RenderableType
from rich.live import Live

from ops.board.sources import Source
from ops.board.view import Board


class BoardRenderable:
    """Rendered afresh each frame at the console's size (resizes included)."""

    def __init__(self, board: Board) -> None:
        self.board = board

    def __rich_console__(self, console: Console, options: Any) -> Any:
        yield self.board.render(options.max_width, console.size.height)


def run_board(
    source: Source,
    console: Console,
    *,
    refresh_seconds: float,
    until: Callable[[], bool] = lambda: False,
    on_refresh: Callable[[Board], None] | None = None,
) -> Board:
    """Refresh every `refresh_seconds` until `until()` or Ctrl-C (KeyboardInterrupt propagates)."""
    board = Board(refresh_seconds)
    with Live(
        BoardRenderable(board),
        console=console,
        refresh_per_second=4,
        redirect_stdout=False,
        redirect_stderr=False,
        transient=False,
    ):
        while not until():
            board.update(source.fetch())
            if on_refresh:
                on_refresh(board)
            deadline = time.monotonic() + refresh_seconds
            while time.monotonic() < deadline and not until():
                time.sleep(0.1)
    return board


def frame(board: Board, width: int, height: int) -> RenderableType:
    """One frame as a test or a non-terminal caller draws it."""
    return board.render(width, height)
