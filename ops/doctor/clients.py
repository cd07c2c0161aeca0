"""The doctor's AWS clients: bounded in time, retried the SDK's standard way, read-only by use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

# A call gives up after 5 s to connect and 10 s to read, three attempts in all (standard retry
# mode, which backs off on throttling): against an endpoint that never replies the first call ends
# the run after 3 x 10 s plus at most 1 + 2 s of backoff, instead of hanging. botocore's `max_attempts` counts
# the retries after the first call (3 would be four calls); `total_max_attempts` counts them all.
TOTAL_ATTEMPTS = 3
CLIENT_CONFIG = Config(
    connect_timeout=5,
    read_timeout=10,
    retries={"mode": "standard", "total_max_attempts": TOTAL_ATTEMPTS},
)


@dataclass(frozen=True)
class Clients:
    cloudformation: Any
    events: Any
    cloudwatch: Any
    sns: Any
    ecs: Any
    region: str


@dataclass(frozen=True)
class StackSetClients:
    """What `--stack-set` reads, from the management account or a delegated administrator."""

    cloudformation: Any
    organizations: Any
    region: str


@dataclass(frozen=True)
class MonitoringClients:
    """What `--monitoring` reads, in the monitoring account."""

    cloudwatch: Any
    region: str


def make_clients(region: str | None) -> Clients:
    client, region_name = _client_factory(region)
    return Clients(
        client("cloudformation"),
        client("events"),
        client("cloudwatch"),
        client("sns"),
        client("ecs"),
        region_name,
    )


def make_stack_set_clients(region: str | None) -> StackSetClients:
    client, region_name = _client_factory(region)
    return StackSetClients(client("cloudformation"), client("organizations"), region_name)


def make_monitoring_clients(region: str | None) -> MonitoringClients:
    client, region_name = _client_factory(region)
    return MonitoringClients(client("cloudwatch"), region_name)


def _client_factory(region: str | None) -> tuple[Callable[[str], Any], str]:
    session = boto3.session.Session(region_name=region)
    if session.region_name is None:
        raise ValueError("no region: pass --region or set AWS_REGION")

    def client(service: str) -> Any:
        return session.client(service, config=CLIENT_CONFIG)  # type: ignore[call-overload]

    return client, session.region_name
