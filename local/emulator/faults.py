"""Fault injection: one AWS operation fails with an error code for the invocations of a collector
at given offsets, inside moto's response layer, as AWS would answer them."""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from moto.core.exceptions import JsonRESTError

# Where moto answers each service's operations.
RESPONSE_CLASSES = {
    "ecs": ("moto.ecs.responses", "EC2ContainerServiceResponse"),
    "ec2": ("moto.ec2.responses", "EC2Response"),
}
Fault = tuple[str, str]  # (operation as "service.method", error code)
Patch = Callable[[Any, str, Any], None]  # sets owner.name to a value until the emulator stops


class Faults:
    """The faults planned per (handler module, offset), and the one of the invocation running."""

    def __init__(self) -> None:
        self.planned: dict[tuple[str, int], Fault] = {}
        self._active = threading.local()

    @contextlib.contextmanager
    def during(self, handler_module: str, offset: int) -> Iterator[None]:
        """The fault planned for this invocation (if any) is the active one while the block runs."""
        self._active.value = self.planned.get((handler_module, offset))
        try:
            yield
        finally:
            self._active.value = None

    def active(self) -> Fault | None:
        return getattr(self._active, "value", None)

    def inject(
        self, patch: Patch, handler_module: str, offsets: set[int], operation: str, error_code: str
    ) -> None:
        """Make `operation` (e.g. "ecs.describe_clusters") fail with `error_code` for the invocations
        of `handler_module` (e.g. "ecs_counts") at `offsets`."""
        service, method = operation.split(".")
        module_name, class_name = RESPONSE_CLASSES[service]
        response_class = getattr(importlib.import_module(module_name), class_name)
        original = getattr(response_class, method)

        def failing(responder: Any, *args: Any, **kwargs: Any) -> Any:
            if self.active() == (operation, error_code):
                raise JsonRESTError(error_code, f"injected by the emulator: {operation} answers {error_code}")
            return original(responder, *args, **kwargs)

        if not getattr(original, "_emulator_fault", False):
            failing._emulator_fault = True  # type: ignore[attr-defined]
            patch(response_class, method, failing)
        for offset in offsets:
            self.planned[(handler_module, offset)] = (operation, error_code)
