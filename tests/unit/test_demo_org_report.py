"""The organization demo's per-account line: a cluster row with fewer samples than its collector
wrote is explained on the account's line (an API error or a late start), not left to guess."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from local.demo_org_report import samples_by_account
from local.demo_organization import Organization, OrganizationResult

START = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ACCOUNT = "310308247317"


def _series(
    metric: str, values: list[float]
) -> tuple[tuple[str, tuple[tuple[str, str], ...]], list[tuple[datetime, float]]]:
    dims = (("AWS.AccountId", ACCOUNT), ("Collector", "ecs_counts"))
    return (metric, dims), [(START + timedelta(seconds=n), v) for n, v in enumerate(values)]


def _result(errors: list[float], dropped: list[float]) -> OrganizationResult:
    series = dict(
        [
            _series("SampleDelay", [0.1] * 60),
            _series("CollectorErrors", errors),
            _series("SamplesDropped", dropped),
        ]
    )
    org = Organization("o-a1b2c3d4e5", "r-ab12", "ou-ab12-cdefgh34", "111122223333", (ACCOUNT,))
    return OrganizationResult(
        organization=org,
        series=series,
        verdicts=[],
        member_verdicts={},
        statuses={},
        invocations={},
        start=START,
        end=START + timedelta(minutes=1),
        namespace="HighResMetrics",
        copied=0,
        skipped={},
        sample_periods={"ecs_counts": 1},
    )


def test_org_demo_account_line_counts_samples_that_wrote_no_counts() -> None:
    errors = [0.0] * 60
    errors[17] = 2.0  # two API calls failed in that sample
    dropped = [0.0] * 60
    dropped[41] = 1.0

    assert samples_by_account(_result(errors, dropped)) == {
        ACCOUNT: ["ecs_counts 60/60 (1 with an API error, 1 dropped late)"]
    }
    assert samples_by_account(_result([0.0] * 60, [0.0] * 60)) == {ACCOUNT: ["ecs_counts 60/60"]}
