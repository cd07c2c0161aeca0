"""A datum: one value of one catalogue metric with its dimension values, before any sink sees it.

Both sinks write exactly these, so the catalogue's dimension names are checked once, here: a
collector cannot publish a metric under a dimension set that no alarm or dashboard expects.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector_core.catalogue import MetricSpec


@dataclass(frozen=True, slots=True)
class Datum:
    spec: MetricSpec
    value: float
    # (name, value) pairs in the catalogue's order of dimension names.
    dimensions: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        names = tuple(name for name, _ in self.dimensions)
        if names != self.spec.dimensions:
            raise ValueError(f"{self.spec.name} takes dimensions {self.spec.dimensions}, got {names}")
        if any(not value for _, value in self.dimensions):
            raise ValueError(f"{self.spec.name}: empty dimension value in {self.dimensions}")


def datum(spec: MetricSpec, value: float, **dimensions: str) -> Datum:
    """`datum(RUNNING_TASK, 3, ClusterName="web")`, dimensions ordered as the catalogue orders them."""
    ordered = tuple((name, dimensions[name]) for name in spec.dimensions if name in dimensions)
    if len(ordered) != len(dimensions):
        raise ValueError(f"{spec.name} takes dimensions {spec.dimensions}, got {tuple(dimensions)}")
    return Datum(spec, float(value), ordered)
