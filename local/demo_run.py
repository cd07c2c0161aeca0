"""One demo run: the app synthesized with the demo's settings, deployed into the embedded AWS,
`minutes` sampler executions run in real time while a scripted scenario changes the seeded
account, and everything they produced read back (`RunResult`). `make demo` (local/demo.py) and the
end-to-end tests run it; local/demo_report.py shows it."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

Series = dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[datetime, float]]]

REPO_ROOT = Path(__file__).resolve().parents[1]

# Demo-only settings on top of highres.config.json: per-cluster alarms need cluster names at
# synth, and a running-task floor lets the run show an alarm firing.
DEMO_CONTEXT: dict[str, Any] = {
    "alarmClusters": "web,batch,payments",
    "alarmThresholds": '{"pendingStuckSeconds": 30, "runningTasksMin": 4}',
}
# The scenario's fault: the ECS collector is denied DescribeClusters for this sample.
FAULT_OFFSET = 33
# moto starts an execution's 72 branches one thread at a time, which takes seconds on a loaded
# 2-core machine (AWS takes milliseconds), so each execution starts this long before its minute.
# Its input still names the scheduled minute and every Wait waits for an absolute second, so
# nothing moves: the first samples are simply not late.
EXECUTION_LEAD_S = 5


class DemoError(RuntimeError):
    """Something the demo needs is missing; the message says what to do."""


@dataclass
class RunResult:
    """What one demo run produced: the data, the executions and the alarm verdicts."""

    series: Series
    statuses: list[str]
    outputs: list[Any]
    invocations: list[Any]
    verdicts: list[Any]
    start: datetime
    end: datetime
    namespace: str
    sample_periods: dict[str, int] = field(default_factory=dict)  # collector -> seconds
    notifications: list[str] = field(default_factory=list)  # messages the snapshot rule published
    clusters: list[str] = field(default_factory=list)  # the account's clusters at the end


# Events mode: EC2/EBS states sampled every second, as the mode allows (its calls do not grow
# with the fleet).
EVENTS_CONTEXT: dict[str, Any] = {
    "ec2StateSource": "events",
    "samplePeriods": '{"ecs_counts": 1, "ec2_ebs_state": 1}',
}


def synthesize(outdir: Path, ec2_state_source: str = "poll") -> Any:
    """The app as `cdk synth` builds it from the config file plus the demo's context."""
    from stacks.deployment_config import load_config
    from synthesis import synth

    context = DEMO_CONTEXT | (EVENTS_CONTEXT if ec2_state_source == "events" else {})
    try:
        return synth.synthesize(load_config(context, REPO_ROOT), outdir)
    except synth.SynthError as error:
        raise DemoError(str(error)) from None


def run(minutes: int, synthesized: Any, progress: Any = None, inject_fault: bool = True) -> RunResult:
    """Deploy into the emulator, seed, run `minutes` sampler executions in real time, read back."""
    from local.alarm_evaluation import evaluate_alarm
    from local.demo_account import Change, seed_account
    from local.emulator import EmbeddedAws, read_metrics

    with EmbeddedAws() as aws:
        if progress:
            progress.emulator_started()
        deployment = aws.deploy(synthesized)
        account = seed_account(aws)
        if progress:
            progress.attach(aws, deployment.namespace)
        if deployment.state_table:
            # Events mode: the reconcile job's first run seeds the table, as after a real deploy.
            seeded = aws.run_reconcile(deployment) or {}
            if progress:
                progress.log(
                    f"events mode: the reconcile seeded the state table ({seeded.get('seeded')} items)"
                )
        if inject_fault:
            aws.inject_fault("ecs_counts", {FAULT_OFFSET}, "ecs.describe_clusters", "AccessDeniedException")
        # The rule fires on whole minutes; the demo starts at a whole second soon after the
        # emulator is ready instead of making you wait for one.
        first = datetime.fromtimestamp(math.ceil(time.time()) + EXECUTION_LEAD_S + 1, UTC)
        applied: list[Change] = []

        def apply_due_changes(event: dict[str, Any], account_id: str) -> None:
            # A scripted change lands just before the first sample of its second, whatever the
            # machine's load: the scenario is deterministic, so the tests can hold it exactly.
            if "offset" not in event:
                return  # a state event or the reconcile, not a sample
            scheduled = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
            due = account.due((scheduled - first).total_seconds() + event.get("offset", 0))
            applied.extend(due)
            if deployment.state_table:
                for change in due:
                    publish_state_events(aws, change, first.timestamp() + change.second)

        aws.runtime.before_invoke = apply_due_changes
        executions: list[str] = []
        total = minutes * 60
        while (elapsed := time.time() - first.timestamp()) < total + 1:
            if elapsed >= 60 * len(executions) - EXECUTION_LEAD_S and len(executions) < minutes:
                scheduled = first + timedelta(minutes=len(executions))
                executions.append(aws.start_minute(deployment, synthesized, scheduled))
            if deployment.state_table:
                _deliver_state_events(aws, deployment, first, progress)
            while applied:
                change = applied.pop(0)
                if progress:
                    progress.log(f"second {change.second:2d}: {change.description}")
            if progress:
                progress.advance(max(0.0, min(elapsed, total)))
            time.sleep(0.1)
        described = [aws.wait_for(arn, timeout_s=30) for arn in executions]
        clusters = [arn.rsplit("/", 1)[-1] for arn in aws.client("ecs").list_clusters()["clusterArns"]]
        end = first + timedelta(minutes=minutes)
        series = read_metrics(aws.client("cloudwatch"), deployment.namespace, first, end)
        verdicts = [
            evaluate_alarm(alarm, series, first, end)
            for alarm in synthesized.alarms
            if alarm.namespace == deployment.namespace
        ]
    return RunResult(
        series,
        [d["status"] for d in described],
        [json.loads(d.get("output") or "null") for d in described],
        list(aws.runtime.invocations),
        verdicts,
        first,
        end,
        deployment.namespace,
        sample_periods(synthesized),
        list(aws.notifications),
        sorted(clusters),
    )


def sample_periods(synthesized: Any) -> dict[str, int]:
    """Collector (handler package) -> seconds between its samples, from the functions' settings."""
    from collector_core.env_names import SAMPLE_PERIOD_SECONDS

    return {
        spec.handler.split(".")[0]: int(spec.environment.get(SAMPLE_PERIOD_SECONDS, "1"))
        for spec in synthesized.functions.values()
    }


def _deliver_state_events(aws: Any, deployment: Any, first: datetime, progress: Any) -> None:
    """Hand the event function every state event that is due, and say when each arrived."""
    delivered = aws.deliver_due_events(deployment, time.time())
    for event in aws.delivered_events[len(aws.delivered_events) - delivered :]:
        if progress:
            at = int(datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp())
            detail = event["detail"]
            progress.log(
                f"second {at - int(first.timestamp()):2d}: event delivered at "
                f"{time.time() - first.timestamp():.1f} s: {detail['instance-id']} {detail['state']}"
            )


def publish_state_events(aws: Any, change: Any, at: float) -> None:
    """Queue the notifications EC2 would send for `change` (at its second) with their delays. A
    repeated (instance, state) keeps its event id: a redelivery, not a second change."""
    from local.demo_account import instance_state_event

    for event in change.events:
        event_id = f"{event.instance_id}-{event.state}-{int(at)}"
        aws.publish_event(
            instance_state_event(event.instance_id, event.state, at, event_id), at + event.delay_s
        )
