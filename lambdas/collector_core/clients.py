"""boto3 clients for the collectors: created once per container, every call bounded in time.

A sample has one period to run before the next one starts; a datum collected later than that says
nothing its successor will not say better, and the Lambda keeps billing while it waits. So each
client's worst case per call (attempts x (connect + read) + backoff) fits in the period, and the
collectors stop starting new calls once the period is over (collector_core.faults.Budget).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_ec2.client import EC2Client
    from mypy_boto3_ecs.client import ECSClient

# Standard retry mode sleeps up to 1 s (random jitter) before retrying a throttled call.
_MAX_BACKOFF_SECONDS = 1.0
# A TLS handshake to a regional endpoint takes tens of milliseconds from Lambda: 0.5 s only trips
# on a real network fault.
_MAX_CONNECT_SECONDS = 0.5
# The largest page read here (1,000 instance statuses, ~1 MB) arrives well within 5 s.
_MAX_READ_SECONDS = 5.0
# Below this period there is no room for a second attempt: the next sample is the retry.
_MIN_PERIOD_FOR_RETRY = 5


@dataclass(frozen=True)
class CallBounds:
    connect_timeout: float
    read_timeout: float
    total_max_attempts: int


def call_bounds(period_seconds: int) -> CallBounds:
    """Timeouts and attempts such that one call, retries included, fits in one period.

    1 s period: 1 attempt of 0.25 s connect + 0.75 s read. 5 s: 2 attempts of 0.5 + 1.5 s, plus at
    most 1 s of backoff.
    """
    attempts = 2 if period_seconds >= _MIN_PERIOD_FOR_RETRY else 1
    backoff = _MAX_BACKOFF_SECONDS if attempts > 1 else 0.0
    per_attempt = (period_seconds - backoff) / attempts
    connect = min(_MAX_CONNECT_SECONDS, per_attempt / 4)
    return CallBounds(connect, min(_MAX_READ_SECONDS, per_attempt - connect), attempts)


def client_config(period_seconds: int) -> Config:
    bounds = call_bounds(period_seconds)
    return Config(
        connect_timeout=bounds.connect_timeout,
        read_timeout=bounds.read_timeout,
        retries={"mode": "standard", "total_max_attempts": bounds.total_max_attempts},
    )


# The event and reconcile functions are not tied to a sample's period: a DynamoDB call is answered
# in milliseconds, so 1 s connect + 2 s read only trips on a real fault, and three attempts (standard
# mode's default) ride out a throttled burst within the event function's 30 s timeout.
EVENT_CALL_BOUNDS = CallBounds(connect_timeout=1.0, read_timeout=2.0, total_max_attempts=3)


def event_client_config() -> Config:
    bounds = EVENT_CALL_BOUNDS
    return Config(
        connect_timeout=bounds.connect_timeout,
        read_timeout=bounds.read_timeout,
        retries={"mode": "standard", "total_max_attempts": bounds.total_max_attempts},
    )


def dynamodb_client(config: Config) -> DynamoDBClient:
    return boto3.client("dynamodb", config=config)


def ecs_client(config: Config) -> ECSClient:
    return boto3.client("ecs", config=config)


def ec2_client(config: Config) -> EC2Client:
    return boto3.client("ec2", config=config)


def cloudwatch_client(config: Config) -> CloudWatchClient:
    return boto3.client("cloudwatch", config=config)
