"""Walking paginated AWS APIs and batching calls, within a sample's time budget."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

from collector_core.faults import Budget

Page = TypeVar("Page", bound=Mapping[str, object])
T = TypeVar("T")


def pages(paginated: Iterable[Page], budget: Budget, operation: str) -> Iterator[Page]:
    """The pages of a boto3 paginator, refusing to request another page once the budget is spent."""
    budget.check(operation)
    for page in paginated:
        yield page
        # The paginator sends the next request when asked for the next page: check before that.
        if page.get("NextToken") or page.get("nextToken"):
            budget.check(operation)


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items (API batch limits)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
