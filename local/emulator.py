"""The embedded AWS: moto, with the synthesized stack deployed into it and Lambda running our code.

Used by `make demo` and by the end-to-end tests. Everything it deploys comes from the synthesized
template (`local.synthesized`): the sampler ASL with its substitutions resolved against the
functions created here, each function's handler, memory, timeout and environment, the rule's
input and the alarm definitions.

Where moto lacks something, this module works around it, and each workaround says so:

- JSONata: moto's evaluator is an empty hook; `jsonata-python` fills it.
- Lambda: without Docker, moto echoes payloads. `LambdaSimpleBackend.invoke` is routed to the
  real handler module from `lambdas/`, imported and called with the function's own environment,
  and failures come back with the `FunctionError` shape so Retry/Catch see them. Invocations run
  one at a time (the Parallel branches are threads here, while each real Lambda invocation has a
  process of its own), and what a handler prints is captured per invocation.
- EMF: CloudWatch Logs turns Embedded Metric Format log lines into metrics in AWS; here the
  captured lines are parsed and written to the emulated CloudWatch with PutMetricData.
- Wait states: moto truncates the time to a Timestamp to whole seconds (waking up to a second
  early) and local time stands in for UTC; the emulator waits until the timestamp itself, as AWS
  does, so SampleDelay measures what it would measure there.
- EC2 DescribeVolumeStatus raises NotImplementedError in moto; it is answered from
  `volume_statuses` (volume id -> status; absent = ok).
- EventBridge never matches events in moto: `emit_event` applies the synthesized snapshot rule's
  pattern and input transformer to an event, as EventBridge would, and publishes the message to
  the emulated alarm topic (`notifications` keeps each message).
- EventBridge: moto never fires a rule by itself, and its EC2 emits no events. In events mode the
  emulator is the event bus: `publish_event` queues an EC2/EBS state event for delivery at a
  given time, and `deliver_due_events` invokes the stack's event function with each one that is
  due, as a rule target would (asynchronously, at least once, unordered: the caller chooses the
  times, so a duplicate or a late event is just another entry). `run_reconcile` invokes the
  reconcile function, as its schedule would.
- DynamoDB: the state table is created in moto with the template's key schema; functions whose
  environment names it (`{"Ref": table}`) get the emulated table's name.
- Faults: `inject_fault` makes one AWS operation fail with an error code for the invocations of a
  collector at given offsets, inside moto's response layer, as AWS would answer.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import jsonata
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.config import DefaultConfig
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.ec2.responses.elastic_block_store import ElasticBlockStore
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import (
    Timestamp as WaitTimestamp,
)
from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

from collector_core import env_names
from synthesis.handler_runner import FakeLambdaContext, function_environment
from synthesis.synthesized import Synthesized

REPO_ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
ACCOUNT = "123456789012"
MOTO_CONFIG: DefaultConfig = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}


@dataclass
class Invocation:
    """One Lambda invocation as the emulator ran it."""

    function: str
    event: dict[str, Any]
    started: float
    duration_s: float
    result: dict[str, Any] | None
    error: str | None
    emf_documents: int
    log_lines: list[str] = field(default_factory=list)


@dataclass
class Deployment:
    """What `EmbeddedAws.deploy` created: the names and ARNs the demo and tests need."""

    state_machine_arn: str
    function_arns: dict[str, str]  # logical id -> ARN
    namespace: str
    state_table: str | None = None  # events mode: the emulated state table
    handlers: dict[str, str] = field(default_factory=dict)  # logical id -> handler string

    def function_with(self, handler: str) -> str | None:
        """The ARN of the function running `handler`, if the stack has one."""
        return next((self.function_arns[lid] for lid, h in self.handlers.items() if h == handler), None)


EVENT_HANDLER = "ec2_state_events.handler.handler"
RECONCILE_HANDLER = "ec2_state_events.reconcile_handler.handler"


class _StdoutRouter(io.TextIOBase):
    """Stands in for sys.stdout while the emulator runs: what an invocation prints goes to that
    invocation's buffer, anything else to `real`, the stream that was sys.stdout when the emulator
    started.

    The capture must not depend on whoever owns sys.stdout later. rich's live display, on a
    terminal, swaps sys.stdout for a proxy that writes through its console; if that console writes
    to "whatever sys.stdout is", a router that forwarded there would write into itself and hang.
    So the router never looks sys.stdout up again, and a write that re-enters it while it is
    forwarding (a stream that writes back into the router) goes to the process's own stdout.
    """

    def __init__(self, real: Any) -> None:
        self.real = real
        self.local = threading.local()

    def write(self, text: str) -> int:
        buffer = getattr(self.local, "buffer", None)
        if buffer is not None:
            return int(buffer.write(text))
        return int(self._forward(lambda stream: stream.write(text)) or 0)

    def flush(self) -> None:
        buffer = getattr(self.local, "buffer", None)
        if buffer is None:
            self._forward(lambda stream: stream.flush())

    def isatty(self) -> bool:
        return bool(getattr(self.real, "isatty", lambda: False)())

    def _forward(self, call: Callable[[Any], Any]) -> Any:
        if getattr(self.local, "forwarding", False):
            return call(sys.__stdout__)
        self.local.forwarding = True
        try:
            return call(self.real)
        finally:
            self.local.forwarding = False

    @contextlib.contextmanager
    def capture(self) -> Iterator[io.StringIO]:
        self.local.buffer = io.StringIO()
        try:
            yield self.local.buffer
        finally:
            self.local.buffer = None


class LambdaRuntime:
    """Runs moto's Lambda invocations with the real handler code, one at a time."""

    def __init__(self, cloudwatch: Any, stdout: _StdoutRouter) -> None:
        self.cloudwatch = cloudwatch
        self.stdout = stdout
        self.invocations: list[Invocation] = []
        self.faults: dict[tuple[str, int], tuple[str, str]] = {}  # (handler module, offset) -> fault
        self.active_fault = threading.local()
        # Called with each event just before its handler runs, inside the invocation lock.
        self.before_invoke: Callable[[dict[str, Any]], None] | None = None
        self.stopped = False
        self._lock = threading.Lock()
        self._modules: dict[str, Any] = {}

    def stop(self) -> None:
        """Wait for the invocation in progress, then refuse any later one.

        Execution threads can outlive the emulator (Ctrl-C). A handler still running while the
        mock stops and sys.stdout is restored would call the real endpoint and print its EMF
        lines on the terminal; a scenario change would do the same. So the emulator stops only
        between invocations, and what the threads start afterwards fails at once."""
        with self._lock:
            self.stopped = True
            self.before_invoke = None

    def invoke(self, function: Any, payload: bytes) -> tuple[bytes, bool]:
        """Run `function`'s handler on `payload`; returns (response payload, failed)."""
        event = json.loads(payload or b"{}")
        module_name, _, attribute = function.handler.rpartition(".")
        with self._lock, function_environment(function.environment_vars):
            if self.stopped:
                return json.dumps({"errorType": "EmulatorStopped", "errorMessage": "stopped"}).encode(), True
            if self.before_invoke:
                self.before_invoke(event)
            started = time.time()
            fault = self.faults.get((module_name.split(".")[0], int(event.get("offset", -1))))
            self.active_fault.value = fault
            error: str | None = None
            result: dict[str, Any] | None = None
            with self.stdout.capture() as printed:
                try:
                    handler = getattr(self._module(module_name), attribute)
                    result = handler(event, _context(function))
                except Exception as exc:  # a Lambda invocation reports every failure as FunctionError
                    error = f"{type(exc).__name__}: {exc}"
                finally:
                    self.active_fault.value = None
            lines = printed.getvalue().splitlines()
            documents = [doc for doc in map(_json_or_none, lines) if doc and "_aws" in doc]
            self._publish_emf(documents)
            self.invocations.append(
                Invocation(
                    function.function_name,
                    event,
                    started,
                    time.time() - started,
                    result,
                    error,
                    len(documents),
                    [line for line in lines if '"_aws"' not in line],
                )
            )
        if error is not None:
            body = {"errorType": error.split(":")[0], "errorMessage": error}
            return json.dumps(body).encode(), True
        return json.dumps(result).encode(), False

    def warm_up(self, handlers: dict[str, dict[str, str]]) -> None:
        """Import each handler module (handler string -> environment) before the first sample, as
        the container of a schedule that runs every minute stays warm in AWS. A cold import
        (boto3, Powertools) takes longer than a one-second period on a loaded machine, so without
        this the first samples of a run would start late and be dropped."""
        for handler, environment in handlers.items():
            with self._lock, function_environment(environment), self.stdout.capture():
                self._module(handler.rpartition(".")[0])

    def _module(self, name: str) -> Any:
        """The handler module, loaded afresh under the function's environment on its first
        invocation in this emulator: a cold start, so nothing cached by an earlier import in the
        same process (settings, clients, the cluster list) carries over."""
        if name not in self._modules:
            loaded = sys.modules.get(name)
            self._modules[name] = importlib.reload(loaded) if loaded else importlib.import_module(name)
        return self._modules[name]

    def _publish_emf(self, documents: list[dict[str, Any]]) -> None:
        """What CloudWatch Logs does with EMF lines: one datum per metric, at the document's time."""
        for document in documents:
            timestamp = datetime.fromtimestamp(document["_aws"]["Timestamp"] / 1000, UTC)
            for directive in document["_aws"]["CloudWatchMetrics"]:
                for dimension_set in directive["Dimensions"]:
                    dims = [{"Name": key, "Value": document[key]} for key in dimension_set]
                    datums = [
                        {
                            "MetricName": metric["Name"],
                            "Dimensions": dims,
                            "Timestamp": timestamp,
                            "Value": float(value),
                            "Unit": metric.get("Unit", "None"),
                            "StorageResolution": metric.get("StorageResolution", 60),
                        }
                        for metric in directive["Metrics"]
                        for value in _values(document[metric["Name"]])
                    ]
                    self.cloudwatch.put_metric_data(Namespace=directive["Namespace"], MetricData=datums)


