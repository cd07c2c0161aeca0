"""The pure expansion of the sampler template into branches."""

from __future__ import annotations

import json

import pytest

from collector_core.catalogue import Collector
from stacks.sampler_definition import (
    SAMPLER_TEMPLATE,
    SamplerBranch,
    deploy_time_placeholders,
    render_sampler_definition,
    sampling_schedule,
)


def test_sampling_schedule_covers_each_collector_period() -> None:
    schedule = sampling_schedule({Collector.ECS_COUNTS: 10, Collector.EC2_EBS_STATE: 30})
    assert [(b.offset, b.collector) for b in schedule] == [
        (0, Collector.EC2_EBS_STATE),
        (0, Collector.ECS_COUNTS),
        (10, Collector.ECS_COUNTS),
        (20, Collector.ECS_COUNTS),
        (30, Collector.EC2_EBS_STATE),
        (30, Collector.ECS_COUNTS),
        (40, Collector.ECS_COUNTS),
        (50, Collector.ECS_COUNTS),
    ]


@pytest.mark.parametrize("period", [0, 7, 45, 61])
def test_sampling_schedule_rejects_periods_that_do_not_divide_a_minute(period: int) -> None:
    with pytest.raises(ValueError, match="must divide 60"):
        sampling_schedule({Collector.ECS_COUNTS: period})


@pytest.mark.parametrize(("period", "retries"), [(1, 0), (2, 1), (3, 2), (5, 2), (60, 2)])
def test_branch_retries_never_outlast_the_period(period: int, retries: int) -> None:
    assert SamplerBranch(0, Collector.ECS_COUNTS, period).retry_max_attempts == retries


def test_render_fills_build_time_values_with_their_json_types() -> None:
    asl = json.loads(render_sampler_definition({Collector.EC2_EBS_STATE: 30}))
    branches = asl["States"]["SampleMinute"]["Branches"]
    assert [b["StartAt"] for b in branches] == ["Ec2Ebs 00s WaitForSecond", "Ec2Ebs 30s WaitForSecond"]
    task = branches[1]["States"]["Ec2Ebs 30s Collect"]
    assert task["Arguments"]["Payload"]["offset"] == 30
    assert task["Arguments"]["FunctionName"] == "${Ec2EbsStateFunctionArn}"
    assert task["TimeoutSeconds"] == 64
    assert task["Retry"][0]["MaxAttempts"] == 2
    assert "'offset': 30" in task["Output"]


def test_render_leaves_only_deploy_time_placeholders() -> None:
    rendered = render_sampler_definition({Collector.ECS_COUNTS: 1, Collector.EC2_EBS_STATE: 5})
    assert deploy_time_placeholders(rendered) == {"EcsCountsFunctionArn", "Ec2EbsStateFunctionArn"}
    template_placeholders = deploy_time_placeholders(SAMPLER_TEMPLATE.read_text())
    assert "OffsetSeconds" in template_placeholders and "BranchName" in template_placeholders
