"""What a real deployment throws at the doctor, as a user meets it: the synthesized template
deployed on the emulator, changed through the AWS API (what `aws cloudwatch disable-alarm-actions`,
`aws events delete-rule` or `aws sns delete-topic` do), then `tools/doctor.py` run again."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local.emulator import EmbeddedAws
from ops.doctor import cli, clients
from ops.doctor.checks import diagnose
from ops.doctor.clients import Clients
from ops.doctor.report import Report
from stacks.deployment_config import load_config
from tests.support.doctor import EMAIL, STACK, Deployed, deploy, edit_alarm, recent_minute
from tests.support.stacks import SynthResult, synth

pytestmark = pytest.mark.e2e
# As tests/e2e/test_doctor.py: one e-mail subscription, per-cluster alarms for "web" only, the
# fleet alarms (a running-tasks floor among them) for the rest.
SETTINGS: dict[str, Any] = {
    "alarmClusters": ["web"],
    "notificationEmails": [EMAIL],
    "alarmThresholds": {"runningTasksMin": 2},
}
# Listed clusters: only these are sampled, each with per-cluster alarms.
LISTED: dict[str, Any] = {"clusters": ["web", "reports"], "notificationEmails": [EMAIL]}


@pytest.fixture(scope="module")
def template() -> SynthResult:
    return synth(**SETTINGS)


@pytest.fixture
def deployed(template: SynthResult) -> Iterator[Deployed]:
    with EmbeddedAws() as aws:
        yield deploy(aws, template, recent_minute())


def doctor(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[dict[str, str]]]:
    """`tools/doctor.py --stack HighResMetrics --json` at the minute the metrics were written:
    the exit status and the findings; nothing on stderr."""

    def at_fixed_time(given: Clients, stack: str, *, minutes: int) -> Report:
        return diagnose(given, stack, minutes=minutes, now=deployed.now)

    monkeypatch.setattr(cli, "diagnose", at_fixed_time)
    capsys.readouterr()
    code = cli.main(["--stack", STACK, "--json"], clients=deployed.clients)
    captured = capsys.readouterr()
    assert captured.err == ""
    findings: list[dict[str, str]] = json.loads(captured.out)["findings"]
    return code, findings


def problems(findings: list[dict[str, str]]) -> list[str]:
    return [f"{f['check']}: {f['message']}" for f in findings if f["status"] == "problem"]


def test_doctor_alarm_with_actions_disabled_is_a_problem(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given: CDK leaves ActionsEnabled out of the template (its default is true)
    assert all(
        "ActionsEnabled" not in r["Properties"]
        for r in deployed.cloudformation.template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    )
    # when: aws cloudwatch disable-alarm-actions --alarm-names HighResMetrics-EbsVolumesInError
    deployed.clients.cloudwatch.disable_alarm_actions(AlarmNames=[f"{STACK}-EbsVolumesInError"])
    code, findings = doctor(deployed, monkeypatch, capsys)
    # then
    assert code == 1
    assert problems(findings) == ["alarm: EbsVolumesInError: ActionsEnabled should be true, is false"]


def test_doctor_alarm_whose_missing_data_treatment_was_reset_is_a_problem(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A console edit that puts the alarm again without TreatMissingData gets CloudWatch's default.
    alarm = edit_alarm(
        deployed.clients.cloudwatch, f"{STACK}-EbsVolumesInError", leave_out=("TreatMissingData",)
    )
    assert alarm["TreatMissingData"] != "missing"
    code, findings = doctor(deployed, monkeypatch, capsys)
    assert code == 1
    assert problems(findings) == [
        f"alarm: EbsVolumesInError: TreatMissingData should be {alarm['TreatMissingData']}, is missing"
    ]


def test_doctor_deleted_schedule_rule_is_missing_and_every_other_check_still_runs(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # aws events delete-rule --name <the schedule rule>
    deployed.clients.events.delete_rule(Name=deployed.rule_name)
    code, findings = doctor(deployed, monkeypatch, capsys)
    assert code == 1
    assert problems(findings) == [
        f"schedule: rule {deployed.rule_name}: missing (no sample is taken); deploy the stack again"
    ]
    checks = {f["check"] for f in findings}
    assert {"stack", "event rule", "executions", "samples", "alarm", "alarm state", "subscriptions"} <= checks
    alarms = [f for f in findings if f["check"] == "alarm"]
    assert len(alarms) == len(deployed.cloudformation.template_alarms())


def test_doctor_deleted_alarm_topic_is_named_and_its_alarms_lead_nowhere(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    topic = deployed.aws.topic_arn
    topic_name = topic.rsplit(":", 1)[-1]
    # aws sns delete-topic --topic-arn <the alarm topic>
    deployed.clients.sns.delete_topic(TopicArn=topic)
    code, findings = doctor(deployed, monkeypatch, capsys)
    assert code == 1
    found = problems(findings)
    assert (
        f"subscriptions: topic {topic_name} does not exist (deleted?): the alarms that notify it page "
        "nobody; deploy the stack again to recreate it"
    ) in found
    alarms = [f for f in findings if f["check"] == "alarm"]
    assert len(alarms) == len(deployed.cloudformation.template_alarms())
    # Every alarm of the template notifies the topic: none of them is "matching".
    assert all(
        f["status"] == "problem"
        and f["message"].endswith(f": its actions lead nowhere: topic {topic_name} does not exist")
        for f in alarms
    )


def test_doctor_messages_read_as_text_not_python(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"{STACK}-FleetRunningTasksLow"
    (alarm,) = deployed.clients.cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    (query,) = alarm["Metrics"]
    other = f"{deployed.aws.topic_arn}-other"
    edited = {**query, "Expression": query["Expression"].replace("MIN(", "AVG("), "Period": 300}
    edit_alarm(deployed.clients.cloudwatch, name, Metrics=[edited], AlarmActions=[other])
    code, findings = doctor(deployed, monkeypatch, capsys)
    (problem,) = problems(findings)
    assert code == 1
    assert f"AlarmActions should be {deployed.aws.topic_arn}, is {other}" in problem
    assert f"Metrics should be {query['Expression']} (period 60 s), is " in problem
    for python_repr in ("['", "']", "('", "')", "None"):
        assert python_repr not in problem


def test_doctor_a_check_whose_call_fails_is_reported_and_the_others_still_run(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # ECS answers ListClusters with throttling even after the SDK's retries.
    def throttled(**_: Any) -> None:
        error = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
        raise ClientError(error, "ListClusters")  # type: ignore[arg-type]

    deployed.clients.ecs.meta.events.register("before-call.ecs.ListClusters", throttled)
    code, findings = doctor(deployed, monkeypatch, capsys)
    assert code == 1
    assert problems(findings) == [
        "clusters: could not check (ListClusters: ThrottlingException: Rate exceeded)"
    ]
    assert {"stack", "schedule", "executions", "samples", "alarm", "subscriptions"} <= {
        f["check"] for f in findings
    }


@pytest.mark.parametrize(
    ("status", "drift", "expected"),
    [
        (
            "UPDATE_ROLLBACK_COMPLETE",
            "IN_SYNC",
            f"stack: {STACK} is UPDATE_ROLLBACK_COMPLETE: the last update failed and was rolled back, so "
            "the stack runs the template before it (see its events)",
        ),
        (
            "UPDATE_FAILED",
            "IN_SYNC",
            f"stack: {STACK} is UPDATE_FAILED: its last operation failed (see its events)",
        ),
        (
            "UPDATE_COMPLETE",
            "DRIFTED",
            "stack: drifted: resources were changed outside CloudFormation "
            f"(aws cloudformation describe-stack-resource-drifts --stack-name {STACK})",
        ),
    ],
)
def test_doctor_reports_the_stack_status_and_drift(
    deployed: Deployed,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    status: str,
    drift: str,
    expected: str,
) -> None:
    # As DescribeStacks reports a failed update, or a drift detection that found changes.
    deployed.cloudformation.status = status
    deployed.cloudformation.drift = {"StackDriftStatus": drift}
    code, findings = doctor(deployed, monkeypatch, capsys)
    assert code == 1
    assert problems(findings) == [expected]


def test_doctor_events_mode_checks_every_rule(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = synth(**SETTINGS, ec2StateSource="events")
    rules = result.synthesized.resources("AWS::Events::Rule")
    schedules = [lid for lid, props in rules.items() if "ScheduleExpression" in props]
    assert len(schedules) == 2 and len(rules) > len(schedules)
    with EmbeddedAws() as aws:
        deployed = deploy(aws, result, recent_minute())
        code, findings = doctor(deployed, monkeypatch, capsys)
        assert (code, problems(findings)) == (0, [])
        enabled = {f["message"] for f in findings if f["check"] in ("schedule", "event rule")}
        assert enabled == {f"rule {deployed.physical[lid]} is enabled" for lid in rules}

        # aws events disable-rule on the reconcile schedule (the one that is not the sampler's)
        (reconcile,) = [
            deployed.physical[lid] for lid in schedules if deployed.physical[lid] != deployed.rule_name
        ]
        aws.client("events").disable_rule(Name=reconcile)
        code, findings = doctor(deployed, monkeypatch, capsys)
    description = next(p["Description"] for lid, p in rules.items() if deployed.physical[lid] == reconcile)
    assert code == 1
    assert problems(findings) == [
        f"schedule: rule {reconcile} is DISABLED: nothing it starts runs: {description}"
    ]


def _accepted(settings: dict[str, Any], tmp_path: Path) -> Any:
    """The config file a user would write, loaded as `cdk synth` loads it (a refusal raises)."""
    path = tmp_path / "highres.config.json"
    path.write_text(json.dumps(settings))
    return load_config({"configFile": str(path)}, tmp_path)


def test_doctor_advice_for_a_new_cluster_is_a_config_the_synth_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = synth(**LISTED)
    with EmbeddedAws() as aws:
        deployed = deploy(aws, result, recent_minute())
        # aws ecs create-cluster --cluster-name batch
        aws.client("ecs").create_cluster(clusterName="batch")
        code, findings = doctor(deployed, monkeypatch, capsys)
    assert code == 1
    assert problems(findings) == [
        'clusters: batch not sampled and no alarm covers it (add it to clusters, or use "*")'
    ]
    # Following each suggestion: the config is accepted, and batch then has alarms.
    added = _accepted({**LISTED, "clusters": [*LISTED["clusters"], "batch"]}, tmp_path)
    assert "batch" in added.clusters_with_alarms
    every = _accepted({**LISTED, "clusters": "*"}, tmp_path)
    assert every.all_clusters and every.fleet_alarms
    # What the doctor said before this fix is refused by the synth: it must never be the advice.
    with pytest.raises(ValueError, match="alarmClusters: batch not in clusters"):
        _accepted({**LISTED, "alarmClusters": ["batch"]}, tmp_path)


def test_doctor_advice_with_listed_clusters_and_alarm_clusters_is_a_config_the_synth_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # given listed clusters of which only web has per-cluster alarms, and a new cluster batch
    settings = {**LISTED, "alarmClusters": ["web"]}
    with EmbeddedAws() as aws:
        deployed = deploy(aws, synth(**settings), recent_minute())
        aws.client("ecs").create_cluster(clusterName="batch")
        code, findings = doctor(deployed, monkeypatch, capsys)
    assert code == 1
    assert problems(findings) == [
        "clusters: batch not sampled and no alarm covers it "
        '(add it to clusters and alarmClusters, or use "*")',
        "clusters: no alarm covers reports (name it in alarmClusters)",
    ]
    both = _accepted(
        {**settings, "clusters": [*LISTED["clusters"], "batch"], "alarmClusters": ["web", "batch"]}, tmp_path
    )
    assert "batch" in both.clusters_with_alarms
    every = _accepted({**settings, "clusters": "*"}, tmp_path)
    assert every.all_clusters and every.fleet_alarms
    reports = _accepted({**settings, "alarmClusters": ["web", "reports"]}, tmp_path)
    assert "reports" in reports.clusters_with_alarms


def test_doctor_advice_for_an_unalarmed_cluster_is_a_config_the_synth_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    settings = {**SETTINGS, "fleetAlarms": False}
    result = synth(**settings)
    with EmbeddedAws() as aws:
        deployed = deploy(aws, result, recent_minute())
        code, findings = doctor(deployed, monkeypatch, capsys)
    assert code == 1
    assert problems(findings) == ["clusters: no alarm covers reports (name them in alarmClusters)"]
    following = _accepted({**settings, "alarmClusters": ["web", "reports"]}, tmp_path)
    assert "reports" in following.clusters_with_alarms


class _SilentEndpoint:
    """A TCP server on 127.0.0.1 that accepts every connection and never answers."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.server.close()
        for connection in self.accepted:
            connection.close()


def test_doctor_makes_three_attempts_in_all_against_an_endpoint_that_never_answers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = _SilentEndpoint()
    for variable in ("AWS_PROFILE", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint.url)
    # The doctor's own client settings, with a read timeout short enough for a test.
    monkeypatch.setattr(clients, "CLIENT_CONFIG", clients.CLIENT_CONFIG.merge(Config(read_timeout=0.3)))
    try:
        code = cli.main(["--stack", STACK, "--region", "eu-west-1"])
    finally:
        endpoint.close()
    err = capsys.readouterr().err
    assert code == 2
    assert len(endpoint.accepted) == clients.TOTAL_ATTEMPTS == 3
    assert err.startswith("doctor: error: Read timeout on endpoint URL") and err.endswith("(3 attempts)\n")
