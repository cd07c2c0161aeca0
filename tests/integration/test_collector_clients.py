"""Client bounds, error codes and the paging helper shared by both collectors."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from collector_core.clients import call_bounds, client_config
from collector_core.faults import Budget, DeadlineExceededError, Faults, error_code
from collector_core.paging import chunks, pages
from collector_core.rules import ALLOWED_PERIODS
from tests.support.collectors import StepClock, fixed_clock

URL = "https://ecs.us-east-1.amazonaws.com/"


@pytest.mark.parametrize("period", ALLOWED_PERIODS)
def test_collector_clients_one_call_with_retries_fits_in_the_period(period: int) -> None:
    bounds = call_bounds(period)

    worst = bounds.total_max_attempts * (bounds.connect_timeout + bounds.read_timeout)
    backoff = 1.0 if bounds.total_max_attempts > 1 else 0.0
    assert worst + backoff <= period
    assert 0 < bounds.connect_timeout <= 0.5
    assert 0 < bounds.read_timeout <= 5


def test_collector_clients_config_uses_standard_retries() -> None:
    one_second, five_seconds = client_config(1), client_config(5)

    def options(config: Any) -> tuple[Any, ...]:
        return config.retries, config.connect_timeout, config.read_timeout

    assert options(one_second) == ({"mode": "standard", "total_max_attempts": 1}, 0.25, 0.75)
    assert options(five_seconds) == ({"mode": "standard", "total_max_attempts": 2}, 0.5, 1.5)


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (
            ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListClusters"),
            "AccessDeniedException",
        ),
        (ClientError({}, "ListClusters"), "ClientError"),
        (ReadTimeoutError(endpoint_url=URL), "ReadTimeout"),
        (ConnectTimeoutError(endpoint_url=URL), "ConnectTimeout"),
        (EndpointConnectionError(endpoint_url=URL), "EndpointConnection"),
        (NotImplementedError("moto"), "NotImplemented"),
        (DeadlineExceededError("DescribeVolumes"), "DeadlineExceeded"),
        (KeyError("clusterArn"), "KeyError"),
    ],
)
def test_collector_faults_error_code_is_short_and_stable(exc: BaseException, code: str) -> None:
    assert error_code(exc) == code


def test_collector_faults_log_which_call_failed_and_why(caplog: pytest.LogCaptureFixture) -> None:
    faults = Faults(logging.getLogger("faults"))

    faults.record("DescribeServices", ReadTimeoutError(endpoint_url=URL), "web")
    faults.record_failure("DescribeClusters", "MISSING", "arn:aws:ecs:us-east-1:123456789012:cluster/ghost")

    assert faults.errors == ["DescribeServices:ReadTimeout", "DescribeClusters:MISSING"]
    assert len(faults) == 2
    first, second = caplog.records
    assert (first.operation, first.error_code, first.resource) == ("DescribeServices", "ReadTimeout", "web")  # type: ignore[attr-defined]
    assert second.error_code == "MISSING"  # type: ignore[attr-defined]


def test_collector_paging_stops_before_a_page_past_the_deadline() -> None:
    requested: list[int] = []

    def paginator() -> object:
        for number in range(3):
            requested.append(number)
            yield {"Items": [number], "NextToken": "more"}

    clock = StepClock(100.0, 0.4)  # budget 1 s: checks at 100.0, 100.4, 100.8, 101.2

    with pytest.raises(DeadlineExceededError):
        for _ in pages(paginator(), Budget(clock, 101.0), "DescribeVolumes"):  # type: ignore[arg-type]
            pass

    assert requested == [0, 1, 2]
    assert clock.readings == 4


def test_collector_paging_last_page_needs_no_budget() -> None:
    clock = StepClock(100.0, 10.0)  # past the deadline after the first reading

    got = list(pages(iter([{"Items": [1]}]), Budget(clock, 105.0), "ListClusters"))

    assert len(got) == 1
    assert clock.readings == 1


def test_collector_paging_refuses_the_first_call_after_the_deadline() -> None:
    with pytest.raises(DeadlineExceededError, match="ListClusters not called"):
        next(pages(iter([{"Items": []}]), Budget(fixed_clock(200.0), 100.0), "ListClusters"))


def test_collector_paging_chunks_respect_the_batch_size() -> None:
    assert [list(c) for c in chunks(list(range(25)), 10)] == [
        list(range(10)),
        list(range(10, 20)),
        list(range(20, 25)),
    ]
    assert list(chunks([], 100)) == []
