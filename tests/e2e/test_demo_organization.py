"""End to end: `make demo DEMO_ARGS="--organization 2"`, piped, as a user runs it: two member
accounts of an emulated organization run the member template for a real minute, and the
monitoring account's view shows both members' clusters with their samples, the organization alarm
that fires for each member's under-provisioned cluster, and says what stands in for OAM. The
argument errors are one line each, before anything starts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from local.demo_account import CLUSTERS, NEW_CLUSTER
from local.demo_organization import MAX_MEMBERS, OAM_STAND_IN
from local.demo_run import DEMO_CONTEXT

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = [sys.executable, "-m", "local.demo", "--no-chart"]
# Synthesis, the wait for the whole minute and the minute itself: about two minutes here.
RUN_BOUND_S = 480
_ROW = re.compile(
    r"(?P<account>\d{12})\s*│\s*(?P<cluster>\w+)\s*│\s*(?P<samples>\d+)\s*│\s*(?P<running>[\d./]+)\s*│"
)
_MEMBERS = re.compile(r"with members (?P<members>[\d, ]+)")


def _demo(*args: str, timeout: float, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(tmp_path), "COLUMNS": "200"}
    return subprocess.run(
        [*DEMO, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def organization_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    return _demo("--organization", "2", timeout=RUN_BOUND_S, tmp_path=tmp_path_factory.mktemp("org-demo"))


def _members(output: str) -> list[str]:
    match = _MEMBERS.search(output)
    assert match, output
    return [m.strip() for m in match["members"].split(",")]


def test_e2e_organization_demo_shows_every_members_clusters_with_a_minute_of_samples(
    organization_run: subprocess.CompletedProcess[str],
) -> None:
    assert organization_run.returncode == 0, organization_run.stderr[-3000:]
    output = organization_run.stdout
    members = _members(output)
    assert len(members) == 2 and len(set(members)) == 2
    rows = {(m["account"], m["cluster"]): m for m in _ROW.finditer(output)}
    for member in members:
        for cluster in CLUSTERS:
            row = rows[member, cluster]
            assert int(row["samples"]) >= 58, row.group(0)  # one per second, a late one may drop
    # The scenario runs in the first member only: its web cluster grew by 12 tasks, the other's did not.
    web = CLUSTERS["web"]["running"]
    assert rows[members[0], "web"]["running"] == f"{web}/{web + 12}/{web + 12}"
    assert rows[members[1], "web"]["running"] == f"{web}/{web}/{web}"
    assert (members[1], NEW_CLUSTER) not in rows


def test_e2e_organization_demo_fires_the_organization_alarm_per_account_and_cluster(
    organization_run: subprocess.CompletedProcess[str],
) -> None:
    output = organization_run.stdout
    members = _members(organization_run.stdout)
    floor = json.loads(DEMO_CONTEXT["alarmThresholds"])["runningTasksMin"]
    low = sorted(name for name, shape in CLUSTERS.items() if shape["running"] < floor)
    assert low == ["batch"]
    firing = re.findall(
        r"OrgRunningTasksLow: ALARM for account (\d{12}), cluster (\w+) at \d\d:\d\d:00", output
    )
    assert sorted(firing) == sorted((member, cluster) for member in members for cluster in low), output
    assert "OrgTasksStuckPending:" not in output  # web's pending tasks drained within the minute


def test_e2e_organization_demo_pages_the_central_topic_with_the_first_members_failed_snapshot(
    organization_run: subprocess.CompletedProcess[str],
) -> None:
    output = " ".join(organization_run.stdout.split())
    first, _ = _members(organization_run.stdout)
    # the scenario's snapshot fails in the first member only; its rule publishes to the topic of
    # the monitoring account (the emulator raises if that topic is not there)
    notices = re.findall(
        r"(\d{12})'s snapshot rule published to the central topic: EBS createSnapshot failed", output
    )
    assert notices == [first], output[-3000:]
    assert "cause: The KMS key is disabled" in output


def test_e2e_organization_demo_names_its_oam_stand_in(
    organization_run: subprocess.CompletedProcess[str],
) -> None:
    output = " ".join(organization_run.stdout.split())
    assert OAM_STAND_IN in output
    assert "AWS::Oam::Sink: moto has no OAM" in output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--organization", "0"], f"from 1 to {MAX_MEMBERS}, not 0"),
        (["--organization", "1000"], f"from 1 to {MAX_MEMBERS}, not 1000"),
        (["--organization", "2", "--board"], "--board is not supported"),
        (["--organization", "2", "--ec2-state-source", "events"], "events is not supported"),
    ],
)
def test_e2e_organization_demo_refuses_bad_arguments_in_one_line(
    args: list[str], says: str, tmp_path: Path
) -> None:
    finished = _demo(*args, timeout=120, tmp_path=tmp_path)
    assert finished.returncode == 2
    (line,) = finished.stderr.strip().splitlines()
    assert line.startswith("demo: error: --organization: ") and says in line, line
    assert finished.stdout == ""
