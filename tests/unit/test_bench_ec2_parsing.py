"""The EC2 parsing benchmark's budget rows follow ec2_budget. (Its approaches, run on moto's and AWS's
bodies, are tested in tests/integration/test_bench_ec2_parsing.py.)"""

from __future__ import annotations

from bench import ec2_parsing


def test_ec2_parsing_budget_rows_report_calls_and_refill_share() -> None:
    rows = ec2_parsing.budget_rows([1_000, 10_000, 30_000], period_s=5)

    assert [row[:2] for row in rows] == [[1_000, 5], [10_000, 32], [30_000, 92]]
    assert [round(row[3], 2) for row in rows] == [0.05, 0.32, 0.92]