class EmbeddedAws:
    """moto with Step Functions execution, the JSONata hook and Lambda routed to our handlers."""

    def __init__(self) -> None:
        self._mock = mock_aws(config=MOTO_CONFIG)
        self._undo: list[Callable[[], None]] = []
        self.volume_statuses: dict[str, str] = {}
        self.runtime: LambdaRuntime
        self.notifications: list[str] = []
        self.topic_arn = ""
        self._snapshot_rule: dict[str, Any] | None = None
        # Events mode: (delivery time, sequence, event) waiting for the event function.
        self._pending_events: list[tuple[float, int, dict[str, Any]]] = []
        self._events_lock = threading.Lock()
        self.delivered_events: list[dict[str, Any]] = []

    def __enter__(self) -> EmbeddedAws:
        os.environ.update(
            AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION
        )
        os.environ.pop("AWS_ENDPOINT_URL", None)
        self._mock.start()
        stdout = _StdoutRouter(sys.stdout)
        # Not undone with the rest: see __exit__.
        sys.stdout = stdout
        self.runtime = LambdaRuntime(self.client("cloudwatch"), stdout)
        self._patch_moto()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self.runtime.stop()
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()
        self._mock.stop()
        # After Ctrl-C, moto's execution threads run on for a moment and their handlers still
        # print: the router stays, so that goes to each invocation's buffer, not the terminal.
        if exc_type is not KeyboardInterrupt and isinstance(sys.stdout, _StdoutRouter):
            sys.stdout = sys.stdout.real

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]

    def patch(self, owner: Any, name: str, value: Any) -> None:
        """Set `owner.name` to `value` until the emulator stops."""
        original = getattr(owner, name)
        setattr(owner, name, value)
        self._undo.append(lambda: setattr(owner, name, original))

    def _patch_moto(self) -> None:
        # moto gap: JSONata expressions evaluate to nothing without an evaluator.
        self.patch(
            moto_jsonata, "_eval_jsonata", lambda expression: jsonata.Jsonata(expression).evaluate(None)
        )
        runtime = self.runtime

        def invoke(
            backend: Any,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: Any,
        ) -> bytes:
            payload, failed = runtime.invoke(backend.get_function(function_name, qualifier), body)
            if failed:
                response_headers["x-amz-function-error"] = "Unhandled"
            return payload

        self.patch(LambdaSimpleBackend, "invoke", invoke)
        self.patch(WaitTimestamp, "_get_wait_seconds", _seconds_until_timestamp)
        self.patch(WaitTimestamp, "_wait_interval", _wait_until)
        statuses = self.volume_statuses

        def describe_volume_status(responder: Any) -> Any:
            items = [
                {"VolumeId": v, "VolumeStatus": {"Status": s, "Details": []}} for v, s in statuses.items()
            ]
            return ActionResult({"VolumeStatuses": items})

        self.patch(ElasticBlockStore, "describe_volume_status", describe_volume_status)

    def inject_fault(self, handler_module: str, offsets: set[int], operation: str, error_code: str) -> None:
        """Make `operation` (e.g. "ecs.describe_clusters") fail with `error_code` for the invocations
        of `handler_module` (e.g. "ecs_counts") at `offsets`."""
        service, method = operation.split(".")
        responses = {
            "ecs": ("moto.ecs.responses", "EC2ContainerServiceResponse"),
            "ec2": ("moto.ec2.responses", "EC2Response"),
        }[service]
        response_class = getattr(importlib.import_module(responses[0]), responses[1])
        original = getattr(response_class, method)
        runtime = self.runtime

        def failing(responder: Any, *args: Any, **kwargs: Any) -> Any:
            fault = getattr(runtime.active_fault, "value", None)
            if fault == (operation, error_code):
                raise JsonRESTError(error_code, f"injected by the emulator: {operation} answers {error_code}")
            return original(responder, *args, **kwargs)

        if not getattr(original, "_emulator_fault", False):
            failing._emulator_fault = True  # type: ignore[attr-defined]
            self.patch(response_class, method, failing)
        for offset in offsets:
            runtime.faults[(handler_module, offset)] = (operation, error_code)

    def deploy(self, synthesized: Synthesized) -> Deployment:
        """Create the stack's functions, state machine and alarms from the synthesized template."""
        state_table = self._create_state_table(synthesized)
        iam = self.client("iam")
        role_arn = iam.create_role(
            RoleName=f"emulated-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument="{}"
        )["Role"]["Arn"]
        lambda_client = self.client("lambda")
        arns = {}
        code = _placeholder_zip()
        for logical_id, spec in synthesized.functions.items():
            arns[logical_id] = lambda_client.create_function(
                FunctionName=logical_id,
                Runtime=spec.runtime,
                Role=role_arn,
                Handler=spec.handler,
                Code={"ZipFile": code},
                MemorySize=spec.memory_mb,
                Timeout=spec.timeout_seconds,
                Architectures=[spec.architecture],
                Environment={"Variables": _resolved_environment(spec.environment, state_table)},
            )["FunctionArn"]
        self.runtime.warm_up(
            {
                spec.handler: _resolved_environment(spec.environment, state_table)
                for spec in synthesized.functions.values()
            }
        )
        machine = synthesized.state_machine
        sfn = self.client("stepfunctions")
        state_machine_arn = sfn.create_state_machine(
            name=f"Sampler-{uuid.uuid4().hex[:8]}",
            definition=machine.resolved(arns),
            roleArn=role_arn,
            type=machine.workflow_type,
        )["stateMachineArn"]
        namespaces = {
            spec.environment[env_names.METRICS_NAMESPACE]
            for spec in synthesized.functions.values()
            if env_names.METRICS_NAMESPACE in spec.environment  # the event function publishes no metric
        }
        (namespace,) = namespaces
        cloudwatch = self.client("cloudwatch")
        for alarm in synthesized.alarms:
            if alarm.namespace != namespace:
                continue  # AWS/* metrics (Lambda, States, Events) are not published by moto
            if alarm.query:
                watched: dict[str, Any] = {
                    "Metrics": [
                        {"Id": "q", "Expression": alarm.query, "Period": alarm.period, "ReturnData": True}
                    ]
                }
            else:
                watched = {
                    "Namespace": alarm.namespace,
                    "MetricName": alarm.metric_name,
                    "Dimensions": [{"Name": k, "Value": str(v)} for k, v in alarm.dimensions.items()],
                    "Statistic": alarm.statistic,
                    "Period": alarm.period,
                }
            cloudwatch.put_metric_alarm(
                AlarmName=alarm.name,
                AlarmDescription=alarm.description,
                **watched,
                EvaluationPeriods=alarm.evaluation_periods,
                DatapointsToAlarm=alarm.datapoints_to_alarm,
                Threshold=alarm.threshold,
                ComparisonOperator=alarm.comparison,
                TreatMissingData=alarm.missing,
            )
        self._snapshot_rule = synthesized.snapshot_rule
        self.topic_arn = self.client("sns").create_topic(Name="alarms")["TopicArn"]
        handlers = {lid: spec.handler for lid, spec in synthesized.functions.items()}
        return Deployment(
            state_machine_arn, arns, namespace, state_table[1] if state_table else None, handlers
        )

    def _create_state_table(self, synthesized: Synthesized) -> tuple[str, str] | None:
        """(logical id, emulated name) of the events mode's table, created with its key schema."""
        tables = synthesized.resources("AWS::DynamoDB::Table")
        if not tables:
            return None
        ((logical_id, props),) = tables.items()
        name = f"emulated-{logical_id}"
        self.client("dynamodb").create_table(
            TableName=name,
            KeySchema=props["KeySchema"],
            AttributeDefinitions=props["AttributeDefinitions"],
            BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"),
        )
        return logical_id, name

    def publish_event(self, event: dict[str, Any], deliver_at: float) -> None:
        """Queue `event` for the event function at wall time `deliver_at` (as EventBridge would)."""
        with self._events_lock:
            self._pending_events.append(
                (deliver_at, len(self.delivered_events) + len(self._pending_events), event)
            )
            self._pending_events.sort(key=lambda item: item[:2])

    def deliver_due_events(self, deployment: Deployment, now: float) -> int:
        """Invoke the event function with every queued event whose time has come; how many."""
        arn = deployment.function_with(EVENT_HANDLER)
        with self._events_lock:
            due = [item for item in self._pending_events if item[0] <= now]
            self._pending_events = [item for item in self._pending_events if item[0] > now]
        for _, _, event in due:
            if arn is not None:
                self.client("lambda").invoke(FunctionName=arn, Payload=json.dumps(event).encode())
            self.delivered_events.append(event)
        return len(due)

    def run_reconcile(self, deployment: Deployment) -> dict[str, Any] | None:
        """One run of the reconcile job (what its schedule starts); its report, or None without one."""
        arn = deployment.function_with(RECONCILE_HANDLER)
        if arn is None:
            return None
        answer = self.client("lambda").invoke(FunctionName=arn, Payload=b"{}")
        report: dict[str, Any] = json.loads(answer["Payload"].read() or b"null")
        return report

    def emit_event(self, event: dict[str, Any]) -> str | None:
        """What EventBridge does with `event` on the default bus for the snapshot rule: the message
        published to the alarm topic, or None when the rule does not match (or is not deployed)."""
        rule = self._snapshot_rule
        if rule is None or not matches(rule["pattern"], event):
            return None
        message = transform(rule["input_template"], rule["input_paths"], event)
        self.client("sns").publish(TopicArn=self.topic_arn, Message=message)
        self.notifications.append(message)
        return message

    def start_minute(self, deployment: Deployment, synthesized: Synthesized, scheduled: datetime) -> str:
        """Start one sampler execution with the input the schedule rule would give."""
        event_time = scheduled.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        execution_arn: str = self.client("stepfunctions").start_execution(
            stateMachineArn=deployment.state_machine_arn,
            name=f"minute-{scheduled:%H%M%S}-{uuid.uuid4().hex[:6]}",
            input=json.dumps(synthesized.rule_input(event_time)),
        )["executionArn"]
        return execution_arn

    def wait_for(self, execution_arn: str, timeout_s: float) -> dict[str, Any]:
        """Poll until the execution leaves RUNNING (moto answers DescribeExecution for Express too)."""
        sfn = self.client("stepfunctions")
        deadline = time.time() + timeout_s
        while True:
            described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING" or time.time() > deadline:
                return described
            time.sleep(0.25)


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """EventBridge's matching for the pattern shapes this stack uses: every key of the pattern must
    be in the event; a list holds the values allowed; a nested object matches the nested field."""
    for key, wanted in pattern.items():
        if key not in event:
            return False
        if isinstance(wanted, dict):
            if not isinstance(event[key], dict) or not matches(wanted, event[key]):
                return False
        elif event[key] not in wanted:
            return False
    return True


