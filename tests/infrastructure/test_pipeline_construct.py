"""HighResPipeline in a stack of the user's own: the same resources, with the same logical ids, as
the project's stack holds (what organization mode's StackSet member stack relies on)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk.assertions import Template

from stacks.constructs.pipeline_construct import HighResPipeline
from tests.support.stacks import SynthResult, synth


def test_pipeline_construct_in_a_plain_stack_gives_the_project_stacks_resources() -> None:
    # given: the project's own stack, and an app of the user's with the construct in a plain stack
    # of the same name (EventBridge's Lambda permissions carry the stack's name in their ids)
    project: SynthResult = synth(ec2StateSource="events")
    app = cdk.App()
    stack = cdk.Stack(app, "HighResMetrics")
    HighResPipeline(stack, "Default", config=project.config, name_prefix="HighResMetrics")

    # when
    mine = Template.from_stack(stack).to_json()["Resources"]

    # then: every resource is there under the same logical id, with the same properties
    theirs = project.template["Resources"]
    assert sorted(mine) == sorted(theirs)
    for logical_id, resource in theirs.items():
        assert mine[logical_id]["Type"] == resource["Type"], logical_id
        assert mine[logical_id].get("Properties") == resource.get("Properties"), logical_id
