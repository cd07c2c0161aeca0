"""One emulated AWS account: its id, region and clients, and what the emulator keeps for it that
moto cannot (volume statuses, the alarm topic and snapshot rule, the messages published, the
events waiting for delivery).

The emulator holds one today. Everything per account lives here, keyed by the account id, so that
a second and third account (organization mode) are more of these, not more globals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3

from local.emulator.event_bus import EventBus

REGION = "us-east-1"
# moto's default account: the one its test credentials ("testing") act in.
ACCOUNT = "123456789012"


@dataclass
class EmulatedAccount:
    """What the emulator knows of one account beside moto's own backends."""

    account_id: str = ACCOUNT
    region: str = REGION
    volume_statuses: dict[str, str] = field(default_factory=dict)  # volume id -> status; absent = ok
    topic_arn: str = ""  # the alarm topic, once deployed
    snapshot_rule: dict[str, Any] | None = None  # the synthesized snapshot rule, once deployed
    notifications: list[str] = field(default_factory=list)  # messages the snapshot rule published
    events: EventBus = field(default_factory=EventBus)

    def client(self, service: str) -> Any:
        """A boto3 client of this account (moto serves the default account's test credentials)."""
        return boto3.client(service, region_name=self.region)  # type: ignore[call-overload]