def transform(template: str, paths: dict[str, str], event: dict[str, Any]) -> str:
    """An input transformer: each `<name>` replaced by the value at its `$.a.b` path. A template
    that is a quoted string gives that string's text (EventBridge inserts values unquoted in it)."""
    text = template
    for name, path in paths.items():
        value: Any = event
        for part in path.removeprefix("$.").split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        text = text.replace(
            f"<{name}>", json.dumps(value)[1:-1] if isinstance(value, str) else json.dumps(value)
        )
    if text.startswith('"') and text.endswith('"'):
        decoded: str = json.loads(text)
        return decoded
    return text


def read_metrics(
    cloudwatch: Any, namespace: str, start: datetime, end: datetime
) -> dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[datetime, float]]]:
    """Every metric of `namespace` at a one-second period (Maximum), as sorted (time, value) lists."""
    series: dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[datetime, float]]] = {}
    listed = {
        _metric_key(m): m
        for page in cloudwatch.get_paginator("list_metrics").paginate(Namespace=namespace)
        for m in page["Metrics"]
    }
    metrics = list(listed.values())
    for batch_start in range(0, len(metrics), 500):
        batch = metrics[batch_start : batch_start + 500]
        queries = [
            {
                "Id": f"m{i}",
                "MetricStat": {"Metric": metric, "Period": 1, "Stat": "Maximum"},
                "ReturnData": True,
            }
            for i, metric in enumerate(batch)
        ]
        for page in cloudwatch.get_paginator("get_metric_data").paginate(
            MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending"
        ):
            for result in page["MetricDataResults"]:
                points = series.setdefault(_metric_key(batch[int(result["Id"][1:])]), [])
                points += zip(result["Timestamps"], result["Values"], strict=True)
    return {key: sorted(points) for key, points in series.items()}


