"""What went wrong in a sample, and the time a sample may still spend on AWS calls.

A failed call loses only the metrics it feeds: collectors catch around each call, record the fault
here (one structured log line saying which call failed and why), and go on. An answer that arrives
but holds an item that cannot be published (no name, a state the catalogue lacks) is a fault too:
the item is skipped and counted, the rest of the answer is still written. The count becomes the
sample's CollectorErrors datum; the short strings ("DescribeClusters:MISSING") go into the
handler's return value.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from collector_core.sample import Clock

# Fault codes of answers that arrived but hold something the collector cannot publish.
MALFORMED_ITEM = "MalformedItem"
UNKNOWN_STATE = "UnknownState"


class DeadlineExceededError(Exception):
    """A call was not started because the sample's period was already used up."""

    def __init__(self, operation: str) -> None:
        super().__init__(f"{operation} not called: the sample ran out of its period")
        self.operation = operation


@dataclass(frozen=True)
class Fault:
    operation: str  # the API operation, e.g. "DescribeClusters"
    code: str  # the AWS error code, an ECS failure reason, or the kind of local error
    resource: str | None = None  # the cluster, service... the call was about, when it was about one

    def __str__(self) -> str:
        return f"{self.operation}:{self.code}"


def error_code(exc: BaseException) -> str:
    """A short, stable name for a failure: AWS's own code when there is one."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    if isinstance(exc, DeadlineExceededError):
        return "DeadlineExceeded"
    name = type(exc).__name__  # ReadTimeoutError -> ReadTimeout, NotImplementedError -> NotImplemented
    return name.removesuffix("Error") if isinstance(exc, BotoCoreError | NotImplementedError) else name


class Faults:
    """The faults of one sample, each logged once as it is recorded."""

    def __init__(self, logger: Logger | logging.Logger) -> None:
        self._logger = logger
        self._faults: list[Fault] = []

    def record(self, operation: str, exc: BaseException, resource: str | None = None) -> None:
        """A call raised: log it (with a traceback when it is not an AWS-side failure) and count it."""
        # NotImplementedError: an emulator without the API (moto's DescribeVolumeStatus), once per sample.
        known = isinstance(exc, ClientError | BotoCoreError | DeadlineExceededError | NotImplementedError)
        self._add(Fault(operation, error_code(exc), resource), str(exc)[:500], exc_info=not known)

    def record_failure(self, operation: str, reason: str, resource: str | None) -> None:
        """A call succeeded but reported a per-item failure (ECS `failures`, e.g. MISSING)."""
        self._add(Fault(operation, reason or "Failure", resource), f"{operation} reported {reason}")

    def record_malformed(self, operation: str, what: str, resource: str | None = None) -> None:
        """A call succeeded but one item of its answer cannot be published (e.g. a cluster without a
        name): that item is skipped, the rest of the answer still counts."""
        self._add(Fault(operation, MALFORMED_ITEM, resource), what, summary="AWS response item skipped")

    def record_unknown_state(self, operation: str, state: str, items: int) -> None:
        """Items in a state the catalogue has no metric for: a new AWS state must not go unnoticed."""
        self._add(
            Fault(operation, UNKNOWN_STATE, state),
            f"{operation} reported {items} item(s) in state {state!r}, which the catalogue does not know",
            summary=f"unknown state {state!r}",
        )

    def note(self, summary: str, **extra: object) -> None:
        """A structured warning that is not a fault (CollectorErrors does not count it)."""
        self._logger.warning(summary, extra=extra)

    def _add(
        self, fault: Fault, message: str, exc_info: bool = False, summary: str = "AWS call failed"
    ) -> None:
        self._faults.append(fault)
        self._logger.warning(
            summary,
            extra={
                "operation": fault.operation,
                "error_code": fault.code,
                "resource": fault.resource,
                "error": message,
            },
            exc_info=exc_info,
        )

    def __len__(self) -> int:
        return len(self._faults)

    def __iter__(self) -> Iterator[Fault]:
        return iter(self._faults)

    @property
    def errors(self) -> list[str]:
        return [str(f) for f in self._faults]


@dataclass(frozen=True)
class Budget:
    """The wall-clock time by which a sample must stop starting AWS calls."""

    clock: Clock
    deadline: float

    def check(self, operation: str) -> None:
        if self.clock() >= self.deadline:
            raise DeadlineExceededError(operation)
