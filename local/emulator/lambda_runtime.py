"""Lambda without Docker: moto's invocations run the real handler code from `lambdas/`, one at a
time, with the function's own environment, and what each handler prints is captured per
invocation (the stdout router) and its EMF lines published as metrics.

Invocations run one at a time: the Parallel branches are threads here, while each real Lambda
invocation has a process of its own. A function of another account (the organization demo's
members) runs in a module copy of its own (its own container: its own clients and caches), with
boto3's default session switched to that account's keys while it runs, as Lambda gives a function
its role's credentials. Failures come back with the `FunctionError` shape so the
state machine's Retry/Catch see them."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3

from local.emulator.emf_metrics import emf_documents, publish_emf
from local.emulator.faults import Faults
from synthesis.handler_runner import FakeLambdaContext, function_environment


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
    account_id: str = ""  # the function's account


class StdoutRouter(io.TextIOBase):
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

    def __init__(
        self,
        cloudwatch: Callable[[str], Any],
        stdout: StdoutRouter,
        faults: Faults | None = None,
        session: Callable[[str], Any] = lambda account_id: None,
    ) -> None:
        # account id -> its CloudWatch client (EMF lines land there) and its boto3 session (None:
        # the handler keeps boto3's default session).
        self.cloudwatch = cloudwatch
        self.session = session
        self.stdout = stdout
        self.faults = faults or Faults()
        self.invocations: list[Invocation] = []
        # Called with each event and the function's account just before its handler runs, inside
        # the invocation lock.
        self.before_invoke: Callable[[dict[str, Any], str], None] | None = None
        self.stopped = False
        self._lock = threading.Lock()
        self._modules: dict[tuple[str, str], Any] = {}  # (account id, module name) -> module

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
        account_id = str(function.account_id)
        with self._lock, function_environment(function.environment_vars), self._session_of(account_id):
            if self.stopped:
                return json.dumps({"errorType": "EmulatorStopped", "errorMessage": "stopped"}).encode(), True
            if self.before_invoke:
                self.before_invoke(event, account_id)
            started = time.time()
            error: str | None = None
            result: dict[str, Any] | None = None
            with (
                self.faults.during(module_name.split(".")[0], int(event.get("offset", -1))),
                self.stdout.capture() as printed,
            ):
                try:
                    handler = getattr(self._module(module_name, account_id), attribute)
                    result = handler(event, _context(function))
                except Exception as exc:  # a Lambda invocation reports every failure as FunctionError
                    error = f"{type(exc).__name__}: {exc}"
            lines = printed.getvalue().splitlines()
            documents = emf_documents(lines)
            publish_emf(self.cloudwatch(account_id), documents)
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
                    account_id,
                )
            )
        if error is not None:
            body = {"errorType": error.split(":")[0], "errorMessage": error}
            return json.dumps(body).encode(), True
        return json.dumps(result).encode(), False

    def warm_up(self, handlers: dict[str, dict[str, str]], account_id: str) -> None:
        """Import each handler module (handler string -> environment) before the first sample, as
        the container of a schedule that runs every minute stays warm in AWS. A cold import
        (boto3, Powertools) takes longer than a one-second period on a loaded machine, so without
        this the first samples of a run would start late and be dropped."""
        for handler, environment in handlers.items():
            with (
                self._lock,
                function_environment(environment),
                self._session_of(account_id),
                self.stdout.capture(),
            ):
                self._module(handler.rpartition(".")[0], account_id)

    def _module(self, name: str, account_id: str) -> Any:
        """The handler module, loaded afresh under the function's environment on its first
        invocation in this emulator: a cold start, so nothing cached by an earlier import in the
        same process (settings, clients, the cluster list) carries over. The first account to run
        it gets the module itself; each further account a copy of its own, outside sys.modules."""
        key = (account_id, name)
        if key not in self._modules:
            if any(loaded == name for _, loaded in self._modules):
                spec = importlib.util.find_spec(name)
                assert spec is not None and spec.loader is not None, name
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                self._modules[key] = module
            else:
                loaded = sys.modules.get(name)
                self._modules[key] = importlib.reload(loaded) if loaded else importlib.import_module(name)
        return self._modules[key]

    @contextlib.contextmanager
    def _session_of(self, account_id: str) -> Iterator[None]:
        """boto3's default session is `account_id`'s while the block runs (if it has one)."""
        session = self.session(account_id)
        if session is None:
            yield
            return
        saved = boto3.DEFAULT_SESSION
        boto3.DEFAULT_SESSION = session
        try:
            yield
        finally:
            boto3.DEFAULT_SESSION = saved


def _context(function: Any) -> FakeLambdaContext:
    return FakeLambdaContext(function.function_name, function.function_arn, int(function.memory_size))
