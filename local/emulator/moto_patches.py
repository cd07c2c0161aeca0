"""moto's gaps, filled for as long as the emulator runs, each one said where it is patched:

- JSONata: moto's evaluator is an empty hook; `jsonata-python` fills it.
- Lambda: without Docker, moto echoes payloads; `LambdaSimpleBackend.invoke` is routed to the
  emulator's runtime, which runs the real handler (`lambda_runtime`). moto's Step Functions calls
  Lambda with keys of its default account whatever the state machine's account; a function named
  by an ARN of another account is looked up in that account's Lambda (as the ARN says).
- Lambda tasks: moto's Step Functions creates a boto3 client for every Lambda task, from as many
  threads as a Parallel state has branches, through boto3's default session; sessions are not
  thread safe (boto3 guide, "Session"; boto/boto3#1592), and a branch whose client creation fails
  ends in States.Runtime without invoking anything. One client per region, created under a lock,
  serves every task (a client is thread safe once created).
- Wait states: moto truncates the time to a Timestamp to whole seconds (waking up to a second
  early) and local time stands in for UTC; here a Wait waits until the timestamp itself, as AWS
  does, so SampleDelay measures what it would measure there.
- EC2 DescribeVolumeStatus raises NotImplementedError in moto; it is answered from the calling
  account's `volume_statuses` with the one answer in `synthesis.handler_runner`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import jsonata
from moto.awslambda_simple.models import LambdaSimpleBackend, lambda_simple_backends
from moto.ec2.responses.elastic_block_store import ElasticBlockStore
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import (
    Timestamp as WaitTimestamp,
)
from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for as moto_boto_client_for

from local.emulator.lambda_runtime import LambdaRuntime
from synthesis.handler_runner import volume_status_answer


class MotoPatches:
    """Attributes set on moto's classes, each put back by `undo` (last set, first restored)."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def patch(self, owner: Any, name: str, value: Any) -> None:
        """Set `owner.name` to `value` until `undo`."""
        original = getattr(owner, name)
        setattr(owner, name, value)
        self._undo.append(lambda: setattr(owner, name, original))

    def undo(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()

    def fill_gaps(self, runtime: LambdaRuntime, volume_statuses: Callable[[str], Mapping[str, str]]) -> None:
        """Every gap of the module docstring; `volume_statuses` gives an account id's statuses."""
        # moto gap: JSONata expressions evaluate to nothing without an evaluator.
        self.patch(
            moto_jsonata, "_eval_jsonata", lambda expression: jsonata.Jsonata(expression).evaluate(None)
        )

        def invoke(
            backend: Any,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: Any,
        ) -> bytes:
            owner = _arn_owner(function_name)
            if owner is not None and owner != (backend.account_id, backend.region_name):
                backend = lambda_simple_backends[owner[0]][owner[1]]
            payload, failed = runtime.invoke(backend.get_function(function_name, qualifier), body)
            if failed:
                response_headers["x-amz-function-error"] = "Unhandled"
            return payload

        self.patch(LambdaSimpleBackend, "invoke", invoke)
        self.patch(lambda_eval_utils, "boto_client_for", _shared_clients(moto_boto_client_for))
        self.patch(WaitTimestamp, "_get_wait_seconds", _seconds_until_timestamp)
        self.patch(WaitTimestamp, "_wait_interval", _wait_until)

        def describe_volume_status(responder: Any) -> Any:
            return volume_status_answer(volume_statuses(responder.current_account))(responder)

        self.patch(ElasticBlockStore, "describe_volume_status", describe_volume_status)


def _shared_clients(create: Callable[..., Any]) -> Callable[..., Any]:
    """`create(region=..., service=..., state_credentials=...)` once per (region, service), under a
    lock; moto's factory gives every task the same test keys, so one client serves them all."""
    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def shared(region: str, service: str, state_credentials: Any = None) -> Any:
        with lock:
            if (region, service) not in clients:
                clients[region, service] = create(
                    region=region, service=service, state_credentials=state_credentials
                )
            return clients[region, service]

    return shared


def _arn_owner(function_name: str) -> tuple[str, str] | None:
    """(account, region) of a function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME), else None."""
    parts = function_name.split(":")
    return (parts[4], parts[3]) if function_name.startswith("arn:") and len(parts) >= 7 else None


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
