"""Expands the sampler ASL template into one Parallel branch per (collector, second of the minute).

`statemachines/sampler.asl.json` holds a readable machine with a single template branch. Its
`${Name}` placeholders come in two kinds:

- build-time ones (`BRANCH_PLACEHOLDERS`), filled here for each branch: which collector, which
  second, how long the Task may run and how often it may retry;
- deploy-time ones (`${EcsCountsFunctionArn}`, ...), left in place for CloudFormation's
  `definition_substitutions`, so the template carries the ASL and the deployed ASL is the tested one.

A string that is exactly one placeholder takes the value's JSON type (`"${OffsetSeconds}"` -> 5).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collector_core.catalogue import Collector
from collector_core.collectors import COLLECTORS
from collector_core.rules import SECONDS_PER_MINUTE, divides_minute

SAMPLER_TEMPLATE = Path(__file__).resolve().parents[1] / "statemachines" / "sampler.asl.json"
PARALLEL_STATE = "SampleMinute"
BRANCH_PLACEHOLDERS = (
    "BranchName",
    "CollectorName",
    "CollectorFunctionArn",
    "OffsetSeconds",
    "TaskTimeoutSeconds",
    "RetryMaxAttempts",
)
# The deploy-time substitution key that carries each collector's function ARN.
FUNCTION_ARN_KEYS: dict[Collector, str] = {c: spec.arn_placeholder for c, spec in COLLECTORS.items()}
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")
# Retries are spaced one second apart (the smallest ASL interval) and capped at two.
MAX_RETRIES = 2
# A cold start can take a second or two before the handler runs, and the last AWS call a collector
# starts inside its period may run for up to one more period (collector_core.clients.call_bounds). The
# collector drops a sample that starts more than a period late, so a longer timeout never
# misplaces data.
TASK_TIMEOUT_SLACK_SECONDS = 4


@dataclass(frozen=True, order=True)
class SamplerBranch:
    """One branch of the Parallel state: `collector` samples at `offset` seconds past the minute."""

    offset: int
    collector: Collector
    period: int

    @property
    def name(self) -> str:
        return f"{COLLECTORS[self.collector].branch_label} {self.offset:02d}s"

    @property
    def retry_max_attempts(self) -> int:
        """Retries one second apart must all start within the sampling period."""
        return max(0, min(MAX_RETRIES, self.period - 1))

    @property
    def task_timeout_seconds(self) -> int:
        return collector_timeout_seconds(self.period)


def collector_timeout_seconds(period: int) -> int:
    """How long one sample may run, for the Task and for the function itself."""
    return 2 * period + TASK_TIMEOUT_SLACK_SECONDS


def sampling_schedule(periods: Mapping[Collector, int]) -> list[SamplerBranch]:
    """Every (offset, collector) due in one minute, ordered by second then collector."""
    for collector, period in periods.items():
        if not divides_minute(period):
            raise ValueError(f"sampling period of {collector.value} must divide 60, got {period}")
    return sorted(
        SamplerBranch(offset, collector, period)
        for collector, period in periods.items()
        for offset in range(0, SECONDS_PER_MINUTE, period)
    )


def render_sampler_definition(periods: Mapping[Collector, int], template_text: str | None = None) -> str:
    """The sampler ASL with one branch per scheduled sample; only deploy-time placeholders remain."""
    template = json.loads(template_text if template_text is not None else SAMPLER_TEMPLATE.read_text())
    parallel = template["States"][PARALLEL_STATE]
    (branch_template,) = parallel["Branches"]
    parallel["Branches"] = [
        _fill(copy.deepcopy(branch_template), _branch_values(branch)) for branch in sampling_schedule(periods)
    ]
    return json.dumps(template, indent=2)


def deploy_time_placeholders(definition: str) -> set[str]:
    """The `${Name}` placeholders CloudFormation must substitute in a rendered definition."""
    return set(_PLACEHOLDER.findall(definition))


def _branch_values(branch: SamplerBranch) -> dict[str, Any]:
    return {
        "BranchName": branch.name,
        "CollectorName": branch.collector.value,
        "CollectorFunctionArn": "${" + FUNCTION_ARN_KEYS[branch.collector] + "}",
        "OffsetSeconds": branch.offset,
        "TaskTimeoutSeconds": branch.task_timeout_seconds,
        "RetryMaxAttempts": branch.retry_max_attempts,
    }


def _fill(node: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(node, dict):
        return {_fill(key, values): _fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill(item, values) for item in node]
    if isinstance(node, str):
        whole = _PLACEHOLDER.fullmatch(node)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), node)
    return node
