"""What the doctor found: one finding per line (ok, problem or info), and the report they make."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

OK, PROBLEM, INFO = "ok", "problem", "info"
SHOULD_BE_FROM = (
    "the deployed template (CloudFormation GetTemplate): it holds the thresholds, clusters and "
    "namespace the stack was synthesized with, which the account does not otherwise record"
)


@dataclass(frozen=True)
class Finding:
    check: str
    status: str
    message: str


@dataclass
class Report:
    """`stack` names what was checked: a stack, a StackSet or a namespace, as `subject` says."""

    stack: str
    region: str
    should_be_from: str = SHOULD_BE_FROM
    findings: list[Finding] = field(default_factory=list)
    subject: str = "stack"

    @property
    def ok(self) -> bool:
        return all(f.status != PROBLEM for f in self.findings)

    def as_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "subject": self.subject,
            "region": self.region,
            "ok": self.ok,
            "should_be_from": self.should_be_from,
            "findings": [asdict(f) for f in self.findings],
        }


def listed(values: Any) -> str:
    """A list as a person reads it: `a, b`; `none` when empty."""
    items = [str(v) for v in values or []]
    return ", ".join(items) if items else "none"
