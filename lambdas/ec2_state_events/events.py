"""Parse the two EventBridge events that carry EC2/EBS state into one record each.

Shapes (AWS documentation):
- "EC2 Instance State-change Notification", source aws.ec2: `detail.instance-id`, `detail.state`
  (pending, running, stopping, stopped, shutting-down, terminated); the top-level `time` is when
  the change happened, to the second.
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html
- "EBS Volume Notification", source aws.ec2: `detail.event` (createVolume, deleteVolume,
  attachVolume, detachVolume) and `detail.result` (available, deleted, attached, failed...); the
  volume is named only by the ARN in `resources`.
  https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html

An event this module cannot place (a failed result, an event name it does not know, no resource)
is `None`: it changes no state, so the caller acknowledges it and the reconcile job has the last word.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from collector_core.catalogue import INSTANCE_STATES, VOLUME_STATES
from collector_core.state_table import Kind

INSTANCE_DETAIL_TYPE = "EC2 Instance State-change Notification"
VOLUME_DETAIL_TYPE = "EBS Volume Notification"
SOURCE = "aws.ec2"

# A resource the reconcile job no longer finds in the listing: counted in no state. Terminated
# instances stay in DescribeInstanceStatus for about an hour and deleted volumes briefly, then go.
GONE = "gone"

# (event, result) of a volume notification -> the volume state it leaves. A failed create leaves no
# volume; a failed attach/detach/delete leaves the state unknown here (the reconcile repairs it).
VOLUME_RESULTS: dict[tuple[str, str], str] = {
    ("createVolume", "available"): "available",
    ("createVolume", "failed"): GONE,
    ("deleteVolume", "deleted"): "deleted",
    ("attachVolume", "attached"): "in-use",
    ("detachVolume", "available"): "available",
}


STATES: dict[Kind, tuple[str, ...]] = {Kind.INSTANCE: INSTANCE_STATES, Kind.VOLUME: VOLUME_STATES}
# Tie-break between two events of the same second (EventBridge `time` has one-second resolution):
# the later step of the usual life cycle wins. pending -> running -> stopping -> stopped, and
# -> shutting-down -> terminated; creating -> available -> in-use, -> deleting -> deleted.
# A cycle that comes back within one second (attach then detach) is ambiguous: the reconcile fixes it.
_RANK: dict[Kind, tuple[str, ...]] = {
    Kind.INSTANCE: ("pending", "running", "stopping", "stopped", "shutting-down", "terminated"),
    Kind.VOLUME: ("creating", "available", "in-use", "deleting", "deleted", "error"),
}
RANKS = 10  # order = seconds * RANKS + rank; a rank is below RANKS - 1 (the reconcile uses -1)


def rank(kind: Kind, state: str) -> int:
    """The tie-break rank of `state` (GONE ranks highest: nothing follows the end)."""
    ranked = _RANK[kind]
    return ranked.index(state) if state in ranked else RANKS - 2


def order_of(kind: Kind, state: str, seconds: int) -> int:
    """One number that sorts the changes of one resource: time first, then life-cycle rank."""
    return seconds * RANKS + rank(kind, state)


@dataclass(frozen=True)
class StateEvent:
    """One state change of one resource, as the store applies it."""

    kind: Kind
    resource_id: str
    state: str
    seconds: int  # epoch seconds of the change (the event's `time`)
    event_id: str = ""

    @property
    def order(self) -> int:
        return order_of(self.kind, self.state, self.seconds)


def parse_event(event: Mapping[str, Any]) -> StateEvent | None:
    """The state change an EventBridge event carries, or None when it carries none this store keeps."""
    detail = event.get("detail")
    if event.get("source") != SOURCE or not isinstance(detail, Mapping):
        return None
    seconds = _epoch_seconds(event.get("time"))
    if seconds is None:
        return None
    event_id = str(event.get("id") or "")
    if event.get("detail-type") == INSTANCE_DETAIL_TYPE:
        instance_id, state = detail.get("instance-id"), detail.get("state")
        if isinstance(instance_id, str) and state in INSTANCE_STATES:
            return StateEvent(Kind.INSTANCE, instance_id, str(state), seconds, event_id)
        return None
    if event.get("detail-type") == VOLUME_DETAIL_TYPE:
        state = VOLUME_RESULTS.get((str(detail.get("event")), str(detail.get("result"))))
        volume_id = _volume_id(event.get("resources"))
        if state is not None and volume_id is not None:
            return StateEvent(Kind.VOLUME, volume_id, state, seconds, event_id)
    return None


def _epoch_seconds(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def _volume_id(resources: object) -> str | None:
    """`arn:aws:ec2:region:account:volume/vol-...` -> `vol-...`."""
    if not isinstance(resources, list):
        return None
    for arn in resources:
        if isinstance(arn, str) and ":volume/" in arn:
            return arn.rsplit("/", 1)[-1]
    return None
