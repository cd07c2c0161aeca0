"""One sample from start to summary, the same for every collector (`handle_sample` is the body of
each collector's handler).

Measure the delay, drop the sample if it is outside its period, otherwise collect within the
period's budget, add the health datums (SampleDelay, CollectorErrors, SamplesDropped), write
everything through the sink, and return the summary. Raise only when nothing but health could be
written, after writing it, so the state machine's Retry/Catch sees real failures.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aws_lambda_powertools import Logger

from collector_core.catalogue import (
    COLLECTOR,
    COLLECTOR_ERRORS,
    SAMPLE_DELAY,
    SAMPLES_DROPPED,
    Collector,
    MetricSpec,
)
from collector_core.datum import Datum, datum
from collector_core.faults import Budget, Faults
from collector_core.sample import Clock, Sample, outside_period
from collector_core.settings import Settings
from collector_core.sinks import Sink

# The collector's own logic: AWS calls within the budget, faults recorded, data datums returned.
Collect = Callable[[Budget, Faults], list[Datum]]


@dataclass(frozen=True, kw_only=True)
class SampleRuntime:
    """What every collector's container keeps between invocations: its settings and its sink; each
    collector's `Runtime` adds its clients and caches."""

    settings: Settings
    sink: Sink


R = TypeVar("R", bound=SampleRuntime)


@dataclass(frozen=True)
class Summary:
    emitted: int
    errors: list[str] = field(default_factory=list)
    dropped: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"emitted": self.emitted, "errors": list(self.errors), "dropped": self.dropped}


class SampleFailedError(Exception):
    """No metric could be collected or written: only health datums (if any) went out."""

    def __init__(self, sample: Sample, summary: Summary) -> None:
        errors = ", ".join(summary.errors)
        super().__init__(f"sample {sample.second.isoformat()} wrote no metrics: {errors}")
        self.summary = summary


def run_sample(
    sample: Sample,
    started: float,
    *,
    collector: Collector,
    settings: Settings,
    sink: Sink,
    collect: Collect,
    clock: Clock,
    logger: Logger | logging.Logger,
) -> Summary:
    """Run one sample that started (handler entry, wall clock) at `started`."""
    delay_ms = sample.delay_ms(started)
    if outside_period(delay_ms, settings.period_seconds):
        logger.warning(
            "sample dropped: outside its period",
            extra={
                "sample": sample.second.isoformat(),
                "delay_ms": delay_ms,
                "period_s": settings.period_seconds,
            },
        )
        dropped = health_datums(collector, (SAMPLES_DROPPED, 1), (SAMPLE_DELAY, delay_ms))
        written = sink.emit(dropped, sample.timestamp_ms)
        summary = Summary(written.emitted, list(written.errors), dropped=True)
        if written.emitted == 0 and written.errors:
            raise SampleFailedError(sample, summary)
        return summary

    faults = Faults(logger)
    data = collect(Budget(clock, started + settings.period_seconds), faults)
    health = health_datums(
        collector, (SAMPLE_DELAY, delay_ms), (COLLECTOR_ERRORS, len(faults)), (SAMPLES_DROPPED, 0)
    )
    written = sink.emit(data + health, sample.timestamp_ms)
    summary = Summary(written.emitted, faults.errors + list(written.errors))
    if summary.errors and (not data or written.emitted == 0):
        raise SampleFailedError(sample, summary)
    logger.debug("sample written", extra={"sample": sample.second.isoformat(), **summary.as_dict()})
    return summary


def handle_sample(
    event: dict[str, Any],
    runtime: Callable[[], R],
    collect: Callable[[R, Budget, Faults], list[Datum]],
    *,
    collector: Collector,
    clock: Clock,
    logger: Logger | logging.Logger,
) -> dict[str, Any]:
    """The body of every collector's handler: one sample of `event` with the container's runtime."""
    started = clock()  # before anything else (a cold start included): SampleDelay measures from here
    sample = Sample.from_event(event)
    rt = runtime()
    summary = run_sample(
        sample,
        started,
        collector=collector,
        settings=rt.settings,
        sink=rt.sink,
        collect=lambda budget, faults: collect(rt, budget, faults),
        clock=clock,
        logger=logger,
    )
    return summary.as_dict()


def health_datums(collector: Collector, *values: tuple[MetricSpec, float]) -> list[Datum]:
    return [datum(spec, value, **{COLLECTOR: collector.value}) for spec, value in values]
