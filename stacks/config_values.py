"""One parser per kind of setting value: each returns the typed value, or raises ConfigError with one
line naming the key and what it accepts."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from collector_core.catalogue import NAMESPACE_RULE, Collector, is_custom_namespace
from collector_core.rules import cluster_name, divides_minute, is_cluster, is_instance_id
from stacks.config_model import DEFAULT_PERIODS, HIGH_RESOLUTION_PERIOD, AlarmThresholds, ConfigError, Target
from stacks.log_retention import RETENTION_DAYS

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PARAMETER_PATH = re.compile(r"^/[A-Za-z0-9_./-]+$")


def targets(key: str, value: Any) -> tuple[Target, ...]:
    items = _json_if_text(value)
    if not isinstance(items, list) or not items:
        raise ConfigError(f'{key}: give a list like [{{"account": "123456789012", "region": "eu-west-1"}}]')
    targets = []
    for item in items:
        if not isinstance(item, dict) or set(item) - {"account", "region"}:
            raise ConfigError(f"{key}: each target is an object with optional 'account' and 'region'")
        account, region = item.get("account"), item.get("region")
        if account is not None and not _ACCOUNT.match(str(account)):
            raise ConfigError(f"{key}: account {account!r} is not a 12-digit AWS account id")
        if region is not None and not _REGION.match(str(region)):
            raise ConfigError(f"{key}: region {region!r} is not an AWS region name such as eu-west-1")
        targets.append(Target(None if account is None else str(account), region))
    names = [target.stack_name for target in targets]
    if len(set(names)) != len(names):
        raise ConfigError(f"{key}: two targets give the same stack name")
    return tuple(targets)


def clusters(key: str, value: Any) -> tuple[str, ...]:
    clusters = _string_list(key, value)
    if clusters == ("*",):
        return clusters
    if not clusters or "*" in clusters:
        raise ConfigError(f'{key}: give "*" for every cluster, or a list of cluster names or ARNs')
    for cluster in clusters:
        if not is_cluster(cluster):
            raise ConfigError(f"{key}: {cluster!r} is not an ECS cluster name or cluster ARN")
    return clusters


def alarm_clusters(key: str, value: Any) -> tuple[str, ...]:
    return tuple(cluster_name(c) for c in clusters(key, value)) if value not in ([], "") else ()


def periods(key: str, value: Any) -> dict[Collector, int]:
    given = _json_if_text(value)
    known = {collector.value: collector for collector in Collector}
    if not isinstance(given, dict) or set(given) - set(known):
        raise ConfigError(f'{key}: an object with keys among {", ".join(known)}, e.g. {{"ecs_counts": 1}}')
    periods = dict(DEFAULT_PERIODS)
    for name, seconds in given.items():
        if not divides_minute(seconds):
            raise ConfigError(f"{key}.{name}: {seconds!r} is not a divisor of 60 (1, 2, 3, 4, 5, 6, 10, ...)")
        periods[known[name]] = seconds
    return periods


def collectors(key: str, value: Any) -> tuple[Collector, ...]:
    names = _string_list(key, value)
    known = {collector.value: collector for collector in Collector}
    unknown = [name for name in names if name not in known]
    if not names or unknown:
        raise ConfigError(f"{key}: give one or more of {', '.join(known)}")
    return tuple(known[name] for name in names)


def choice(options: tuple[str, ...], normalise: Callable[[str], str]) -> Callable[[str, Any], str]:
    def parse(key: str, value: Any) -> str:
        text = normalise(str(value))
        if text not in options:
            raise ConfigError(f"{key}: {value!r} is not one of {', '.join(options)}")
        return text

    return parse


def namespace(key: str, value: Any) -> str:
    if not isinstance(value, str) or not is_custom_namespace(value):
        raise ConfigError(f"{key}: {value!r} is not a custom CloudWatch namespace ({NAMESPACE_RULE})")
    return value


def flag(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise ConfigError(f"{key}: {value!r} is not true or false")


def int_in(low: int, high: int) -> Callable[[str, Any], int]:
    def parse(key: str, value: Any) -> int:
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = low - 1
        if isinstance(value, bool) or not low <= number <= high:
            raise ConfigError(f"{key}: {value!r} is not a whole number from {low} to {high}")
        return number

    return parse


def instance_ids(key: str, value: Any) -> tuple[str, ...]:
    return _optional_list(key, value, is_instance_id, "an EC2 instance id (i-...)")


def emails(key: str, value: Any) -> tuple[str, ...]:
    return _optional_list(key, value, lambda text: bool(_EMAIL.match(text)), "an e-mail address")


def _optional_list(key: str, value: Any, accepts: Callable[[str], bool], what: str) -> tuple[str, ...]:
    """A list that may be empty ([] or ""), each item refused unless `accepts` it."""
    items = _string_list(key, value) if value not in ([], "") else ()
    for item in items:
        if not accepts(item):
            raise ConfigError(f"{key}: {item!r} is not {what}")
    return items


def version(key: str, value: Any) -> str:
    text = str(value)
    if not re.match(r"^\d+\.\d+\.\d+$", text) or not _PARAMETER_PATH.match("/" + text):
        raise ConfigError(f"{key}: {value!r} is not a Powertools release such as 3.37.0")
    return text


def retention(key: str, value: Any) -> int:
    number = int_in(1, 3653)(key, value)
    if number not in RETENTION_DAYS:
        raise ConfigError(
            f"{key}: {number} is not a CloudWatch Logs retention ({', '.join(map(str, RETENTION_DAYS))})"
        )
    return number


def alarm_thresholds(key: str, value: Any) -> AlarmThresholds:
    given = _json_if_text(value)
    if not isinstance(given, dict):
        raise ConfigError(f'{key}: an object of thresholds, e.g. {{"runningTasksMin": 2}}')
    parsers: dict[str, tuple[str, Callable[[str, Any], Any]]] = {
        "pendingStuckSeconds": ("pending_stuck_seconds", int_in(30, 3600)),
        "runningTasksMin": ("running_tasks_min", _optional(int_in(1, 100_000))),
        "containerInstancesMin": ("container_instances_min", _optional(int_in(1, 100_000))),
        "collectorErrorsPerSample": ("collector_errors_per_sample", _ratio),
        "droppedSampleRatio": ("dropped_sample_ratio", _ratio),
        "minSampleRatio": ("min_sample_ratio", _ratio),
        "pipelineEvaluationMinutes": ("pipeline_evaluation_minutes", int_in(1, 60)),
        "reconcileRepairsMax": ("reconcile_repairs_max", int_in(0, 1_000_000)),
    }
    unknown = sorted(set(given) - set(parsers))
    if unknown:
        raise ConfigError(f"{key}: unknown threshold(s) {', '.join(unknown)}; known: {', '.join(parsers)}")
    thresholds = AlarmThresholds(
        **{parsers[name][0]: parsers[name][1](f"{key}.{name}", v) for name, v in given.items()}
    )
    stuck = thresholds.pending_stuck_seconds
    if stuck % HIGH_RESOLUTION_PERIOD:
        below = max(stuck - stuck % HIGH_RESOLUTION_PERIOD, 30)
        above = stuck - stuck % HIGH_RESOLUTION_PERIOD + HIGH_RESOLUTION_PERIOD
        raise ConfigError(
            f"{key}.pendingStuckSeconds: {stuck} is not a whole number of the alarm's "
            f"{HIGH_RESOLUTION_PERIOD}-second periods; use {below} or {above}"
        )
    return thresholds


def _optional(parse: Callable[[str, Any], int]) -> Callable[[str, Any], int | None]:
    return lambda key, value: None if value is None else parse(key, value)


def _ratio(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ConfigError(f"{key}: {value!r} is not a fraction above 0 and at most 1")
    return float(value)


def _string_list(key: str, value: Any) -> tuple[str, ...]:
    """A JSON list of strings, or (from `-c key=a,b`) a comma-separated string."""
    if isinstance(value, str):
        parsed = _json_if_text(value)
        items = parsed if isinstance(parsed, list) else value.split(",")
    else:
        items = value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ConfigError(f"{key}: give a list of strings or a comma-separated string")
    return tuple(item.strip() for item in items if item.strip())


def _json_if_text(value: Any) -> Any:
    """`-c` gives strings; a string that holds JSON (a list or object) is parsed."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


# File/context key -> (DeploymentConfig field, parser).
