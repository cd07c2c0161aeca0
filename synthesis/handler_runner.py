"""Runs a real collector handler in this process, the way Lambda would, for the emulator, the cost
model, the benchmarks and the tests: one fake context, one way to apply a function's environment,
one way to pin a handler's clock to a scheduled second and capture what it prints, and the one
answer to DescribeVolumeStatus, which moto lacks."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class FakeLambdaContext:
    """The parts of the Lambda context object Powertools reads."""

    function_name: str = "collector"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:collector"
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    remaining_ms: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def volume_status_answer(statuses: Mapping[str, str]) -> Callable[[Any], Any]:
    """moto's EC2 raises NotImplementedError for DescribeVolumeStatus. This is a responder for
    moto's response layer (`ElasticBlockStore.describe_volume_status`) answering from `statuses`
    (volume id -> status, read at each call; absent = ok). The collector asks for impaired
    volumes only, and AWS lists none on a healthy account: an empty map is one."""
    from moto.core.responses import ActionResult

    def describe_volume_status(responder: Any) -> Any:
        items = [{"VolumeId": v, "VolumeStatus": {"Status": s, "Details": []}} for v, s in statuses.items()]
        return ActionResult({"VolumeStatuses": items})

    return describe_volume_status


@contextlib.contextmanager
def moto_volume_statuses(statuses: Mapping[str, str] | None = None) -> Iterator[Mapping[str, str]]:
    """moto answers DescribeVolumeStatus from `statuses` (default: none impaired) inside the block."""
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore

    statuses = {} if statuses is None else statuses
    original = ElasticBlockStore.describe_volume_status
    ElasticBlockStore.describe_volume_status = volume_status_answer(statuses)  # type: ignore[method-assign,assignment]
    try:
        yield statuses
    finally:
        ElasticBlockStore.describe_volume_status = original  # type: ignore[method-assign]


@contextlib.contextmanager
def function_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """`variables` set in os.environ while the block runs, then every one put back as it was."""
    saved = {key: os.environ.get(key) for key in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def schedule_event(minute: datetime, offset: int) -> dict[str, Any]:
    """The sampler's event for the sample at `offset` seconds into the scheduled `minute`."""
    return {"time": minute.strftime("%Y-%m-%dT%H:%M:%SZ"), "offset": offset}


@contextlib.contextmanager
def pinned_handler(handler: str, *, now: float) -> Iterator[ModuleType]:
    """The module of `handler` ("ecs_counts.handler.handler") as a fresh container: its clock reads
    `now`, its cached runtime (settings, clients) is rebuilt inside the block and dropped after it,
    and moto answers DescribeVolumeStatus, which it lacks, with nothing impaired."""
    module: Any = importlib.import_module(handler.rsplit(".", 1)[0])
    saved_clock = module.clock
    module.clock = lambda: now
    module.runtime.reset()
    try:
        with moto_volume_statuses():
            yield module
    finally:
        module.clock = saved_clock
        module.runtime.reset()


def invoke_capturing(module: ModuleType, event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """(the handler's summary, everything it wrote: EMF documents and log lines)."""
    buffer = io.StringIO()
    log_handler = module.logger.registered_handler
    saved_stream = log_handler.setStream(buffer)
    try:
        with contextlib.redirect_stdout(buffer):
            summary: dict[str, Any] = module.handler(event, FakeLambdaContext())
    finally:
        log_handler.setStream(saved_stream)
    return summary, buffer.getvalue()
