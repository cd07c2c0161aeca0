"""Expected AWS cost of the pipeline, per account per day and per month, itemized.

Usage:
    python -m tools.estimate_cost [--template PATH] [--config FILE] [--clusters N]
                                  [--services-per-cluster K] [--sink emf|api]
                                  [--duration-ms COLLECTOR=MS ...] [--compare-original] [--json]

Everything countable comes from the synthesized template (`make synth`; without one the app is
synthesized in-process from the config): the sampler ASL gives the invocations per minute and
the Express duration (or, for a STANDARD workflow, the state transitions), each function its
memory and architecture, the alarms their periods. Bytes of metric ingestion per sample are
measured by running each real handler, with its template environment, on moto and capturing
what it prints. Custom metrics are counted from the metric catalogue for `--clusters` clusters.
Prices come from `tools.pricing` (us-east-1, free tiers not applied).

Measured lower bounds, not AWS measurements: the handler durations (`HANDLER_DURATION_MS`) were
timed in-process on moto with a small account, so they include no network round trip and no cold
start; `--duration-ms ecs_counts=40` replaces one with your own (e.g. from the Lambda REPORT line).

`--compare-original` adds the design this project grows from (AWS Compute Blog: a Standard
workflow of hand-written Wait+Task branches every 5 s, one x86 128 MB Lambda per sample making one
DescribeClusters and one PutMetricData call with 4 metrics), at 5 s and at 1 s sampling, and the
ratios. `--json` prints exactly one JSON object.

Examples:
    make synth && python -m tools.estimate_cost
    python -m tools.estimate_cost --clusters 20 --compare-original --json
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import io
import json
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (str(REPO_ROOT / "lambdas"), str(REPO_ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from common import catalogue as cat  # noqa: E402
from common.catalogue import Collector, Group, MetricSpec  # noqa: E402
from common.settings import Settings, SinkKind, load_settings  # noqa: E402
from stacks.toolchain import prefer_venv_node  # noqa: E402
from tools import pricing  # noqa: E402
from tools.synthesized import DEFAULT_ASSEMBLY, Synthesized  # noqa: E402

DAYS_PER_MONTH = 730 / 24  # AWS bills a month as 730 hours
SECONDS_PER_DAY = 86_400
BYTES_PER_GB = 1e9  # decimal GB: the larger count of the two readings, so never an underestimate

# In-process handler duration, warm, median of 50 samples on moto with a small account (3
# clusters; 10 instances), measured by `python -m bench.collector_cost` on 2026-11-22 (AMD EPYC,
# x86_64; moto's own work stands in for the AWS API). A LOWER BOUND: no network round trip to the
# AWS API, no cold start, and a faster CPU than the 0.15 vCPU a 256 MB Lambda gets.
HANDLER_DURATION_MS: dict[Collector, float] = {Collector.ECS_COUNTS: 1.6, Collector.EC2_EBS_STATE: 13.6}
# The original design's handler (one DescribeClusters + one PutMetricData), timed the same way.
ORIGINAL_HANDLER_DURATION_MS = 2.1
# What a real invocation adds to the lower bound: one to a few HTTPS round trips to regional
# endpoints (~10-30 ms each from Lambda). Shown as a sensitivity line, never added silently.
SENSITIVITY_EXTRA_MS = 25.0

# What the Lambda platform writes into the function's log group per invocation, by log format.
# Text: "START RequestId: <36-char id> Version: $LATEST" (70 B), "END RequestId: <id>" (51 B),
# "REPORT RequestId: <id>\tDuration: 2.15 ms\tBilled Duration: 3 ms\tMemory Size: 256 MB\tMax
# Memory Used: 81 MB\t" (135 B). JSON, system log level INFO or DEBUG: platform.start (~125 B) and
# platform.report (~225 B) records. JSON at WARN and above: none.
LAMBDA_PLATFORM_LOG: dict[str, tuple[int, int]] = {"Text": (256, 3), "JSON": (350, 2), "JSON>=WARN": (0, 0)}
# PutLogEvents counts each event as its UTF-8 message plus 26 bytes; counted as billed here too.
LOG_EVENT_OVERHEAD_BYTES = 26
# Express memory estimate: what each branch adds to the execution data (the branch's Output
# object, ~60 B, rounded up), and the rule's input.
EXECUTION_DATA_BYTES_PER_BRANCH = 100
# The original design: one cluster, 4 metrics in one PutMetricData call per sample.
ORIGINAL_METRICS = 4
ORIGINAL_MEMORY_MB = 128
ORIGINAL_ARCHITECTURE = "x86_64"
ORIGINAL_PERIOD_SECONDS = 5
DEFAULT_CLUSTERS = 3
DEFAULT_SERVICES_PER_CLUSTER = 5

# Which part of the bill an item belongs to. The pipeline's own cost is the first three.
ORCHESTRATION, COMPUTE, INGESTION, METRICS, ALARMS, FIXED = (
    "orchestration",
    "compute",
    "ingestion",
    "metrics",
    "alarms",
    "fixed",
)
PIPELINE_CATEGORIES = (ORCHESTRATION, COMPUTE, INGESTION)


class EstimateError(RuntimeError):
    """The inputs cannot be estimated; the message says why."""


@dataclass(frozen=True)
class Item:
    """One line of the bill."""

    name: str
    category: str
    quantity_per_day: float
    unit: str
    usd_per_day: float
    detail: str = ""

    @property
    def usd_per_month(self) -> float:
        return self.usd_per_day * DAYS_PER_MONTH


@dataclass
class Estimate:
    label: str
    items: list[Item]
    assumptions: dict[str, Any] = field(default_factory=dict)

    def total(self, categories: Sequence[str] | None = None) -> float:
        return sum(i.usd_per_day for i in self.items if categories is None or i.category in categories)

    @property
    def pipeline_usd_per_day(self) -> float:
        return self.total(PIPELINE_CATEGORIES)

    @property
    def total_usd_per_day(self) -> float:
        return self.total()

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "pipeline_usd_per_day": round(self.pipeline_usd_per_day, 6),
            "total_usd_per_day": round(self.total_usd_per_day, 6),
            "pipeline_usd_per_month": round(self.pipeline_usd_per_day * DAYS_PER_MONTH, 4),
            "total_usd_per_month": round(self.total_usd_per_day * DAYS_PER_MONTH, 4),
            "breakdown": [
                {
                    **asdict(i),
                    "usd_per_day": round(i.usd_per_day, 6),
                    "usd_per_month": round(i.usd_per_month, 4),
                }
                for i in self.items
            ],
            "assumptions": self.assumptions,
        }


# --- what the template runs ----------------------------------------------------------------------


@dataclass(frozen=True)
class Branch:
    function: str  # logical id of the function the branch invokes
    offset: int  # seconds past the scheduled minute


def executions_per_day(schedule: str) -> float:
    """Executions a day for a `rate(...)` schedule expression."""
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", schedule.strip())
    if not match:
        raise EstimateError(f"cannot estimate the schedule {schedule!r}: only rate(...) is supported")
    seconds = {"minute": 60, "hour": 3600, "day": SECONDS_PER_DAY}[match.group(2).rstrip("s")]
    return SECONDS_PER_DAY / (int(match.group(1)) * seconds)


def sampler_branches(synthesized: Synthesized) -> list[Branch]:
    """Every Lambda task of the sampler's Parallel state: which function, at which second."""
    machine = synthesized.state_machine
    definition = json.loads(machine.definition)
    branches = []
    for state in definition["States"].values():
        for branch in state.get("Branches", []):
            for task in branch["States"].values():
                if task.get("Type") != "Task":
                    continue
                arguments = task.get("Arguments") or task.get("Parameters") or {}
                function = str(arguments.get("FunctionName", ""))
                placeholder = re.fullmatch(r"\$\{([A-Za-z0-9]+)\}", function)
                if not placeholder or placeholder.group(1) not in machine.substitutions:
                    raise EstimateError(f"task {function!r} does not name a function of the template")
                offset = int((arguments.get("Payload") or {}).get("offset", 0))
                branches.append(Branch(machine.substitutions[placeholder.group(1)], offset))
    if not branches:
        raise EstimateError("the state machine has no Lambda task in a Parallel state")
    return branches


