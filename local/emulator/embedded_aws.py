"""The embedded AWS's front: moto started with its gaps filled, its default account (and, for the
organization demo, more accounts entered with STS), and the verbs the demo and the tests use
(deploy, inject a fault, start a minute, deliver events). Each
job is a module of this package; this class only wires them and keeps the per-account state in
`EmulatedAccount`."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from moto import mock_aws
from moto.core.config import DefaultConfig

from local.emulator.account import ACCESS_ROLE, ACCOUNT, REGION, TEST_KEY, EmulatedAccount
from local.emulator.deploy import (
    EVENT_HANDLER,
    RECONCILE_HANDLER,
    Deployment,
    MonitoringDeployment,
    deploy,
    deploy_monitoring,
)
from local.emulator.event_bus import rule_message
from local.emulator.lambda_runtime import LambdaRuntime, StdoutRouter
from local.emulator.moto_patches import MotoPatches
from synthesis.synthesized import Synthesized

MOTO_CONFIG: DefaultConfig = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}


class EmbeddedAws:
    """moto with Step Functions execution, the JSONata hook and Lambda routed to our handlers."""

    def __init__(self) -> None:
        self._mock = mock_aws(config=MOTO_CONFIG)
        self._patches = MotoPatches()
        self.account = EmulatedAccount(ACCOUNT, REGION)
        self.accounts = {self.account.account_id: self.account}
        self.runtime: LambdaRuntime
        self._cloudwatch: dict[str, Any] = {}  # account id -> the client its EMF lines go to

    # What the demo and tests read of the (one) account.
    @property
    def volume_statuses(self) -> dict[str, str]:
        return self.account.volume_statuses

    @property
    def notifications(self) -> list[str]:
        return self.account.notifications

    @property
    def topic_arn(self) -> str:
        return self.account.topic_arn

    @property
    def delivered_events(self) -> list[dict[str, Any]]:
        return self.account.events.delivered

    def __enter__(self) -> EmbeddedAws:
        os.environ.update(
            AWS_ACCESS_KEY_ID=TEST_KEY, AWS_SECRET_ACCESS_KEY=TEST_KEY, AWS_DEFAULT_REGION=REGION
        )
        os.environ.pop("AWS_ENDPOINT_URL", None)
        self._mock.start()
        stdout = StdoutRouter(sys.stdout)
        # Not undone with the rest: see __exit__.
        sys.stdout = stdout
        self.runtime = LambdaRuntime(
            self._cloudwatch_of, stdout, session=lambda a: self.accounts[a].session()
        )
        self._patches.fill_gaps(self.runtime, lambda account_id: self.accounts[account_id].volume_statuses)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self.runtime.stop()
        self._patches.undo()
        self._mock.stop()
        # After Ctrl-C, moto's execution threads run on for a moment and their handlers still
        # print: the router stays, so that goes to each invocation's buffer, not the terminal.
        if exc_type is not KeyboardInterrupt and isinstance(sys.stdout, StdoutRouter):
            sys.stdout = sys.stdout.real

    def client(self, service: str) -> Any:
        return self.account.client(service)

    def add_account(self, account_id: str) -> EmulatedAccount:
        """Enter `account_id` as an organization's management account does: STS AssumeRole into the
        account's ACCESS_ROLE; moto attributes the keys it answers with to that account."""
        credentials = self.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/{ACCESS_ROLE}", RoleSessionName="highres-demo"
        )["Credentials"]
        account = EmulatedAccount(
            account_id,
            REGION,
            credentials={k: credentials[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")},
        )
        self.accounts[account_id] = account
        return account

    def _cloudwatch_of(self, account_id: str) -> Any:
        if account_id not in self._cloudwatch:
            self._cloudwatch[account_id] = self.accounts[account_id].client("cloudwatch")
        return self._cloudwatch[account_id]

    def patch(self, owner: Any, name: str, value: Any) -> None:
        """Set `owner.name` to `value` until the emulator stops."""
        self._patches.patch(owner, name, value)

    def inject_fault(self, handler_module: str, offsets: set[int], operation: str, error_code: str) -> None:
        """Make `operation` (e.g. "ecs.describe_clusters") fail with `error_code` for the invocations
        of `handler_module` (e.g. "ecs_counts") at `offsets`."""
        self.runtime.faults.inject(self.patch, handler_module, offsets, operation, error_code)

    def deploy(self, synthesized: Synthesized, account_id: str = ACCOUNT) -> Deployment:
        """Create the stack's functions, state machine and alarms from the synthesized template."""
        return deploy(self.accounts[account_id], self.runtime, synthesized)

    def deploy_monitoring(
        self, synthesized: Synthesized, namespace: str, account_id: str
    ) -> MonitoringDeployment:
        """Create an organization's monitoring template (topic, key, query alarms) in `account_id`."""
        return deploy_monitoring(self.accounts[account_id], synthesized, namespace)

    def publish_event(self, event: dict[str, Any], deliver_at: float) -> None:
        """Queue `event` for the event function at wall time `deliver_at` (as EventBridge would)."""
        self.account.events.publish(event, deliver_at)

    def deliver_due_events(self, deployment: Deployment, now: float) -> int:
        """Invoke the event function with every queued event whose time has come; how many."""
        arn = deployment.function_with(EVENT_HANDLER)
        due = self.account.events.take_due(now)
        for event in due:
            if arn is not None:
                self.client("lambda").invoke(FunctionName=arn, Payload=json.dumps(event).encode())
            self.account.events.delivered.append(event)
        return len(due)

    def run_reconcile(self, deployment: Deployment) -> dict[str, Any] | None:
        """One run of the reconcile job (what its schedule starts); its report, or None without one."""
        arn = deployment.function_with(RECONCILE_HANDLER)
        if arn is None:
            return None
        answer = self.client("lambda").invoke(FunctionName=arn, Payload=b"{}")
        report: dict[str, Any] = json.loads(answer["Payload"].read() or b"null")
        return report

    def emit_event(self, event: dict[str, Any], account_id: str | None = None) -> str | None:
        """What EventBridge does with `event` on the default bus of `account_id` (the default
        account's without) for the snapshot rule: the message published to the rule's topic, or
        None when the rule does not match (or is not deployed). A StackSet member's rule targets the
        central topic: published there, in the monitoring account, as its role would."""
        account = self.accounts[account_id or self.account.account_id]
        message = rule_message(account.snapshot_rule, event)
        if message is None:
            return None
        owner = self.accounts.get(account.snapshot_topic_arn.split(":")[4])
        if owner is None:
            raise KeyError(
                f"the snapshot rule's topic {account.snapshot_topic_arn} is in no emulated account"
            )
        owner.client("sns").publish(TopicArn=account.snapshot_topic_arn, Message=message)
        account.notifications.append(message)
        return message

    def start_minute(self, deployment: Deployment, synthesized: Synthesized, scheduled: datetime) -> str:
        """Start one sampler execution with the input the schedule rule would give."""
        event_time = scheduled.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        sfn = self.accounts[deployment.account_id].client("stepfunctions")
        execution_arn: str = sfn.start_execution(
            stateMachineArn=deployment.state_machine_arn,
            name=f"minute-{scheduled:%H%M%S}-{uuid.uuid4().hex[:6]}",
            input=json.dumps(synthesized.rule_input(event_time)),
        )["executionArn"]
        return execution_arn

    def wait_for(self, execution_arn: str, timeout_s: float) -> dict[str, Any]:
        """Poll until the execution leaves RUNNING (moto answers DescribeExecution for Express too)."""
        # arn:aws:states:REGION:ACCOUNT:execution:...: asked of the account that runs it.
        sfn = self.accounts[execution_arn.split(":")[4]].client("stepfunctions")
        deadline = time.time() + timeout_s
        while True:
            described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING" or time.time() > deadline:
                return described
            time.sleep(0.25)
