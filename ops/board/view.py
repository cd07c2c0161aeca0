"""Drawing the board: a grid of instance cells at fixed positions, and the clusters' counts.

Colours are those of the desk-LED status board among this project's designs: stopped red, pending
green, running blue, stopping yellow. Each instance keeps its cell from the first refresh it was
seen in (new ones are appended), so a glance finds the same machine in the same place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from collector_core.prices import GET_METRIC_DATA_METRIC
from ops.board.sources import Snapshot

COLOURS = {
    "stopped": "red",
    "pending": "green",
    "running": "blue",
    "stopping": "yellow",
    "shutting-down": "magenta",
    "terminated": "bright_black",
}
CELL = "██"
CELL_WIDTH = len(CELL) + 1


def _lines(text: Text, width: int) -> int:
    return max(1, -(-len(text.plain) // max(1, width)))


@dataclass
class Board:
    """What has been seen so far: cell positions, and the GetMetricData bill of this session."""

    refresh_seconds: float
    positions: list[str] = field(default_factory=list)
    metrics_requested: int = 0
    refreshes: int = 0
    latest: Snapshot | None = None

    def update(self, snapshot: Snapshot) -> None:
        self.positions += [i for i in snapshot.instances if i not in self.positions]
        self.metrics_requested += snapshot.metrics_requested
        self.refreshes += 1
        self.latest = snapshot

    @property
    def cost_so_far(self) -> float:
        return self.metrics_requested * GET_METRIC_DATA_METRIC.usd

    @property
    def cost_per_hour(self) -> float:
        """What an hour of refreshes costs at the last refresh's metric count."""
        if self.latest is None:
            return 0.0
        return self.latest.metrics_requested * 3600 / self.refresh_seconds * GET_METRIC_DATA_METRIC.usd

    def render(self, width: int, height: int) -> RenderableType:
        """The whole board for a `width` x `height` terminal (80 x 24 and up; smaller is cut)."""
        snapshot = self.latest
        title = Text(f"highres-metrics board  refresh every {self.refresh_seconds:g} s", style="bold")
        if snapshot is None:
            return Group(title, Text("waiting for the first refresh ..."))
        title.append(f"  {snapshot.at:%H:%M:%S} UTC", style="dim")
        legend = Text()
        counts = {state: list(snapshot.instances.values()).count(state) for state in COLOURS}
        for state, colour in COLOURS.items():
            legend.append(CELL[0], style=colour)
            legend.append(f" {state} {counts[state]}  ")
        legend.rstrip()
        cost = Text(
            f"GetMetricData: {snapshot.metrics_requested} metrics/refresh, {self.metrics_requested} so far "
            f"(${self.cost_so_far:.4f}), ${self.cost_per_hour:.3f}/hour",
            style="dim",
        )
        # Title, the "not shown" line, the clusters' header, and the legend and cost lines as
        # they wrap at this width: what is left is shared by the grid and the cluster rows.
        more = Text(f"+{len(self.positions)} instances not shown (enlarge the terminal)")
        fixed = 1 + sum(_lines(text, width) for text in (title, legend, cost, more))
        columns = max(1, (width - 1) // CELL_WIDTH)
        left = max(2, height - fixed)
        cluster_rows = min(len(snapshot.clusters), max(1, left // 3))
        grid_rows = max(1, left - cluster_rows)
        shown = self.positions[: columns * grid_rows]
        rows = []
        for first in range(0, len(shown), columns):
            row = Text()
            for instance in shown[first : first + columns]:
                row.append(CELL, style=COLOURS.get(snapshot.instances.get(instance, "gone"), "white"))
                row.append(" ")
            row.rstrip()
            rows.append(row)
        if len(self.positions) > len(shown):
            rows.append(
                Text(f"+{len(self.positions) - len(shown)} instances not shown (enlarge the terminal)")
            )
        grid = Text("\n").join(rows)
        clusters = Table(box=None, pad_edge=False, show_edge=False)
        for column in ("cluster", "running", "pending"):
            clusters.add_column(
                column, justify="left" if column == "cluster" else "right", no_wrap=True, overflow="ellipsis"
            )
        for name, (running, pending) in sorted(snapshot.clusters.items())[:cluster_rows]:
            clusters.add_row(name, str(running), Text(str(pending), style="green" if pending else ""))
        return Group(title, grid if grid.plain else Text("no watched instance"), legend, clusters, cost)
