"""`make deploy` refuses an organization's config before the CDK CLI creates anything: its stacks
belong to two accounts, and `cdk deploy --all` would use one account's credentials for both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthesis import deploy_guard

ORGANIZATION = {
    "organizationId": "o-a1b2c3d4e5",
    "organizationalUnits": ["ou-ab12-cdefgh34"],
    "regions": ["eu-west-1"],
    "monitoringAccount": "111122223333",
}


def _repo(tmp_path: Path, settings: dict[str, object]) -> Path:
    (tmp_path / "highres.config.json").write_text(json.dumps(settings))
    return tmp_path


def test_deploy_guard_lets_a_single_account_config_through(tmp_path: Path) -> None:
    assert deploy_guard.refusal({}, _repo(tmp_path, {"namespace": "Team/HighRes"})) is None


def test_deploy_guard_refuses_an_organization_and_names_the_two_steps(tmp_path: Path) -> None:
    why = deploy_guard.refusal({}, _repo(tmp_path, {"organization": ORGANIZATION}))
    assert why is not None
    assert "make deploy-monitoring (monitoring account), then make deploy-stackset" in why


def test_deploy_guard_reads_the_config_file_the_deploy_names(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {})
    (repo / "org.json").write_text(json.dumps({"organization": ORGANIZATION}))
    assert deploy_guard.refusal({"configFile": "org.json"}, repo) is not None


def test_deploy_guard_cli_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert deploy_guard.main(["-c", "configFile=no-such.json", "--require-approval", "never"]) == 2
    assert capsys.readouterr().err.strip() == (
        "highres-metrics: configuration error: configFile: no-such.json does not exist"
    )
    assert deploy_guard.main(["--require-approval", "never"]) == 0  # the repository's own config
