"""The sample's second from the event, and the delay that decides whether it is dropped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from collector_core.sample import EventError, Sample, outside_period


def test_sample_second_is_time_plus_offset() -> None:
    sample = Sample.from_event({"time": "2026-11-22T02:15:00Z", "offset": 37})

    assert sample.second == datetime(2026, 11, 22, 2, 15, 37, tzinfo=UTC)
    assert sample.timestamp_ms == int(datetime(2026, 11, 22, 2, 15, 37, tzinfo=UTC).timestamp()) * 1000


def test_sample_offset_defaults_to_zero_and_accepts_integral_floats() -> None:
    assert Sample.from_event({"time": "2026-11-22T02:15:00Z"}).second.second == 0
    assert Sample.from_event({"time": "2026-11-22T02:15:00+00:00", "offset": 5.0}).second.second == 5


@pytest.mark.parametrize(
    "event",
    [
        None,
        [],
        {},
        {"time": 1763777700},
        {"time": "yesterday"},
        {"time": "2026-11-22T02:15:00"},
        {"time": "2026-11-22T03:15:00+01:00"},
        {"time": "2026-11-22T02:15:00.500Z"},
        {"time": "2026-11-22T02:15:00Z", "offset": 60},
        {"time": "2026-11-22T02:15:00Z", "offset": -1},
        {"time": "2026-11-22T02:15:00Z", "offset": 1.5},
        {"time": "2026-11-22T02:15:00Z", "offset": "5"},
        {"time": "2026-11-22T02:15:00Z", "offset": True},
    ],
)
def test_sample_rejects_events_outside_the_contract(event: Any) -> None:
    with pytest.raises(EventError):
        Sample.from_event(event)


def test_sample_delay_is_milliseconds_after_the_second() -> None:
    sample = Sample.from_event({"time": "2026-11-22T02:15:00Z", "offset": 10})
    second = sample.second.timestamp()

    assert sample.delay_ms(second + 0.2504) == 250
    assert sample.delay_ms(second - 0.1) == -100


@pytest.mark.parametrize(
    ("delay_ms", "period", "dropped"),
    [(0, 1, False), (1000, 1, False), (1001, 1, True), (4999, 5, False), (5001, 5, True), (-1001, 1, True)],
)
def test_sample_outside_period_only_beyond_one_period(delay_ms: int, period: int, dropped: bool) -> None:
    assert outside_period(delay_ms, period) is dropped
