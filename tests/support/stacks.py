"""Synthesizes the real app for a configuration, once per configuration per test session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template

from stacks.deployment_config import DeploymentConfig, parse_config
from synthesis.synth import synth_app
from synthesis.synthesized import Synthesized

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_app(outdir: Path, context: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """`python app.py` as `cdk synth` runs it: the context in CDK_CONTEXT_JSON, templates to `outdir`."""
    env = {**os.environ, "CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps(context)}
    return subprocess.run(
        [sys.executable, "app.py"],
        check=False,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@dataclass(frozen=True)
class SynthResult:
    config: DeploymentConfig
    assembly: Path
    synthesized: Synthesized
    validation_report: dict[str, Any]
    assertions: Template

    @property
    def template(self) -> dict[str, Any]:
        return self.synthesized.template


def synth(**settings: Any) -> SynthResult:
    """The app for `settings` (config-file keys), synthesized with cdk-nag; raises on nag errors."""
    return _synth(json.dumps(settings, sort_keys=True))


@cache
def _synth(settings_json: str) -> SynthResult:
    config = parse_config(json.loads(settings_json))
    outdir, stacks = synth_app(config)
    report_path = outdir / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    assertions = Template.from_stack(stacks[0])
    return SynthResult(config, outdir, Synthesized(dict(assertions.to_json())), report, assertions)
