"""The cost model's events mode: priced from cost.pricing, per event and per sample, and the
comparison with polling the same fleet."""

from __future__ import annotations

import pytest

from cost import pricing
from cost.events_mode import Scenario, events_calls_per_sample, events_cost, poll_cost
from cost.items import Options
from cost.model import estimate
from tests.support.stacks import synth


def test_cost_events_mode_prices_have_sources() -> None:
    for name in ("dynamodb_write_request_unit", "dynamodb_read_request_unit", "dynamodb_storage_gb_month"):
        price = pricing.ALL_PRICES[name]
        assert price.source.startswith("https://aws.amazon.com/dynamodb/pricing/")
    assert pricing.DYNAMODB_WRITE_REQUEST_UNIT.usd == pytest.approx(0.625e-6)


@pytest.mark.parametrize("instances", [1_000, 10_000, 100_000])
def test_cost_events_mode_calls_per_sample_do_not_grow_with_the_fleet(instances: int) -> None:
    assert events_cost(Scenario(instances, 0.1)).calls_per_sample == events_calls_per_sample() == 5


def test_cost_events_mode_writes_follow_churn_and_polling_stops_at_its_api_budget() -> None:
    low, high = events_cost(Scenario(100_000, 0.1)), events_cost(Scenario(100_000, 1.0))
    # 100,000 x 100% x 10 events (4 instance, 6 volume) x 6 WRU + 2 tombstones x 4 WRU per churned instance
    assert high.items["DynamoDB writes"] == pytest.approx((100_000 * 10 * 6 + 100_000 * 8) * 0.625e-6)
    assert high.items["DynamoDB writes"] == pytest.approx(10 * low.items["DynamoDB writes"])
    ten_k = poll_cost(Scenario(10_000, 0.1))
    assert ten_k is not None and ten_k.calls_per_sample == 32
    assert poll_cost(Scenario(100_000, 0.1)) is None, "no period keeps 100,000 within 25% of the refill"


def test_cost_estimate_of_an_events_template_itemizes_the_table_and_functions() -> None:
    synthesized = synth(ec2StateSource="events").synthesized
    names = {i.name for i in estimate(synthesized, Options(ec2_resources=10_000, daily_churn=1.0)).items}
    assert {
        "DynamoDB writes (events mode)",
        "Event function (events mode)",
        "Reconcile function (events mode)",
    } <= names
    poll = {i.name for i in estimate(synth().synthesized, Options()).items}
    assert not any("events mode" in n for n in poll)
