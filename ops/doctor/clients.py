"""The doctor's AWS clients: bounded in time, retried the SDK's standard way, read-only by use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

# A call gives up after 5 s to connect and 10 s to read, three attempts at most (standard retry
# mode backs off on throttling): with the doctor's ~20 calls it answers within a few minutes even
# against an endpoint that never replies, instead of hanging.
CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=10, retries={"mode": "standard", "max_attempts": 3})


@dataclass(frozen=True)
class Clients:
    cloudformation: Any
    events: Any
    cloudwatch: Any
    sns: Any
    ecs: Any
    region: str


def make_clients(region: str | None) -> Clients:
    session = boto3.session.Session(region_name=region)
    if session.region_name is None:
        raise ValueError("no region: pass --region or set AWS_REGION")

    def client(service: str) -> Any:
        return session.client(service, config=CLIENT_CONFIG)  # type: ignore[call-overload]

    return Clients(
        client("cloudformation"),
        client("events"),
        client("cloudwatch"),
        client("sns"),
        client("ecs"),
        session.region_name,
    )
