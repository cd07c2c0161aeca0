"""The unit layer's promise, enforced: a unit test runs in this process only, so `make unit` stays
under a minute. It starts no process (no `python app.py`, no Node: importing aws_cdk starts jsii's)
and uses no emulated AWS (the `aws` fixture is moto's). Such a test belongs in tests/integration
(moto, subprocesses) or tests/infrastructure (synth, templates); see tests/README.md."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

ELSEWHERE = "belongs in tests/integration or tests/infrastructure (see tests/README.md)"


@pytest.fixture(autouse=True)
def _pure(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Autouse fixtures run first, so this refuses before moto or a process could start."""
    if "aws" in request.fixturenames:
        pytest.fail(f"{request.node.nodeid} uses moto (the `aws` fixture): it {ELSEWHERE}", pytrace=False)

    def refuse(self: subprocess.Popen[Any], args: Any, *_: Any, **__: Any) -> None:
        raise AssertionError(f"{request.node.nodeid} starts a process ({args!r}): it {ELSEWHERE}")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
