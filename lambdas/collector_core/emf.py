"""One sample's datums as EMF documents, in the fewest bytes the specification allows.

EMF log ingestion is the largest line of the pipeline's bill, so every byte counts. What the
CloudWatch "Specification: Embedded metric format" allows and this writer uses:

- one document may carry several MetricDirectives, each with its own dimension sets, so datums
  with different dimension keys (a cluster's counts, the collector's health, metrics with no
  dimension at all) share one document;
- a metric's target member may be a plain number (`3`) instead of an array (`[3.0]`);
- `Unit` is optional and absent means `None`, so it is written only for other units (the catalogue's
  units are kept: consumers that ask for a unit get nothing back for data stored under another).

What it must respect: a dimension key is one root member holding one string, so two values of the
same key (two clusters, two states) need two documents; a metric name is one root member, so it
appears once per document; a directive holds at most 100 metric definitions, a dimension set at
most 30 keys; a log event is at most 256 KB. Every directive names the namespace, every metric
definition `"StorageResolution":1`, every document the sample's timestamp.

Packing is first fit: datums with the same dimension values form a directive, and each directive
joins the first document whose root members it does not contradict. For this catalogue that is
one document per value of the most varied dimension key (one per cluster for ECS, one per state
for EC2/EBS), the least the specification allows.

Why not Powertools' EMF provider: it writes one directive per document, every value as a list and
a Unit on every metric, so one document more per sample and 5-10% more bytes (1,974 B against
1,856 B for three clusters); it stays for logging.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from collector_core.catalogue import STORAGE_RESOLUTION, Unit
from collector_core.datum import Datum

MAX_METRICS_PER_DIRECTIVE = 100
MAX_DIMENSIONS_PER_SET = 30
# A document is one CloudWatch Logs event: 256 KB in older versions of the specification, 1 MB in
# newer ones; the smaller, less the 26 bytes Logs counts per event, is safe either way.
MAX_DOCUMENT_BYTES = 256 * 1024 - 26
# `{"_aws":{"Timestamp":<13 digits>,"CloudWatchMetrics":[]}}` and the commas: a bound, not a count.
_HEAD_BYTES = 64

_SEPARATORS = (",", ":")


def _json(value: object) -> str:
    return json.dumps(value, separators=_SEPARATORS, ensure_ascii=False, allow_nan=False)


def number(value: float) -> str:
    """The shortest JSON number that reads back as `value`: `3` for 3.0, `0.25` for 0.25."""
    if not math.isfinite(value):
        raise ValueError(f"EMF values must be finite numbers, got {value!r}")
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


@dataclass
class _Document:
    """One document being packed: its root members (serialized `"key":value` pairs, with the
    dimension values and metric names they hold) and its serialized directives."""

    dimensions: dict[str, str] = field(default_factory=dict)
    metrics: set[str] = field(default_factory=set)
    directives: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    size: int = _HEAD_BYTES

    def may_take(self, names: frozenset[str], size: int) -> bool:
        """False once a name is taken (for good) or the size would pass the limit."""
        return self.size + size <= MAX_DOCUMENT_BYTES and not names & (self.metrics | self.dimensions.keys())

    def accepts(self, dimensions: tuple[tuple[str, str], ...], names: frozenset[str], size: int) -> bool:
        if not self.may_take(names, size):
            return False
        return all(
            self.dimensions.get(key, value) == value and key not in self.metrics for key, value in dimensions
        )

    def add(self, dimensions: tuple[tuple[str, str], ...], group: Sequence[Datum], directive: str) -> None:
        self.directives.append(directive)
        for key, value in dimensions:
            if key not in self.dimensions:
                self.dimensions[key] = value
                self.members.append(f"{_json(key)}:{_json(value)}")
        for d in group:
            self.metrics.add(d.spec.name)
            self.members.append(f"{_json(d.spec.name)}:{number(d.value)}")
        self.size += _size(dimensions, group, directive)

    def serialize(self, timestamp_ms: int) -> str:
        head = f'{{"_aws":{{"Timestamp":{timestamp_ms},"CloudWatchMetrics":[{",".join(self.directives)}]}}'
        return ",".join([head, *self.members]) + "}"


def _size(dimensions: tuple[tuple[str, str], ...], group: Sequence[Datum], directive: str) -> int:
    """Bytes a directive adds to a document at most (its dimension members counted as new)."""
    members = [f"{_json(k)}:{_json(v)}" for k, v in dimensions]
    members += [f"{_json(d.spec.name)}:{number(d.value)}" for d in group]
    return len(",".join([directive, *members]).encode()) + 2


def _definition(d: Datum) -> str:
    unit = "" if d.spec.unit is Unit.NONE else f',"Unit":{_json(d.spec.unit.value)}'
    return f'{{"Name":{_json(d.spec.name)}{unit},"StorageResolution":{STORAGE_RESOLUTION}}}'


def _directive(namespace: str, dimensions: tuple[tuple[str, str], ...], group: Sequence[Datum]) -> str:
    keys = _json([[key for key, _ in dimensions]])
    metrics = ",".join(_definition(d) for d in group)
    return f'{{"Namespace":{_json(namespace)},"Dimensions":{keys},"Metrics":[{metrics}]}}'


def directive_groups(datums: Sequence[Datum]) -> Iterator[tuple[tuple[tuple[str, str], ...], list[Datum]]]:
    """Datums with the same dimension values, first-seen order; a name repeated in one group, or
    more than 100 names, starts another group (a root member holds one value per document)."""
    groups: dict[tuple[tuple[str, str], ...], list[list[Datum]]] = {}
    for d in datums:
        if len(d.dimensions) > MAX_DIMENSIONS_PER_SET:
            raise ValueError(f"{d.spec.name}: more than {MAX_DIMENSIONS_PER_SET} dimensions")
        chain = groups.setdefault(d.dimensions, [[]])
        last = chain[-1]
        if len(last) == MAX_METRICS_PER_DIRECTIVE or any(x.spec.name == d.spec.name for x in last):
            chain.append(last := [])
        last.append(d)
    for dimensions, chain in groups.items():
        for group in chain:
            yield dimensions, group


def documents(datums: Sequence[Datum], namespace: str, timestamp_ms: int) -> list[str]:
    """The EMF log lines (compact JSON, one document each) that publish exactly `datums`."""
    packed: list[_Document] = []
    # Per set of metric names, the first document that may still take them: a document holding one
    # of the names never will, and one near its size limit hardly, so the search stays linear.
    first_open: dict[frozenset[str], int] = {}
    for dimensions, group in directive_groups(datums):
        directive = _directive(namespace, dimensions, group)
        names = frozenset(d.spec.name for d in group)
        size = _size(dimensions, group, directive)
        start = first_open.get(names, 0)
        while start < len(packed) and not packed[start].may_take(names, size):
            start += 1
        first_open[names] = start
        target = next(
            (packed[i] for i in range(start, len(packed)) if packed[i].accepts(dimensions, names, size)), None
        )
        if target is None:
            target = _Document()
            packed.append(target)
        target.add(dimensions, group, directive)
    return [doc.serialize(timestamp_ms) for doc in packed]
