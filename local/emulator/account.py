"""One emulated AWS account: its id, region and clients, and what the emulator keeps for it that
moto cannot (volume statuses, the alarm topic and snapshot rule, the messages published, the
events waiting for delivery).

Everything per account lives here, keyed by the account id: the organization demo's member and
monitoring accounts are more of these, each with the credentials moto maps to it (STS AssumeRole
into a role of that account answers with keys moto attributes to the role's account)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3

from local.emulator.event_bus import EventBus

REGION = "us-east-1"
# moto's default account: the one its test credentials (TEST_KEY) act in.
ACCOUNT = "123456789012"
TEST_KEY = "testing"
# The role AWS Organizations creates in every account it creates, for the management account to
# enter (Organizations API Reference, CreateAccount: RoleName defaults to OrganizationAccountAccessRole).
ACCESS_ROLE = "OrganizationAccountAccessRole"


@dataclass
class EmulatedAccount:
    """What the emulator knows of one account beside moto's own backends."""

    account_id: str = ACCOUNT
    region: str = REGION
    volume_statuses: dict[str, str] = field(default_factory=dict)  # volume id -> status; absent = ok
    topic_arn: str = ""  # the alarm topic, once deployed
    snapshot_rule: dict[str, Any] | None = None  # the synthesized snapshot rule, once deployed
    snapshot_topic_arn: str = ""  # its target: the alarm topic, or a member's central topic
    notifications: list[str] = field(default_factory=list)  # messages the snapshot rule published
    events: EventBus = field(default_factory=EventBus)
    # Keys of an assumed role in this account; None: moto's default account's test credentials.
    credentials: dict[str, str] | None = None
    _session: Any = field(default=None, repr=False)

    def client(self, service: str) -> Any:
        """A boto3 client of this account, with its credentials given explicitly: a Lambda handler
        of another account may hold boto3's default session while this one is created."""
        return boto3.client(service, region_name=self.region, **self._keys())  # type: ignore[call-overload]

    def session(self) -> Any:
        """A boto3 session of this account's keys (what a handler's clients are built from), or None
        for the default account, whose handlers keep boto3's default session."""
        if self.credentials is None:
            return None
        if self._session is None:
            self._session = boto3.Session(
                aws_access_key_id=self.credentials["AccessKeyId"],
                aws_secret_access_key=self.credentials["SecretAccessKey"],
                aws_session_token=self.credentials["SessionToken"],
                region_name=self.region,
            )
        return self._session

    def _keys(self) -> dict[str, str]:
        if self.credentials is None:
            return {"aws_access_key_id": TEST_KEY, "aws_secret_access_key": TEST_KEY}
        return {
            "aws_access_key_id": self.credentials["AccessKeyId"],
            "aws_secret_access_key": self.credentials["SecretAccessKey"],
            "aws_session_token": self.credentials["SessionToken"],
        }
