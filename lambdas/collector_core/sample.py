"""One sample: the second it describes, derived from the state machine's event, and its lateness.

The event is `{"time": "<ISO-8601 UTC>", "offset": <seconds>}`: `time` is the scheduled minute (the
EventBridge event's `time`), the sample's second is `time + offset`. Every datum of the sample is
stamped with that second, whenever the invocation actually ran.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# Wall-clock seconds since the epoch (time.time); injected so tests and benchmarks control time.
Clock = Callable[[], float]

MAX_OFFSET_SECONDS = 59


class EventError(ValueError):
    """The invocation event does not follow the collector contract."""


@dataclass(frozen=True)
class Sample:
    """The whole UTC second a sample describes."""

    second: datetime

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Sample:
        if not isinstance(event, Mapping):
            raise EventError(f"event must be an object with 'time' and 'offset', got {type(event).__name__}")
        return cls(_scheduled_time(event.get("time")) + timedelta(seconds=_offset(event.get("offset", 0))))

    @property
    def timestamp_ms(self) -> int:
        """Epoch milliseconds of the second: the timestamp of every datum of the sample."""
        return int(self.second.timestamp()) * 1000

    def delay_ms(self, started: float) -> int:
        """Milliseconds from the sample's second to `started` (negative when the call came early)."""
        return round((started - self.second.timestamp()) * 1000)


def outside_period(delay_ms: int, period_seconds: int) -> bool:
    """True when a sample started more than one period after (or before) its second.

    Its data would describe another second than the one it would be stamped with, so it is
    dropped and counted instead of written.
    """
    return abs(delay_ms) > period_seconds * 1000


def _scheduled_time(raw: object) -> datetime:
    if not isinstance(raw, str):
        raise EventError(f"event 'time' must be an ISO-8601 UTC string, got {raw!r}")
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise EventError(f"event 'time' is not ISO-8601: {raw!r}") from None
    if parsed.tzinfo is None or parsed.utcoffset() != timedelta(0):
        raise EventError(f"event 'time' must be UTC (end in Z or +00:00): {raw!r}")
    if parsed.microsecond:
        raise EventError(f"event 'time' must be a whole second: {raw!r}")
    return parsed.astimezone(UTC)


def _offset(raw: object) -> int:
    message = f"event 'offset' must be whole seconds 0..{MAX_OFFSET_SECONDS}, got {raw!r}"
    # JSONata arithmetic in the state machine may hand over 5.0 for 5: accept integral floats.
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not float(raw).is_integer():
        raise EventError(message)
    if not 0 <= raw <= MAX_OFFSET_SECONDS:
        raise EventError(message)
    return int(raw)
