"""The README's IAM policy for the doctor grants exactly the calls the doctor makes, nothing else."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.emulator import EmbeddedAws
from ops.doctor.checks import diagnose
from ops.doctor.clients import MonitoringClients
from ops.doctor.monitoring import diagnose_monitoring
from ops.doctor.stack import iam_prefix
from ops.doctor.stack_set import diagnose_stack_set
from tests.support.doctor import MINUTES, STACK, Deployed, deploy, organization_with_stack_set, recent_minute
from tests.support.stacks import SynthResult, synth

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def readme_policy() -> dict[str, Any]:
    section = README.split("## Is it working? `tools/doctor.py`", 1)[1]
    block = re.search(r"```json\n(.*?)```", section, re.DOTALL)
    assert block, "the doctor section shows its IAM policy"
    document: dict[str, Any] = json.loads(block.group(1))
    return document


@pytest.fixture(scope="module")
def template() -> SynthResult:
    return synth(alarmClusters=["web"])


@pytest.fixture
def deployed(template: SynthResult) -> Iterator[Deployed]:
    with EmbeddedAws() as aws:
        yield deploy(aws, template, recent_minute())


def test_doctor_policy_grants_what_the_doctor_calls_and_no_wildcard_action(deployed: Deployed) -> None:
    called: set[str] = set()

    def record(model: Any, **_: Any) -> None:
        called.add(f"{iam_prefix(model.service_model.signing_name)}:{model.name}")

    # --stack-set's calls on moto's organization (the embedded AWS is moto), --monitoring's on its
    # CloudWatch (moto runs no Metrics Insights query: the call is what counts here).
    organization = organization_with_stack_set()
    for client in (
        deployed.clients.events,
        deployed.clients.cloudwatch,
        deployed.clients.sns,
        deployed.clients.ecs,
        organization.clients.cloudformation,
        organization.clients.organizations,
    ):
        client.meta.events.register("before-parameter-build", record)
    # when
    diagnose(deployed.clients, STACK, minutes=MINUTES, now=deployed.now)
    assert diagnose_stack_set(organization.clients, STACK).ok
    monitoring = MonitoringClients(deployed.clients.cloudwatch, deployed.clients.region)
    diagnose_monitoring(monitoring, "HighResMetrics", minutes=MINUTES, now=deployed.now)
    # then: the fake CloudFormation's three reads, plus what the real clients recorded
    called |= {
        "cloudformation:DescribeStacks",
        "cloudformation:GetTemplate",
        "cloudformation:ListStackResources",
    }
    granted = set()
    for statement in readme_policy()["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in a for a in actions)
        granted |= set(actions)
        if statement["Resource"] == "*":
            # No resource type; Organizations' reads on `*`, as AWS's read-only delegation example.
            assert set(actions) <= {"cloudwatch:GetMetricData", "ecs:ListClusters"} or all(
                a.startswith(("organizations:Describe", "organizations:List")) for a in actions
            )
    assert called == granted