def _resolved_environment(environment: dict[str, Any], state_table: tuple[str, str] | None) -> dict[str, str]:
    """The function's variables, with the template's `{"Ref": table}` replaced by the emulated name."""
    resolved = {}
    for name, given in environment.items():
        value = state_table[1] if state_table and given == {"Ref": state_table[0]} else given
        if not isinstance(value, str):
            raise TypeError(f"{name}: the emulator cannot resolve {value!r}")
        resolved[name] = value
    return resolved


def _metric_key(metric: dict[str, Any]) -> tuple[str, tuple[tuple[str, str], ...]]:
    dimensions = tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", [])))
    return metric["MetricName"], dimensions


def _context(function: Any) -> FakeLambdaContext:
    return FakeLambdaContext(function.function_name, function.function_arn, int(function.memory_size))


def _json_or_none(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        parsed = json.loads(line)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _seconds_until_timestamp(wait: Any, env: Any) -> float:
    """A Wait state's Timestamp, to the millisecond, against UTC (moto: whole seconds, local time)."""
    wait.string.eval(env=env)
    text: str = env.stack.pop()
    timestamp = wait._from_timestamp_string(timestamp=text)
    if timestamp is None:
        raise FailureEventException(wait._create_failure_event(env, text))
    now = datetime.now(UTC).replace(tzinfo=None)
    return max(0.0, float((timestamp - now).total_seconds()))


def _wait_until(wait: Any, env: Any, wait_seconds: float) -> None:
    """Sleep until the deadline or until the execution stops (moto re-waits in rounded seconds)."""
    deadline = time.time() + wait_seconds
    while env.is_running():
        remaining = deadline - time.time()
        if remaining <= 0:
            return
        env.program_state_event.wait(remaining)


def _values(target: Any) -> list[float]:
    """An EMF metric member holds one value or an array of values."""
    return [float(v) for v in target] if isinstance(target, list) else [float(target)]


def _placeholder_zip() -> bytes:
    """moto stores a code zip; the handlers themselves run from lambdas/ (the asset's source)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Handlers run from the project's lambdas/ folder.")
    return buffer.getvalue()
