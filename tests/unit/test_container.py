"""A handler's runtime: built once per container, rebuilt only from a changed environment."""

from __future__ import annotations

import pytest

from collector_core import env_names
from collector_core.catalogue import Collector
from collector_core.container import PerContainer
from collector_core.settings import Settings, SettingsError


def counting_container(env: dict[str, str]) -> tuple[PerContainer[Settings], list[Settings]]:
    built: list[Settings] = []

    def build(settings: Settings) -> Settings:
        built.append(settings)
        return settings

    return PerContainer(Collector.ECS_COUNTS, build, env), built


def test_container_builds_the_runtime_once_for_every_invocation_of_a_container() -> None:
    runtime, built = counting_container({env_names.ECS_CLUSTERS: "web"})

    first = runtime()

    assert all(runtime() is first for _ in range(5))
    assert len(built) == 1
    assert first.ecs_clusters == ("web",)


def test_container_builds_a_runtime_of_the_environment_a_test_sets() -> None:
    env = {env_names.METRICS_SINK: "emf"}
    runtime, built = counting_container(env)
    runtime()

    env[env_names.METRICS_SINK] = "api"

    assert runtime().sink == "api"
    assert len(built) == 2


def test_container_reset_makes_the_next_invocation_a_cold_start() -> None:
    runtime, built = counting_container({})
    first = runtime()

    runtime.reset()

    assert runtime() == first
    assert len(built) == 2


def test_container_a_bad_setting_fails_each_invocation_until_it_is_fixed() -> None:
    env = {env_names.SAMPLE_PERIOD_SECONDS: "7"}
    runtime, built = counting_container(env)

    for _ in range(2):
        with pytest.raises(SettingsError, match=env_names.SAMPLE_PERIOD_SECONDS):
            runtime()
    env[env_names.SAMPLE_PERIOD_SECONDS] = "5"

    assert runtime().period_seconds == 5
    assert len(built) == 1