def state_transitions(states: Mapping[str, Any], start: str) -> int:
    """State transitions of one successful run from `start`: one per state entered (AWS counts "a
    state transition each time a step of your workflow is executed"), Parallel branches included."""
    count, name = 0, start
    while True:
        state = states[name]
        count += 1
        if state["Type"] == "Parallel":
            count += sum(state_transitions(b["States"], b["StartAt"]) for b in state["Branches"])
        elif state["Type"] in ("Map", "Choice"):
            raise EstimateError(f"cannot count transitions through {state['Type']} state {name!r}")
        if state.get("End") or state["Type"] in ("Succeed", "Fail"):
            return count
        name = state["Next"]


def collector_of(handler: str) -> Collector:
    """`ecs_counts.handler.handler` -> Collector.ECS_COUNTS."""
    return Collector(handler.split(".", 1)[0])


# --- what a sample writes, measured on moto --------------------------------------------------------


@dataclass(frozen=True)
class SampleOutput:
    """What one healthy sample of a collector writes, as measured."""

    log_bytes: int  # everything the handler printed (EMF documents and any log lines)
    log_events: int
    datums: int

    def put_metric_data_calls(self) -> int:
        return math.ceil(self.datums / 1000)


@dataclass(frozen=True)
class _Context:
    function_name: str = "estimate"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:estimate"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"


