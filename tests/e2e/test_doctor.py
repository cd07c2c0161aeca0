"""The doctor against the synthesized template deployed on the emulator, healthy and with each fault."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from moto.sns.models import sns_backends

from local.emulator import ACCOUNT, REGION, EmbeddedAws
from ops.doctor import cli
from ops.doctor.checks import diagnose
from ops.doctor.clients import Clients
from ops.doctor.report import OK, PROBLEM, Report
from tests.support.doctor import EMAIL, MINUTES, STACK, Deployed, deploy, edit_alarm, recent_minute
from tests.support.stacks import SynthResult, synth


@pytest.fixture(scope="module")
def template() -> SynthResult:
    # Every cluster, per-cluster alarms for "web" only, an e-mail subscription.
    return synth(alarmClusters=["web"], notificationEmails=[EMAIL], alarmThresholds={"runningTasksMin": 2})


@pytest.fixture
def deployed(template: SynthResult) -> Iterator[Deployed]:
    with EmbeddedAws() as aws:
        yield deploy(aws, template, recent_minute())


def problems(deployed: Deployed) -> list[str]:
    report = diagnose(deployed.clients, STACK, minutes=MINUTES, now=deployed.now)
    return [f"{f.check}: {f.message}" for f in report.findings if f.status == PROBLEM]


def test_doctor_healthy_stack_passes_every_check(deployed: Deployed) -> None:
    report = diagnose(deployed.clients, STACK, minutes=MINUTES, now=deployed.now)
    assert [f for f in report.findings if f.status == PROBLEM] == []
    alarm_findings = [f for f in report.findings if f.check == "alarm"]
    assert len(alarm_findings) == len(deployed.cloudformation.template_alarms())
    assert all(f.status == OK and f.message.endswith("definition matches") for f in alarm_findings)
    assert any(f.message.startswith("FleetRunningTasksLow:") for f in alarm_findings)
    messages = {(f.check, f.message) for f in report.findings}
    assert {
        ("schedule", f"rule {deployed.rule_name} is enabled"),
        ("executions", "5 executions succeeded in the last 5 min, none failed"),
        ("samples", "ecs_counts: 300 of 300 samples in the last 5 min"),
        ("samples", "ec2_ebs_state: 60 of 60 samples in the last 5 min"),
        ("alarm state", "no alarm of the stack is in ALARM"),
        ("subscriptions", f"confirmed: email {EMAIL}"),
        ("clusters", "no per-cluster alarm for reports: the fleet alarms cover them, in one-minute periods"),
    } <= messages


def test_doctor_names_an_alarm_in_alarm(deployed: Deployed) -> None:
    deployed.clients.cloudwatch.set_alarm_state(
        AlarmName=f"{STACK}-EbsVolumesInError", StateValue="ALARM", StateReason="1 volume in error"
    )
    assert problems(deployed) == ["alarm state: EbsVolumesInError is in ALARM: 1 volume in error"]


def test_doctor_without_fleet_alarms_a_cluster_without_alarms_is_a_problem() -> None:
    result = synth(alarmClusters=["web"], notificationEmails=[EMAIL], fleetAlarms=False)
    with EmbeddedAws() as aws:
        deployed = deploy(aws, result, recent_minute())
        assert problems(deployed) == ["clusters: no alarm covers reports (name them in alarmClusters)"]


def test_doctor_names_a_disabled_rule(deployed: Deployed) -> None:
    deployed.clients.events.disable_rule(Name=deployed.rule_name)
    assert problems(deployed) == [f"schedule: rule {deployed.rule_name} is DISABLED: no sample is taken"]


def test_doctor_names_a_deleted_alarm(deployed: Deployed) -> None:
    deployed.clients.cloudwatch.delete_alarms(AlarmNames=[f"{STACK}-EcsTasksStuckPending-web"])
    assert problems(deployed) == ["alarm: EcsTasksStuckPending-web: missing"]


def test_doctor_says_what_a_changed_alarm_should_be(deployed: Deployed) -> None:
    edit_alarm(
        deployed.clients.cloudwatch, f"{STACK}-FleetRunningTasksLow", leave_out=("OKActions",), Threshold=1.0
    )
    (problem,) = problems(deployed)
    assert problem.startswith(
        "alarm: FleetRunningTasksLow: Threshold should be 2, is 1; OKActions should be "
    )
    assert problem.endswith(", is none")


def test_doctor_names_an_unconfirmed_subscription(deployed: Deployed) -> None:
    # As AWS lists an e-mail subscription nobody confirmed (moto confirms every one at once).
    (subscription,) = sns_backends[ACCOUNT][REGION].subscriptions.values()
    subscription.arn = "PendingConfirmation"
    assert problems(deployed) == [
        f"subscriptions: email {EMAIL} is pending confirmation: it gets no alarm until the link in the "
        "confirmation message is followed",
        "subscriptions: the alarm topic has no confirmed subscription",
    ]


def test_doctor_names_missing_samples_and_failed_executions(deployed: Deployed) -> None:
    cloudwatch = deployed.clients.cloudwatch
    machine = next(v for v in deployed.physical.values() if ":stateMachine:" in v)
    cloudwatch.put_metric_data(
        Namespace="AWS/States",
        MetricData=[
            {
                "MetricName": "ExecutionsFailed",
                "Dimensions": [{"Name": "StateMachineArn", "Value": machine}],
                "Timestamp": deployed.now - timedelta(minutes=2),
                "Value": 1.0,
            }
        ],
    )
    assert problems(deployed) == [
        "executions: 1 executions failed and 0 timed out in the last 5 min (5 succeeded): read the "
        "state machine's log group"
    ]


def test_doctor_cli_exit_codes_and_json(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def at_fixed_time(clients: Clients, stack: str, *, minutes: int) -> Report:
        return diagnose(clients, stack, minutes=minutes, now=deployed.now)

    monkeypatch.setattr(cli, "diagnose", at_fixed_time)
    assert cli.main(["--stack", STACK, "--json"], clients=deployed.clients) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is True and document["should_be_from"].startswith("the deployed template")
    deployed.clients.events.disable_rule(Name=deployed.rule_name)
    assert cli.main(["--stack", STACK], clients=deployed.clients) == 1
    out = capsys.readouterr().out
    assert f"PROBLEM schedule: rule {deployed.rule_name} is DISABLED" in out and out.endswith(
        "1 problem(s)\n"
    )


def test_doctor_wrong_stack_name_is_one_line(deployed: Deployed, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--stack", "HighResMetrix"], clients=deployed.clients) == 2
    assert capsys.readouterr().err == (
        f"doctor: error: no stack named HighResMetrix in {REGION}: check --stack and --region\n"
    )


def test_doctor_missing_permission_names_the_action(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed.cloudformation.denied.add("GetTemplate")
    assert cli.main(["--stack", STACK], clients=deployed.clients) == 2
    assert capsys.readouterr().err == (
        "doctor: error: missing permission cloudformation:GetTemplate "
        "(see the doctor's IAM policy in the README)\n"
    )
