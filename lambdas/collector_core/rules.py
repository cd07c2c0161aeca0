"""Rules the stack's config and the collectors' settings both apply, written once.

`stacks/` checks them at synth (one line per bad value, `stacks.config`) and `collector_core.settings`
at cold start; both import them from here, so a value cannot pass one and fail the other.
"""

from __future__ import annotations

import re

SECONDS_PER_MINUTE = 60
# Sampling periods: whole seconds dividing the minute, so every minute has the same sample offsets.
ALLOWED_PERIODS: tuple[int, ...] = tuple(
    p for p in range(1, SECONDS_PER_MINUTE + 1) if SECONDS_PER_MINUTE % p == 0
)

# ECS cluster names (CreateCluster: up to 255 letters, digits, hyphens, underscores) and ARNs.
_CLUSTER_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
_CLUSTER_ARN = re.compile(r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9_-]{1,255}")
# EC2 instance ids: 8 hex digits (older ids) or 17.
_INSTANCE_ID = re.compile(r"i-[0-9a-f]{8,17}")


def divides_minute(period: object) -> bool:
    """Whether `period` is a whole number of seconds dividing 60 (1, 2, 3, 4, 5, 6, 10, ...)."""
    return isinstance(period, int) and not isinstance(period, bool) and period in ALLOWED_PERIODS


def is_cluster(value: str) -> bool:
    """Whether `value` is an ECS cluster name or a cluster ARN."""
    return bool(_CLUSTER_NAME.fullmatch(value) or _CLUSTER_ARN.fullmatch(value))


def is_instance_id(value: str) -> bool:
    return bool(_INSTANCE_ID.fullmatch(value))


def cluster_name(cluster: str) -> str:
    """A cluster's name from its name or ARN (`arn:...:cluster/web` -> `web`)."""
    return cluster.rsplit("/", 1)[-1]