@contextlib.contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(variables)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _seed(collector: Collector, settings: Settings, clusters: int, services_per_cluster: int) -> None:
    import boto3

    if collector is Collector.ECS_COUNTS:
        ecs = boto3.client("ecs", region_name="us-east-1")
        names = (
            [f"cluster-{i:02d}" for i in range(clusters)]
            if settings.discover_clusters
            else [c.rsplit("/", 1)[-1] for c in settings.ecs_clusters]
        )
        if settings.ecs_service_metrics:
            ecs.register_task_definition(
                family="app", containerDefinitions=[{"name": "app", "image": "app", "memory": 64}]
            )
        for name in names:
            ecs.create_cluster(clusterName=name)
            for s in range(services_per_cluster if settings.ecs_service_metrics else 0):
                ecs.create_service(cluster=name, serviceName=f"service-{s:02d}", taskDefinition="app")


class _Http:
    status_code = 200


def _no_impaired_volumes(**_: Any) -> tuple[_Http, dict[str, Any]]:
    # moto does not implement DescribeVolumeStatus; AWS answers the collector's impaired-only
    # filter with an empty list on a healthy account.
    return _Http(), {"VolumeStatuses": [], "ResponseMetadata": {"HTTPStatusCode": 200}}


@functools.cache
def measure_sample(
    handler: str, environment: tuple[tuple[str, str], ...], clusters: int, services_per_cluster: int
) -> SampleOutput:
    """Run the real handler once, warm, on moto with its template environment; count its output."""
    from moto import mock_aws

    env = {
        **dict(environment),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
    collector = collector_of(handler)
    module: Any = importlib.import_module(handler.rsplit(".", 1)[0])
    now = int(time.time())
    minute = datetime.fromtimestamp(now - now % 60, UTC)
    event = {"time": minute.strftime("%Y-%m-%dT%H:%M:%SZ"), "offset": 7}
    second = (minute + timedelta(seconds=7)).timestamp()
    with _environment(env), mock_aws():
        _seed(collector, load_settings(env, collector), clusters, services_per_cluster)
        module.runtime.cache_clear()
        saved_clock = module.clock
        module.clock = lambda: second + 0.05
        try:
            runtime = module.runtime()
            client = getattr(runtime, "ec2", None)
            if client is not None:
                client.meta.events.register("before-call.ec2.DescribeVolumeStatus", _no_impaired_volumes)
            with contextlib.redirect_stdout(io.StringIO()):
                module.handler(event, _Context())  # warm-up: ListClusters happens once a minute
            buffer = io.StringIO()
            log_handler = module.logger.registered_handler
            saved_stream = log_handler.setStream(buffer)
            try:
                with contextlib.redirect_stdout(buffer):
                    summary = module.handler(event, _Context())
            finally:
                log_handler.setStream(saved_stream)
        finally:
            module.clock = saved_clock
            module.runtime.cache_clear()
    if summary.get("errors") or summary.get("dropped"):
        raise EstimateError(f"{handler} did not run a healthy sample on moto: {summary}")
    lines = [line for line in buffer.getvalue().splitlines() if line]
    return SampleOutput(sum(len(line.encode()) for line in lines), len(lines), int(summary["emitted"]))


# --- the estimate ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    clusters: int = DEFAULT_CLUSTERS
    services_per_cluster: int = DEFAULT_SERVICES_PER_CLUSTER
    sink: str | None = None  # override the template's METRICS_SINK
    durations_ms: Mapping[Collector, float] = field(default_factory=dict)
    # The live board (tools/board.py): hours a day it runs, watched instances, seconds a refresh.
    board_hours_per_day: float = 0.0
    board_instances: int = 0
    board_refresh_seconds: float = 5.0


def _log_bytes(events: float, message_bytes: float) -> float:
    return message_bytes + events * LOG_EVENT_OVERHEAD_BYTES


def express_memory_mb(definition_bytes: int, input_bytes: int, branches: int) -> int:
    """Billed memory: 50 MB + definition + execution data x Parallel/Map steps, in 64 MB chunks
    (the Step Functions pricing page's formula; each branch counted as a step, to err high)."""
    used = pricing.SFN_EXPRESS_BASE_MEMORY_MB + (
        definition_bytes + (input_bytes + EXECUTION_DATA_BYTES_PER_BRANCH * branches) * branches
    ) / (1024 * 1024)
    chunk = pricing.SFN_EXPRESS_MEMORY_CHUNK_MB
    return math.ceil(used / chunk) * chunk


def _express_items(
    synthesized: Synthesized, per_day: float, last_task_s: float, branches: list[Branch]
) -> list[Item]:
    last_offset = max(b.offset for b in branches)
    increment = pricing.SFN_EXPRESS_DURATION_INCREMENT_MS / 1000
    duration_s = math.ceil((last_offset + last_task_s) / increment) * increment
    definition_bytes = len(synthesized.state_machine.definition.encode())
    input_bytes = len(json.dumps(synthesized.rule_input("2026-11-22T00:00:00Z")))
    memory_mb = express_memory_mb(definition_bytes, input_bytes, len(branches))
    gb_seconds = per_day * duration_s * memory_mb / 1024
    gb_hours_month = gb_seconds * DAYS_PER_MONTH / 3600
    duration_usd = pricing.tiered_cost(gb_hours_month, pricing.SFN_EXPRESS_GB_HOUR_TIERS) / DAYS_PER_MONTH
    return [
        Item(
            "Step Functions Express requests",
            ORCHESTRATION,
            per_day,
            "executions",
            per_day * pricing.SFN_EXPRESS_REQUEST.usd,
        ),
        Item(
            "Step Functions Express duration",
            ORCHESTRATION,
            gb_seconds,
            "GB-s",
            duration_usd,
            f"{duration_s:.1f} s per execution (last branch at {last_offset} s + its task) x {memory_mb} MB "
            f"billed (50 MB + {definition_bytes / 1024:.0f} KiB definition + payloads, in 64 MB chunks)",
        ),
    ]


def _standard_items(definition: Mapping[str, Any], per_day: float, note: str = "") -> list[Item]:
    transitions = state_transitions(definition["States"], definition["StartAt"])
    return [
        Item(
            "Step Functions Standard state transitions",
            ORCHESTRATION,
            transitions * per_day,
            "transitions",
            transitions * per_day * pricing.SFN_STANDARD_TRANSITION.usd,
            f"{transitions} per execution, counted from the ASL (one per state entered){note}",
        )
    ]


def _lambda_items(
    collector: str, invocations: float, duration_ms: float, memory_mb: int, architecture: str
) -> list[Item]:
    increment = pricing.LAMBDA_DURATION_INCREMENT_MS
    billed_ms = math.ceil(duration_ms / increment) * increment
    gb_seconds = invocations * billed_ms / 1000 * memory_mb / 1024
    return [
        Item(
            f"Lambda requests ({collector})",
            COMPUTE,
            invocations,
            "invocations",
            invocations * pricing.LAMBDA_REQUEST.usd,
        ),
        Item(
            f"Lambda compute ({collector})",
            COMPUTE,
            gb_seconds,
            "GB-s",
            gb_seconds * pricing.LAMBDA_GB_SECOND[architecture].usd,
            f"{billed_ms:.0f} ms billed x {memory_mb} MB {architecture}",
        ),
    ]


def platform_log(logging_config: Mapping[str, Any]) -> tuple[str, int, int]:
    """(kind, bytes, events) the Lambda platform logs per invocation under a LoggingConfig."""
    if logging_config.get("LogFormat", "Text") != "JSON":
        kind = "Text"
    elif logging_config.get("SystemLogLevel", "INFO") in ("WARN", "ERROR", "FATAL"):
        kind = "JSON>=WARN"
    else:
        kind = "JSON"
    return (kind, *LAMBDA_PLATFORM_LOG[kind])


def _ingestion_items(
    collector: str,
    invocations: float,
    sample: SampleOutput,
    sink: SinkKind,
    retention_days: int,
    logging_config: Mapping[str, Any],
) -> list[Item]:
    kind, platform_bytes, platform_events = platform_log(logging_config)
    events = invocations * (sample.log_events + platform_events)
    handler_bytes = sample.log_bytes if sink is SinkKind.EMF else 0
    bytes_per_day = _log_bytes(events, invocations * (handler_bytes + platform_bytes))
    gb = bytes_per_day / BYTES_PER_GB
    what = "EMF documents" if sink is SinkKind.EMF else "no EMF (api sink)"
    platform = (
        "no platform lines (JSON, system level WARN)" if not platform_events else f"{kind} platform lines"
    )
    items = [
        Item(
            f"Logs ingestion ({collector})",
            INGESTION,
            gb,
            "GB",
            gb * pricing.LOGS_INGESTION_GB.usd,
            f"{bytes_per_day / invocations:.0f} B per sample: {what} {handler_bytes} B measured + "
            f"{platform} {platform_bytes} B + {LOG_EVENT_OVERHEAD_BYTES} B per event",
        ),
        Item(
            f"Logs storage ({collector})",
            INGESTION,
            gb * retention_days,
            "GB stored",
            gb * retention_days * pricing.LOGS_STORAGE_GB_MONTH.usd / DAYS_PER_MONTH,
            f"{retention_days}-day retention, uncompressed size (an upper bound)",
        ),
    ]
    if sink is SinkKind.API:
        calls = invocations * sample.put_metric_data_calls()
        items.append(
            Item(
                f"PutMetricData ({collector})",
                INGESTION,
                calls,
                "requests",
                calls * pricing.PUT_METRIC_DATA_REQUEST.usd,
                f"{sample.datums} datums per sample, up to 1,000 per call",
            )
        )
    return items


def dimension_cardinality(
    dimension: str, spec: MetricSpec, settings: Settings, clusters: int, services_per_cluster: int
) -> int:
    """How many values `dimension` takes for `spec` in this deployment."""
    if dimension == cat.CLUSTER_NAME:
        return clusters if settings.discover_clusters else len(settings.ecs_clusters)
    if dimension == cat.SERVICE_NAME:
        return services_per_cluster if settings.ecs_service_metrics else 0
    if dimension == cat.STATE:
        return len(cat.INSTANCE_STATES if spec.group is Group.EC2 else cat.VOLUME_STATES)
    if dimension == cat.INSTANCE_ID:
        return len(settings.watch_instance_ids)
    if dimension == cat.COLLECTOR:
        return 1  # each collector publishes its own health metrics under its own name
    raise EstimateError(f"the cost model does not know how many values dimension {dimension} takes")


def metric_streams(
    collectors: Mapping[Collector, Settings], clusters: int, services_per_cluster: int
) -> dict[str, int]:
    """Distinct metric streams (name + dimension values) each catalogue metric publishes."""
    counts: dict[str, int] = {}
    for collector, settings in collectors.items():
        for spec in cat.metrics_of(collector):
            streams = 1
            for dimension in spec.dimensions:
                streams *= dimension_cardinality(dimension, spec, settings, clusters, services_per_cluster)
            if streams:
                counts[spec.name] = counts.get(spec.name, 0) + streams
    return counts


def _monthly(name: str, category: str, count: float, unit: str, usd_per_month: float, detail: str) -> Item:
    return Item(name, category, count, unit, usd_per_month / DAYS_PER_MONTH, detail)


def estimate(synthesized: Synthesized, options: Options) -> Estimate:
    """The itemized daily cost of the synthesized stack."""
    rule = synthesized.schedule_rule
    per_day = executions_per_day(rule["schedule"]) if rule["state"] == "ENABLED" else 0.0
    branches = sampler_branches(synthesized)
    functions = synthesized.functions
    retention = max(
        (int(p.get("RetentionInDays", 0)) for p in synthesized.resources("AWS::Logs::LogGroup").values()),
        default=0,
    )
    items: list[Item] = []
    durations: dict[str, float] = {}
    settings_of: dict[Collector, Settings] = {}
    samples: dict[str, dict[str, Any]] = {}
    functions_used: list[dict[str, Any]] = []
    for logical_id, spec in sorted(functions.items()):
        collector = collector_of(spec.handler)
        environment = dict(spec.environment)
        if options.sink:
            environment["METRICS_SINK"] = options.sink
        settings = load_settings(environment, collector)
        settings_of[collector] = settings
        duration_ms = options.durations_ms.get(collector, HANDLER_DURATION_MS[collector])
        durations[logical_id] = duration_ms
        per_minute = sum(1 for b in branches if b.function == logical_id)
        invocations = per_minute * per_day
        sample = measure_sample(
            spec.handler,
            tuple(sorted(environment.items())),
            options.clusters,
            options.services_per_cluster,
        )
        samples[collector.value] = {
            **asdict(sample),
            "per_minute": per_minute,
            "duration_ms": duration_ms,
            "sink": settings.sink.value,
        }
        functions_used.append(
            {
                "collector": collector.value,
                "invocations_per_day": invocations,
                "memory_mb": spec.memory_mb,
                "architecture": spec.architecture,
            }
        )
        items += _lambda_items(collector.value, invocations, duration_ms, spec.memory_mb, spec.architecture)
        logging_config = synthesized.resources("AWS::Lambda::Function")[logical_id].get("LoggingConfig", {})
        samples[collector.value]["platform_log"] = platform_log(logging_config)[0]
        items += _ingestion_items(
            collector.value, invocations, sample, settings.sink, retention, logging_config
        )
    machine = synthesized.state_machine
    last = max(branches, key=lambda b: b.offset)
    if machine.workflow_type == "EXPRESS":
        items[:0] = _express_items(synthesized, per_day, durations[last.function] / 1000, branches)
    else:
        items[:0] = _standard_items(
            json.loads(machine.definition), per_day, "; a lost sample adds 1 for its Pass state"
        )
    items.append(
        Item(
            "EventBridge schedule",
            ORCHESTRATION,
            per_day,
            "events",
            per_day * pricing.EVENTBRIDGE_SCHEDULED_EVENT.usd,
        )
    )

    streams = metric_streams(settings_of, options.clusters, options.services_per_cluster)
    total_streams = sum(streams.values())
    items.append(
        _monthly(
            "CloudWatch custom metrics",
            METRICS,
            total_streams,
            "metrics",
            pricing.tiered_cost(total_streams, pricing.CUSTOM_METRIC_MONTH_TIERS),
            ", ".join(f"{name} {n}" for name, n in streams.items()),
        )
    )
    alarms = [a for a in synthesized.alarms if not a.query]
    high = sum(1 for a in alarms if a.period < 60)
    items.append(
        _monthly(
            "CloudWatch alarms",
            ALARMS,
            len(alarms),
            "alarms",
            high * pricing.ALARM_HIGH_RESOLUTION_MONTH.usd
            + (len(alarms) - high) * pricing.ALARM_STANDARD_MONTH.usd,
            f"{high} high-resolution (period < 60 s), {len(alarms) - high} standard",
        )
    )
    items += _fleet_rule_and_board_items(synthesized, options)
    dashboards = len(synthesized.resources("AWS::CloudWatch::Dashboard"))
    items.append(
        _monthly(
            "CloudWatch dashboard",
            FIXED,
            dashboards,
            "dashboards",
            dashboards * pricing.DASHBOARD_MONTH.usd,
            "free if the account has fewer than 3 other dashboards",
        )
    )
    keys = len(synthesized.resources("AWS::KMS::Key"))
    items.append(
        _monthly(
            "KMS key (alarm topic)",
            FIXED,
            keys,
            "keys",
            keys * pricing.KMS_KEY_MONTH.usd,
            "rotation adds $1/month per rotated backing key from the second year",
        )
    )
    items.append(
        Item("SNS alarm notifications", FIXED, 0, "publishes", 0.0, "a handful a month: under $0.01")
    )
    return Estimate(
        "this pipeline",
        items,
        {
            "clusters": options.clusters,
            "services_per_cluster": options.services_per_cluster,
            "workflow_type": machine.workflow_type,
            "executions_per_day": per_day,
            "branches": len(branches),
            "samples": samples,
            "functions": functions_used,
            "duration_ms_is_lower_bound": not options.durations_ms,
            "log_retention_days": retention,
            "free_tiers": "not applied",
            "region": pricing.REGION,
        },
    )


def _fleet_rule_and_board_items(synthesized: Synthesized, options: Options) -> list[Item]:
    """The fleet alarms (priced per metric their query analyzes), the snapshot rule, the board."""
    items = []
    fleet = [a for a in synthesized.alarms if a.query]
    if fleet:
        analyzed = len(fleet) * options.clusters
        items.append(
            _monthly(
                "CloudWatch Metrics Insights alarms",
                ALARMS,
                len(fleet),
                "alarms",
                analyzed * pricing.ALARM_INSIGHTS_METRIC_MONTH.usd,
                f"{len(fleet)} fleet alarm(s) x {options.clusters} clusters analyzed "
                "(assumed rate: see pricing.py)",
            )
        )
    if synthesized.snapshot_rule is not None:
        items.append(
            Item(
                "EventBridge snapshot notifications",
                FIXED,
                0,
                "events",
                0.0,
                "AWS service events on the default bus are free; SNS publishes only on a snapshot result",
            )
        )
    if options.board_hours_per_day:
        board_metrics = options.board_instances + 2 * options.clusters
        requested = board_metrics * options.board_hours_per_day * 3600 / options.board_refresh_seconds
        items.append(
            Item(
                "Live board (GetMetricData)",
                FIXED,
                requested,
                "metrics",
                requested * pricing.GET_METRIC_DATA_METRIC.usd,
                f"{board_metrics} metrics every {options.board_refresh_seconds:g} s, "
                f"{options.board_hours_per_day:g} h a day",
            )
        )
    return items


def original_asl(period_seconds: int) -> dict[str, Any]:
    """The original design's state machine: one Parallel, a hand-written Wait+Task branch per sample."""
    branches = [
        {
            "StartAt": f"Wait {offset}",
            "States": {
                f"Wait {offset}": {"Type": "Wait", "Seconds": offset, "Next": f"Collect {offset}"},
                f"Collect {offset}": {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:collect",
                    "End": True,
                },
            },
        }
        for offset in range(0, 60, period_seconds)
    ]
    return {
        "StartAt": "Sample",
        "States": {"Sample": {"Type": "Parallel", "Branches": branches, "End": True}},
    }


def estimate_original(
    period_seconds: int = ORIGINAL_PERIOD_SECONDS, duration_ms: float | None = None
) -> Estimate:
    """The AWS Compute Blog design, sampling every `period_seconds`."""
    per_day = executions_per_day("rate(1 minute)")
    invocations = per_day * 60 // period_seconds
    duration = ORIGINAL_HANDLER_DURATION_MS if duration_ms is None else duration_ms
    items = _standard_items(original_asl(period_seconds), per_day)
    items += _lambda_items("collector", invocations, duration, ORIGINAL_MEMORY_MB, ORIGINAL_ARCHITECTURE)
    sample = SampleOutput(log_bytes=0, log_events=0, datums=ORIGINAL_METRICS)
    # The original functions kept Lambda's default text logs.
    items += _ingestion_items("collector", invocations, sample, SinkKind.API, 0, {"LogFormat": "Text"})
    items = [i for i in items if not i.name.startswith("Logs storage")]  # the blog set no retention
    items.append(
        _monthly(
            "CloudWatch custom metrics",
            METRICS,
            ORIGINAL_METRICS,
            "metrics",
            ORIGINAL_METRICS * pricing.CUSTOM_METRIC_MONTH.usd,
            "4 metrics of one cluster",
        )
    )
    return Estimate(
        f"original design, {period_seconds} s sampling",
        items,
        {
            "period_seconds": period_seconds,
            "invocations_per_day": invocations,
            "duration_ms": duration,
            "memory_mb": ORIGINAL_MEMORY_MB,
            "architecture": ORIGINAL_ARCHITECTURE,
            "put_metric_data_calls_per_sample": 1,
        },
    )


# --- inputs and output -----------------------------------------------------------------------------


def load_synthesized(template: Path | None, config_file: str | None) -> Synthesized:
    """The given template, else the config's stack in cdk.out/, else an in-process synth."""
    if template is not None:
        if not template.exists():
            raise EstimateError(f"--template {template}: no such file")
        return Synthesized(json.loads(template.read_text()))
    prefer_venv_node()
    from stacks.deployment_config import load_config

    config = load_config({"configFile": config_file} if config_file else {}, REPO_ROOT)
    stack_name = config.targets[0].stack_name
    if config_file is None and (DEFAULT_ASSEMBLY / f"{stack_name}.template.json").exists():
        return Synthesized.load(DEFAULT_ASSEMBLY, stack_name)
    return synthesize(config)


def synthesize(config: Any) -> Synthesized:
    """Synthesize the app for a `DeploymentConfig` in-process (cdk-nag included), first stack."""
    prefer_venv_node()
    import aws_cdk as cdk

    from stacks.app_factory import build_app

    outdir = Path(tempfile.mkdtemp(prefix="highres-estimate-"))
    app, stacks = build_app(config, cdk.App(outdir=str(outdir)))
    app.synth()
    return Synthesized.load(outdir, stacks[0].stack_name)


def _duration_override(text: str) -> tuple[Collector, float]:
    name, _, value = text.partition("=")
    try:
        return Collector(name), float(value)
    except ValueError:
        known = ", ".join(c.value for c in Collector)
        raise argparse.ArgumentTypeError(
            f"{text!r}: give COLLECTOR=MS with COLLECTOR one of {known}"
        ) from None


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number above 0")
    return int(text)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="estimate_cost", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "--template", type=Path, help="a synthesized template (default: the config's stack in cdk.out/)"
    )
    parser.add_argument(
        "--config", help="config file, relative to the repository (default highres.config.json)"
    )
    parser.add_argument(
        "--clusters", type=_positive_int, default=DEFAULT_CLUSTERS, help="ECS clusters when clusters is '*'"
    )
    parser.add_argument(
        "--services-per-cluster",
        type=int,
        default=DEFAULT_SERVICES_PER_CLUSTER,
        help="with serviceMetrics on",
    )
    parser.add_argument("--sink", choices=("emf", "api"), help="override the template's metric sink")
    parser.add_argument(
        "--duration-ms",
        type=_duration_override,
        action="append",
        default=[],
        metavar="COLLECTOR=MS",
        help="handler duration per invocation instead of the measured lower bound",
    )
    parser.add_argument(
        "--compare-original", action="store_true", help="add the original design at 5 s and 1 s"
    )
    parser.add_argument(
        "--board-hours-per-day", type=float, default=0.0, help="hours a day tools/board.py runs (default 0)"
    )
    parser.add_argument(
        "--board-instances", type=int, default=0, help="watched instances the board shows (default 0)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    return parser.parse_args(argv)


def report(ours: Estimate, originals: Sequence[Estimate]) -> dict[str, Any]:
    """The JSON document: ours, and (with originals) theirs and the ratios of pipeline costs."""
    result = ours.as_dict()
    pipeline = ours.pipeline_usd_per_day
    extra_usd = _sensitivity(ours)
    result["sensitivity"] = {
        "extra_ms_per_invocation": SENSITIVITY_EXTRA_MS,
        "pipeline_usd_per_day": round(pipeline + extra_usd, 6),
    }
    result["largest_pipeline_items"] = [
        {"name": i.name, "share": round(i.usd_per_day / pipeline, 4) if pipeline else 0.0}
        for i in sorted(ours.items, key=lambda i: -i.usd_per_day)
        if i.category in PIPELINE_CATEGORIES
    ][:4]
    result["prices"] = {name: asdict(price) for name, price in pricing.ALL_PRICES.items()}
    for original in originals:
        key = (
            "original" if original.assumptions["period_seconds"] == ORIGINAL_PERIOD_SECONDS else "original_1s"
        )
        theirs = original.pipeline_usd_per_day
        result[key] = original.as_dict()
        result[f"{key}_pipeline_usd_per_day"] = round(theirs, 6)
        result[f"ratio_vs_{key}"] = round(theirs / pipeline, 3) if pipeline else None
    return result


def _sensitivity(ours: Estimate) -> float:
    """What SENSITIVITY_EXTRA_MS more per invocation would add per day (Lambda compute only; the
    Express duration grows by the same amount once a minute, which is negligible)."""
    extra = 0.0
    for fn in ours.assumptions["functions"]:
        gb_seconds = fn["invocations_per_day"] * SENSITIVITY_EXTRA_MS / 1000 * fn["memory_mb"] / 1024
        extra += gb_seconds * pricing.LAMBDA_GB_SECOND[fn["architecture"]].usd
    return extra


def format_estimate(estimate: Estimate) -> str:
    lines = [
        f"{estimate.label}",
        f"  {'item':<40} {'per day':>14} {'unit':<12} {'$/day':>9} {'$/month':>9}  detail",
    ]
    for item in estimate.items:
        lines.append(
            f"  {item.name:<40} {item.quantity_per_day:>14,.3f} {item.unit:<12} "
            f"{item.usd_per_day:>9.4f} {item.usd_per_month:>9.2f}  {item.detail}"
        )
    pipeline, total = estimate.pipeline_usd_per_day, estimate.total_usd_per_day
    lines.append(
        f"  {'pipeline (orchestration+compute+ingestion)':<67} {pipeline:>9.4f} "
        f"{pipeline * DAYS_PER_MONTH:>9.2f}"
    )
    lines.append(f"  {'total':<67} {total:>9.4f} {total * DAYS_PER_MONTH:>9.2f}")
    return "\n".join(lines)


def format_report(ours: Estimate, originals: Sequence[Estimate], data: Mapping[str, Any]) -> str:
    parts = [format_estimate(ours)]
    pipeline = ours.pipeline_usd_per_day
    shares = ", ".join(f"{i['name']} {i['share']:.0%}" for i in data["largest_pipeline_items"])
    parts.append(
        f"\npipeline ${pipeline:.4f}/day; largest items: {shares}.\n"
        f"Lambda durations are lower bounds measured on moto; {SENSITIVITY_EXTRA_MS:.0f} ms more per "
        f"invocation (network round trips) makes the pipeline "
        f"${data['sensitivity']['pipeline_usd_per_day']:.4f}/day."
    )
    for original in originals:
        parts.append("\n" + format_estimate(original))
    if originals:
        r5, r1 = data["ratio_vs_original"], data["ratio_vs_original_1s"]
        parts.append(
            f"\npipeline ratio: original at 5 s / ours = {r5:.1f}x; original at 1 s / ours = {r1:.1f}x."
        )
    parts.append(
        f"\nus-east-1 prices read on {pricing.READ_ON} (tools/pricing.py), free tiers not applied; "
        f"a month is {DAYS_PER_MONTH:.2f} days."
    )
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        synthesized = load_synthesized(args.template, args.config)
        options = Options(
            args.clusters,
            args.services_per_cluster,
            args.sink,
            dict(args.duration_ms),
            board_hours_per_day=args.board_hours_per_day,
            board_instances=args.board_instances,
        )
        ours = estimate(synthesized, options)
    except EstimateError as error:
        print(f"estimate_cost: {error}", file=sys.stderr)
        return 2
    originals = (
        [estimate_original(ORIGINAL_PERIOD_SECONDS), estimate_original(1)] if args.compare_original else []
    )
    data = report(ours, originals)
    if args.json:
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        print(format_report(ours, originals, data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
