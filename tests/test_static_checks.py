"""Independent validators on the real artefacts: asl-validator on the deployed ASL, cfn-lint on
the synthesized template. A deliberately broken copy proves each validator really looks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.stack_helpers import SynthResult, synth

ASL_VALIDATOR = Path(__file__).resolve().parents[1] / "node_modules" / ".bin" / "asl-validator"


@pytest.fixture(scope="module")
def default() -> SynthResult:
    return synth()


def _resolved_asl(result: SynthResult) -> dict[str, object]:
    machine = result.synthesized.state_machine
    arns = {
        lid: f"arn:aws:lambda:us-east-1:123456789012:function:{lid}" for lid in machine.substitutions.values()
    }
    parsed: dict[str, object] = json.loads(machine.resolved(arns))
    return parsed


def _asl_validator(asl: dict[str, object], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "sampler.asl.json"
    path.write_text(json.dumps(asl))
    return subprocess.run(
        [str(ASL_VALIDATOR), "--json-path", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_asl_validator_accepts_the_deployed_definition(default: SynthResult, tmp_path: Path) -> None:
    result = _asl_validator(_resolved_asl(default), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_asl_validator_rejects_a_broken_next(default: SynthResult, tmp_path: Path) -> None:
    asl = _resolved_asl(default)
    branch = asl["States"]["SampleMinute"]["Branches"][3]  # type: ignore[index]
    wait = branch["States"][branch["StartAt"]]
    wait["Next"] = "NoSuchState"
    result = _asl_validator(asl, tmp_path)
    assert result.returncode != 0


def _cfn_lint(template: Path) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("cfn-lint")
    assert executable, "cfn-lint is installed with the project's requirements"
    # CDK output always carries W3005 (redundant DependsOn); gate on errors only.
    return subprocess.run(
        [executable, "--non-zero-exit-code", "error", str(template)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    "settings",
    [{}, {"clusters": ["prod"], "serviceMetrics": True, "sink": "api", "workflowType": "STANDARD"}],
    ids=["defaults", "listed-clusters-api-standard"],
)
def test_cfn_lint_finds_no_errors_in_the_template(settings: dict[str, object]) -> None:
    result = synth(**settings)
    (template,) = result.assembly.glob("*.template.json")
    lint = _cfn_lint(template)
    assert lint.returncode == 0, lint.stdout


def test_cfn_lint_catches_an_invalid_property(default: SynthResult, tmp_path: Path) -> None:
    template = json.loads(json.dumps(default.template))
    rule = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Events::Rule")
    rule["Properties"]["State"] = "SOMETIMES"
    path = tmp_path / "broken.template.json"
    path.write_text(json.dumps(template))
    assert _cfn_lint(path).returncode != 0


def test_cdk_cli_synth_is_offline_and_silent(tmp_path: Path) -> None:
    """`make synth`'s command: no credentials, no network, no warning, no notice."""
    repo = Path(__file__).resolve().parents[1]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key not in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION")
    }
    env.update(CDK_DISABLE_VERSION_CHECK="1", CDK_DISABLE_CLI_TELEMETRY="true")
    result = subprocess.run(
        [
            str(repo / "node_modules" / ".bin" / "cdk"),
            "synth",
            "--no-notices",
            "--quiet",
            "-o",
            str(tmp_path),
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "" and result.stderr.strip() == "", result.stdout + result.stderr
    assert (tmp_path / "HighResMetrics.template.json").exists()
