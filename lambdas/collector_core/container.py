"""What a Lambda container keeps between invocations: a handler's runtime, built once from its
environment.

`PerContainer(collector, build)` is called at each invocation and returns the runtime `build` made
from the parsed settings (clients, sink, caches). The first call builds it (the cold start); later
calls return the same one, as long as the variables the settings are read from still hold the values
it was built from. In Lambda they always do, so clients are built once per container; a test or the
emulator that sets other variables gets a runtime of those variables, with no cache to clear.
`reset()` forgets the runtime, so the next invocation is a fresh container's (new clients, empty
caches); the Lambda runtime never needs it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from collector_core.catalogue import Collector
from collector_core.settings import SETTINGS_VARIABLES, Settings, load_settings

T = TypeVar("T")


class PerContainer(Generic[T]):
    """A handler's runtime, built by `build` from the settings of `collector` read from `env`."""

    def __init__(
        self, collector: Collector, build: Callable[[Settings], T], env: Mapping[str, str] = os.environ
    ) -> None:
        self._collector = collector
        self._build = build
        self._env = env
        self._built: tuple[tuple[str | None, ...], T] | None = None

    def __call__(self) -> T:
        """The runtime; built when there is none or the environment has changed since."""
        key = tuple(self._env.get(name) for name in SETTINGS_VARIABLES)
        if self._built is None or self._built[0] != key:
            # A bad setting fails the invocation with SettingsError, naming the variable.
            self._built = (key, self._build(load_settings(self._env, self._collector)))
        return self._built[1]

    def reset(self) -> None:
        """Forget the runtime: the next call builds it as a new container would."""
        self._built = None
