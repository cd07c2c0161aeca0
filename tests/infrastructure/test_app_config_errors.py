"""The CDK app (`python app.py`, as `cdk synth` runs it) stops a bad configuration with one line on
stderr, exit code 2 and no template."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.stacks import run_app

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_cdk_app_refuses_an_unknown_context_key_with_one_line(tmp_path: Path) -> None:
    # given the context the CDK CLI hands the app for `cdk synth -c samplePeriod=5`
    context = {"samplePeriod": "5", "aws:cdk:enable-path-metadata": True}
    # when the app runs
    done = run_app(tmp_path, context)
    # then it stops with one line naming the key and the fix, and writes no template
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "highres-metrics: configuration error: -c samplePeriod: not a setting of this app; "
        "did you mean samplePeriods?"
    ]
    assert not list(tmp_path.glob("*.template.json"))


def test_synth_refuses_an_over_budget_config_with_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    repo = REPO_ROOT
    env = {
        **os.environ,
        "CDK_OUTDIR": str(tmp_path),
        "CDK_CONTEXT_JSON": json.dumps({"expectedEc2Resources": 30_000}),
    }
    result = subprocess.run(
        [sys.executable, str(repo / "app.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "configuration error" in line]
    assert errors == [
        "highres-metrics: configuration error: expectedEc2Resources: 30,000 instances + volumes every 5 s "
        "make 18.4 EC2 API calls/s, 92% of the account's 20/s refill (at most 25%): "
        "set samplePeriods.ec2_ebs_state to a period of at least 20 s"
    ]
