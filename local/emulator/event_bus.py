"""The event bus moto lacks: EventBridge never matches events in moto, never fires a rule by
itself, and its EC2 emits no events.

- State events (events mode): `EventBus.publish` queues an EC2/EBS state event for delivery at a
  given time and `EventBus.take_due` hands back each one that is due, as a rule target gets them
  (asynchronously, at least once, unordered: the caller chooses the times, so a duplicate or a
  late event is just another entry).
- The snapshot rule: `matches` applies a synthesized rule's pattern to an event and `transform` its
  input transformer, as EventBridge would.
"""

from __future__ import annotations

import json
import threading
from typing import Any


class EventBus:
    """Events waiting for delivery, ordered by delivery time, and those delivered so far."""

    def __init__(self) -> None:
        # (delivery time, sequence, event) waiting for the event function.
        self._pending: list[tuple[float, int, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self.delivered: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any], deliver_at: float) -> None:
        """Queue `event` for delivery at wall time `deliver_at`."""
        with self._lock:
            self._pending.append((deliver_at, len(self.delivered) + len(self._pending), event))
            self._pending.sort(key=lambda item: item[:2])

    def take_due(self, now: float) -> list[dict[str, Any]]:
        """Every queued event whose time has come, in delivery order, no longer queued."""
        with self._lock:
            due = [item for item in self._pending if item[0] <= now]
            self._pending = [item for item in self._pending if item[0] > now]
        return [event for _, _, event in due]


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """EventBridge's matching for the pattern shapes this stack uses: every key of the pattern must
    be in the event; a list holds the values allowed; a nested object matches the nested field;
    `[{"exists": false}]` matches a field the event does not have."""
    for key, wanted in pattern.items():
        if wanted == [{"exists": False}]:
            if key in event:
                return False
            continue
        if key not in event:
            return False
        if isinstance(wanted, dict):
            if not isinstance(event[key], dict) or not matches(wanted, event[key]):
                return False
        elif event[key] not in wanted:
            return False
    return True


def transform(template: str, paths: dict[str, str], event: dict[str, Any]) -> str:
    """An input transformer: each `<name>` replaced by the value at its `$.a.b` path. A template
    that is a quoted string gives that string's text (EventBridge inserts values unquoted in it)."""
    text = template
    for name, path in paths.items():
        value: Any = event
        for part in path.removeprefix("$.").split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        text = text.replace(
            f"<{name}>", json.dumps(value)[1:-1] if isinstance(value, str) else json.dumps(value)
        )
    if text.startswith('"') and text.endswith('"'):
        decoded: str = json.loads(text)
        return decoded
    return text


def rule_message(rule: dict[str, Any] | None, event: dict[str, Any]) -> str | None:
    """What a rule with an input transformer delivers for `event`: None if it does not match."""
    if rule is None or not matches(rule["pattern"], event):
        return None
    return transform(rule["input_template"], rule["input_paths"], event)
