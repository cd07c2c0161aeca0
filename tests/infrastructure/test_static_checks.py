"""Independent validators on the real artefacts: asl-validator on the deployed ASL, cfn-lint (with
its informational rules) and checkov on the synthesized template. A deliberately broken copy
proves each validator really looks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from synthesis import synth_summary
from tests.support.stacks import SynthResult, synth

REPO = Path(__file__).resolve().parents[2]
ASL_VALIDATOR = REPO / "node_modules" / ".bin" / "asl-validator"
# checkov pins its own boto3, so `make setup` installs it into a virtual environment of its own.
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
CONFIGS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "listed-clusters-api-standard": {
        "clusters": ["prod"],
        "serviceMetrics": True,
        "sink": "api",
        "workflowType": "STANDARD",
        "notificationEmails": ["oncall@example.com"],
        "watchInstanceIds": ["i-0123456789abcdef0"],
    },
    "ec2-state-events": {"ec2StateSource": "events", "sink": "api"},
}
# cfn-lint findings below error level that the template keeps, each with the reason. Any other
# warning or informational finding fails the test: fix it or explain it here.
CFN_LINT_EXPLAINED = {
    # The collectors depend on their role explicitly (function.node.add_dependency) so that the
    # role's policy exists before the sampler can invoke them; the role half is redundant.
    "W3005": "redundant DependsOn that CDK emits next to a GetAtt",
    # CDK renders every string built from tokens (format_arn, Aws.REGION) as Fn::Join with "";
    # Fn::Sub would deploy the same value.
    "I1022": "Fn::Join with an empty delimiter, CDK's rendering of token strings",
}


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
    # Informational rules on; the exit code gates on errors, the test on everything else.
    return subprocess.run(
        [
            executable,
            *("--include-checks", "I", "--format", "json", "--non-zero-exit-code", "error"),
            *("--", str(template)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("settings", list(CONFIGS.values()), ids=list(CONFIGS))
def test_cfn_lint_finds_no_errors_and_only_explained_findings(settings: dict[str, object]) -> None:
    result = synth(**settings)
    (template,) = result.assembly.glob("*.template.json")
    lint = _cfn_lint(template)
    assert lint.returncode == 0, lint.stdout
    findings = json.loads(lint.stdout or "[]")
    unexplained = [
        (f["Rule"]["Id"], f["Message"]) for f in findings if f["Rule"]["Id"] not in CFN_LINT_EXPLAINED
    ]
    assert unexplained == []


def test_cfn_lint_catches_an_invalid_property(default: SynthResult, tmp_path: Path) -> None:
    template = json.loads(json.dumps(default.template))
    rule = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Events::Rule")
    rule["Properties"]["State"] = "SOMETIMES"
    path = tmp_path / "broken.template.json"
    path.write_text(json.dumps(template))
    assert _cfn_lint(path).returncode != 0


def test_cdk_cli_synth_is_offline_and_says_only_what_it_wrote(tmp_path: Path) -> None:
    """`make synth`'s commands: no credentials, no network, no warning, no notice; one line per stack."""
    repo = Path(__file__).resolve().parents[2]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key not in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION")
    }
    env.update(CDK_DISABLE_VERSION_CHECK="1", CDK_DISABLE_CLI_TELEMETRY="true")
    cli = [
        str(repo / "node_modules" / ".bin" / "cdk"),
        "synth",
        "--no-notices",
        "--quiet",
        "-o",
        str(tmp_path),
    ]
    summary = [sys.executable, "-m", "synthesis.synth_summary", "--outdir", str(tmp_path)]
    outputs = []
    for command in (cli, summary):
        result = subprocess.run(
            command, cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert result.returncode == 0, result.stderr
        outputs.append(result)
    assert all(r.stderr.strip() == "" for r in outputs), [r.stderr for r in outputs]
    assert outputs[0].stdout.strip() == ""
    template = tmp_path / "HighResMetrics.template.json"
    assert outputs[1].stdout.splitlines() == [f"synthesized HighResMetrics -> {template}"]
    assert template.exists()


def test_synth_summary_names_every_stack_and_its_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given: an assembly of two targets, with the artifacts that are not stacks
    artifacts = {
        "HighResMetrics.assets": {"type": "cdk:asset-manifest"},
        "HighResMetrics-123456789012-eu-west-1": {
            "type": "aws:cloudformation:stack",
            "properties": {"templateFile": "HighResMetrics-123456789012-eu-west-1.template.json"},
        },
        "HighResMetrics-us-east-1": {
            "type": "aws:cloudformation:stack",
            "displayName": "HighResMetrics-us-east-1",
            "properties": {"templateFile": "HighResMetrics-us-east-1.template.json"},
        },
        "Tree": {"type": "cdk:tree"},
    }
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": artifacts}))

    code = synth_summary.main(["--outdir", str(tmp_path)])

    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        f"synthesized HighResMetrics-123456789012-eu-west-1 -> "
        f"{tmp_path / 'HighResMetrics-123456789012-eu-west-1.template.json'}",
        f"synthesized HighResMetrics-us-east-1 -> {tmp_path / 'HighResMetrics-us-east-1.template.json'}",
    ]


def test_synth_summary_without_an_assembly_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = synth_summary.main(["--outdir", str(tmp_path / "missing")])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1 and "no cloud assembly" in captured.err


def _checkov(*templates: Path) -> dict[str, Any]:
    assert CHECKOV.exists(), "`make setup` installs checkov into .venv-checkov"
    files = [arg for template in templates for arg in ("-f", str(template))]
    # --skip-download: no call to the vendor's platform; the checks ship with the package.
    run = subprocess.run(
        [str(CHECKOV), "--framework", "cloudformation", "--skip-download", "-o", "json", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report: dict[str, Any] = json.loads(run.stdout)
    return report


def test_checkov_passes_every_cloudformation_check_or_says_why_not() -> None:
    templates = [next(synth(**settings).assembly.glob("*.template.json")) for settings in CONFIGS.values()]
    report = _checkov(*templates)
    assert report["summary"]["parsing_errors"] == 0
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] > 100, "checkov really ran its checks"
    for skipped in report["results"]["skipped_checks"]:
        assert len(skipped["check_result"].get("suppress_comment", "")) > 40, skipped["check_id"]
    # Only the checks whose reasons are written in stacks/ are skipped.
    assert {c["check_id"] for c in report["results"]["skipped_checks"]} == {
        "CKV_AWS_115",
        "CKV_AWS_116",
        "CKV_AWS_117",
        "CKV_AWS_158",
        "CKV_AWS_173",
        # events mode's state table: PITR and a customer managed key (ec2_state_events_construct.py)
        "CKV_AWS_28",
        "CKV_AWS_119",
        # events mode's failures queue: SQS-managed encryption, not a customer managed key
        "CKV_AWS_27",
    }


def test_checkov_catches_an_unencrypted_topic(default: SynthResult, tmp_path: Path) -> None:
    template = json.loads(json.dumps(default.template))
    topic = next(r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::Topic")
    del topic["Properties"]["KmsMasterKeyId"]
    path = tmp_path / "unencrypted.template.json"
    path.write_text(json.dumps(template))
    failed = {c["check_id"] for c in _checkov(path)["results"]["failed_checks"]}
    assert "CKV_AWS_26" in failed
