"""The AWS price both the cost model (`cost/`) and the operator's board (`ops/board`) need:
GetMetricData's, which the board shows as its running cost. It sits below both so that the board
does not import the cost model (ops tools know neither CDK, the emulator nor cost/); every other
price stays in `cost/pricing.py`, which re-lists this one with the rest. No Lambda function reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

# The day the prices were read from their pages (`cost/pricing.py` reads its own on the same day).
READ_ON = "2026-11-22"


@dataclass(frozen=True)
class Price:
    """US East (N. Virginia), on-demand: `usd` per `unit`, from `source` (or read `via` a copy of
    it where the official page renders its table in the browser)."""

    usd: float
    unit: str
    source: str
    via: str = ""
    read_on: str = READ_ON


# GetMetricData: $0.01 per 1,000 metrics requested (not per call: a call asking for 500 metrics
# costs 500 units); the free tier's API requests do not apply to it (the pricing page's free tier
# table: "not applicable to GetMetricData").
GET_METRIC_DATA_METRIC = Price(
    0.01 / 1000,
    "metric requested",
    "https://aws.amazon.com/cloudwatch/pricing/",
    via="https://github.com/nishinoshake/aws-rough/issues/37",
)
