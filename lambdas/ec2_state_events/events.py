"""Parse the EventBridge events that carry EC2/EBS state into one record each.

Shapes (AWS documentation; recorded copies with their pages in tests/fixtures/aws_events/):
- "EC2 Instance State-change Notification", source aws.ec2: `detail.instance-id`, `detail.state`
  (pending, running, stopping, stopped, shutting-down, terminated); the top-level `time` is when
  the change happened, to the second.
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html
- "EBS Volume Notification", source aws.ec2, `detail.event` and `detail.result`; the volume is named
  only by the ARN in `resources`. AWS documents, for volume states, createVolume (available or
  failed) and deleteVolume (deleted) when the action completes, and attachVolume / reattachVolume
  with an example only of a *failed* attach (an invalid KMS key). No successful attach or detach
  notification is documented: the page's detachVolume section shows an "AWS API Call via
  CloudTrail" event instead. https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html
- "AWS API Call via CloudTrail", source aws.ec2, `detail.eventSource` ec2.amazonaws.com and
  `detail.eventName` CreateVolume, DeleteVolume, AttachVolume, DetachVolume: the API call itself,
  delivered only where a CloudTrail trail logs management events, on a best-effort basis
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html).
  A call that failed carries `errorCode` (and `responseElements` null): it changed nothing.

An event this module cannot place (a failed result or call, an event name it does not know, no
usable resource id) is an `Ignored` with its reason: it changes no state, so the caller acknowledges
it and the reconcile job has the last word.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from collector_core.catalogue import INSTANCE_STATES, VOLUME_STATES
from collector_core.state_table import Kind

INSTANCE_DETAIL_TYPE = "EC2 Instance State-change Notification"
VOLUME_DETAIL_TYPE = "EBS Volume Notification"
API_CALL_DETAIL_TYPE = "AWS API Call via CloudTrail"
SOURCE = "aws.ec2"
EC2_EVENT_SOURCE = "ec2.amazonaws.com"

# A resource the reconcile job no longer finds in the listing: counted in no state. Terminated
# instances stay in DescribeInstanceStatus for about an hour and deleted volumes briefly, then go.
GONE = "gone"

# (event, result) of a documented volume notification -> the volume state it leaves. A failed create
# leaves no volume. A failed attach or reattach leaves the volume as it was (not mapped). There is no
# ("attachVolume", "attached") or ("detachVolume", ...) entry: AWS documents no such notification,
# the CloudTrail calls below carry those changes.
VOLUME_RESULTS: dict[tuple[str, str], str] = {
    ("createVolume", "available"): "available",
    ("createVolume", "failed"): GONE,
    ("deleteVolume", "deleted"): "deleted",
}
VOLUME_NOTIFICATIONS = sorted({event for event, _ in VOLUME_RESULTS})

# A successful EC2 API call -> the volume state it leaves, read from DescribeVolumes' `State`
# (creating | available | in-use | deleting | deleted | error), not from the call's response:
# - CreateVolume answers status "creating": the volume exists and is creating; the createVolume
#   notification (available) follows when it completes.
# - DeleteVolume answers `_return: true`: the volume is deleting; deleteVolume (deleted) follows.
# - AttachVolume answers status "attaching", an *attachment* state: the volume's own state is
#   already in-use while its attachment is attaching (and stays in-use once attached), so in-use.
# - DetachVolume answers status "detaching": the volume stays in-use until the detach completes and
#   then becomes available, and that completion sends no event. Storing in-use would keep a
#   detached volume counted in-use until the next reconcile; storing available is early by the
#   detach's duration (seconds, usually). We store available: the error is shorter, and a detach that
#   hangs (a device the OS still holds) is listed in-use by the next reconcile, which repairs it.
API_CALL_STATES: dict[str, str] = {
    "CreateVolume": "creating",
    "DeleteVolume": "deleting",
    "AttachVolume": "in-use",
    "DetachVolume": "available",
}
API_CALLS = sorted(API_CALL_STATES)


STATES: dict[Kind, tuple[str, ...]] = {Kind.INSTANCE: INSTANCE_STATES, Kind.VOLUME: VOLUME_STATES}
# What an id must look like to be stored: the kind's prefix and at least one letter or digit (AWS's
# ids are hex; the documentation's examples, such as vol-072577c46bexample, are not). An empty id or
# an ARN cut before its id would otherwise be counted as a real resource until the next reconcile.
# The length bound is the table's own (store.key_fits): DynamoDB's partition key limit.
_ID_PATTERNS: dict[Kind, re.Pattern[str]] = {
    Kind.INSTANCE: re.compile(r"i-[0-9A-Za-z]+"),
    Kind.VOLUME: re.compile(r"vol-[0-9A-Za-z]+"),
}
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


@dataclass(frozen=True)
class Ignored:
    """An event that carries nothing this table keeps, and why (what the function logs)."""

    reason: str


def read_event(event: Mapping[str, Any]) -> StateEvent | Ignored:
    """The state change an EventBridge event carries, or why it carries none this store keeps."""
    detail = event.get("detail")
    if event.get("source") != SOURCE or not isinstance(detail, Mapping):
        return Ignored("not an aws.ec2 event with a detail")
    seconds = _epoch_seconds(event.get("time"))
    if seconds is None:
        return Ignored("no readable time")
    event_id = str(event.get("id") or "")
    detail_type = event.get("detail-type")
    if detail_type == INSTANCE_DETAIL_TYPE:
        state = detail.get("state")
        if state not in INSTANCE_STATES:
            return Ignored(f"instance state {state!r} is not one this table counts")
        return _change(Kind.INSTANCE, detail.get("instance-id"), str(state), seconds, event_id)
    if detail_type == VOLUME_DETAIL_TYPE:
        outcome = (str(detail.get("event")), str(detail.get("result")))
        volume_state = VOLUME_RESULTS.get(outcome)
        if volume_state is None:
            return Ignored(f"volume notification {outcome[0]}/{outcome[1]} changes no volume state")
        return _change(Kind.VOLUME, _volume_id(event.get("resources")), volume_state, seconds, event_id)
    if detail_type == API_CALL_DETAIL_TYPE:
        return _api_call(detail, seconds, event_id)
    return Ignored(f"detail-type {detail_type!r} is not one this table reads")


def parse_event(event: Mapping[str, Any]) -> StateEvent | None:
    """The state change an EventBridge event carries, or None when it carries none this store keeps."""
    change = read_event(event)
    return change if isinstance(change, StateEvent) else None


def _api_call(detail: Mapping[str, Any], seconds: int, event_id: str) -> StateEvent | Ignored:
    name = detail.get("eventName")
    if detail.get("eventSource") != EC2_EVENT_SOURCE or name not in API_CALL_STATES:
        return Ignored(f"API call {name!r} changes no volume state")
    if detail.get("errorCode"):
        # The call was refused (denied, invalid, a KMS key it could not use): nothing changed.
        return Ignored(f"{name} failed with {detail.get('errorCode')}")
    response = detail.get("responseElements")
    request = detail.get("requestParameters")
    # CreateVolume names its new volume only in the response; the others in the request too.
    volume_id = (response.get("volumeId") if isinstance(response, Mapping) else None) or (
        request.get("volumeId") if isinstance(request, Mapping) else None
    )
    return _change(Kind.VOLUME, volume_id, API_CALL_STATES[str(name)], seconds, event_id)


def _change(kind: Kind, resource_id: object, state: str, seconds: int, event_id: str) -> StateEvent | Ignored:
    if not isinstance(resource_id, str) or not _ID_PATTERNS[kind].fullmatch(resource_id):
        shown = resource_id[:40] if isinstance(resource_id, str) else resource_id
        return Ignored(f"no usable {kind.value} id ({shown!r})")
    return StateEvent(kind, resource_id, state, seconds, event_id)


def _epoch_seconds(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def _volume_id(resources: object) -> str | None:
    """`arn:aws:ec2:region:account:volume/vol-...` -> `vol-...` (the first volume ARN)."""
    if not isinstance(resources, list):
        return None
    for arn in resources:
        if isinstance(arn, str) and ":volume/" in arn:
            return arn.rsplit("/", 1)[-1]
    return None
