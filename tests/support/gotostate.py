"""Shared test support for gotostate: recorded histories, and moto's Step Functions engine with
in-process Lambda functions (no Docker) and the JSONata evaluator wired in.

moto gaps worked around here (each named where it is patched):
- moto's JSONata evaluator is an empty hook: point it at jsonata-python.
- Lambda without Docker echoes the payload: run Python callables registered by the test instead,
  and report their exceptions with the FunctionError shape so Retry/Catch see them.
- DescribeStateMachineForExecution returns the machine's *current* definition in moto; AWS
  returns the one the execution ran. Patched to answer from the execution's own snapshot.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import boto3
import jsonata
import moto.stepfunctions.parser.asl.jsonata.jsonata as moto_jsonata
import pytest
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.responses import ActionResult
from moto.stepfunctions.responses import StepFunctionResponse

from tests.support.collectors import fake_aws

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "histories"
REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/gotostate-test"
EMULATOR_CONFIG: Any = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}
Handler = Callable[[Any], Any]


def load_history(name: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads((FIXTURES / name).read_text())["events"]
    return events


def _describe_state_machine_for_execution(self: StepFunctionResponse) -> ActionResult:
    """AWS semantics: the definition and configuration the execution ran with."""
    execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
    machine = cast(Any, execution).state_machine  # the parser backend's per-execution snapshot
    return ActionResult(
        {
            "stateMachineArn": execution.state_machine_arn,
            "name": machine.name,
            "definition": machine.definition,
            "roleArn": machine.roleArn,
            "updateDate": machine.update_date,
            "loggingConfiguration": machine.loggingConfiguration,
            "tracingConfiguration": machine.tracingConfiguration,
            "encryptionConfiguration": machine.encryptionConfiguration,
        }
    )


class Emulator:
    """moto's Step Functions engine plus Lambda functions that run Python callables in-process."""

    def __init__(self, sfn: SFNClient) -> None:
        self.sfn = sfn
        self.handlers: dict[str, Handler] = {}
        self.invocations: dict[str, list[Any]] = {}

    def add_function(self, name: str, handler: Handler) -> str:
        self.handlers[name] = handler
        self.invocations[name] = []
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("handler.py", "def handler(event, context):\n    return event\n")
        function = boto3.client("lambda", region_name=REGION).create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=ROLE_ARN,
            Handler="handler.handler",
            Code={"ZipFile": archive.getvalue()},
        )
        return str(function["FunctionArn"])

    def invoke(self, function_name: str, body: Any, response_headers: dict[str, str]) -> bytes:
        name = function_name.rsplit(":", 1)[-1]
        event = json.loads(body) if body else {}
        self.invocations[name].append(event)
        try:
            return json.dumps(self.handlers[name](event)).encode()
        except Exception as exc:  # the handler's failure, reported as Lambda reports it
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}).encode()

    def create_machine(self, name: str, definition: dict[str, Any], **settings: Any) -> str:
        created = self.sfn.create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=ROLE_ARN, **settings
        )
        return created["stateMachineArn"]

    def wait(self, execution_arn: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            described = dict(self.sfn.describe_execution(executionArn=execution_arn))
            if described["status"] != "RUNNING" or time.monotonic() > deadline:
                return described
            time.sleep(0.02)

    def run(self, machine_arn: str, execution_input: Any, name: str = "first-run") -> str:
        """Start an execution and wait for it to end; returns its ARN."""
        started = self.sfn.start_execution(
            stateMachineArn=machine_arn, name=name, input=json.dumps(execution_input)
        )
        self.wait(started["executionArn"])
        return started["executionArn"]

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        return [dict(event) for event in self.sfn.get_execution_history(executionArn=execution_arn)["events"]]

    def entered(self, execution_arn: str) -> list[tuple[str, Any]]:
        """(state name, input) of every state the execution entered, in order."""
        return [
            (
                event["stateEnteredEventDetails"]["name"],
                json.loads(event["stateEnteredEventDetails"]["input"]),
            )
            for event in self.history(execution_arn)
            if "stateEnteredEventDetails" in event
        ]

    def output(self, execution_arn: str) -> Any:
        return json.loads(self.sfn.describe_execution(executionArn=execution_arn)["output"])


@contextmanager
def emulated_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """moto with Step Functions really executing ASL, JSONata, and in-process Lambdas."""
    fake_aws(monkeypatch)
    monkeypatch.delenv("AWS_ENDPOINT_URL_SFN", raising=False)
    monkeypatch.setattr(moto_jsonata, "_eval_jsonata", lambda expr: jsonata.Jsonata(expr).evaluate(None))
    monkeypatch.setattr(
        StepFunctionResponse, "describe_state_machine_for_execution", _describe_state_machine_for_execution
    )
    with mock_aws(config=EMULATOR_CONFIG):
        emulator = Emulator(boto3.client("stepfunctions", region_name=REGION))

        def invoke(
            _backend: LambdaSimpleBackend,
            function_name: str,
            _qualifier: str | None,
            body: Any,
            _headers: Any,
            response_headers: dict[str, str],
        ) -> bytes:
            return emulator.invoke(function_name, body, response_headers)

        monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)
        boto3.client("iam", region_name=REGION).create_role(
            RoleName="gotostate-test", AssumeRolePolicyDocument="{}"
        )
        yield emulator
