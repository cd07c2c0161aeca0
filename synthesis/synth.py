"""The one in-process synth: the app for a configuration, as `cdk synth` builds it (cdk-nag
included), without the CDK CLI. The demo, the cost model, the benchmarks and the tests use it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from stacks.deployment_config import DeploymentConfig
from synthesis.synthesized import Synthesized
from synthesis.toolchain import prefer_venv_node

if TYPE_CHECKING:
    from stacks.highres_stack import HighResMetricsStack


class SynthError(RuntimeError):
    """The app did not synthesize (a cdk-nag finding or a jsii failure); the message says which."""


def synth_app(config: DeploymentConfig, outdir: Path | None = None) -> tuple[Path, list[HighResMetricsStack]]:
    """Synthesize every target of `config` into `outdir` (a new temporary folder if None)."""
    prefer_venv_node()  # before the first aws_cdk import: jsii starts node on import
    import aws_cdk as cdk

    from stacks.app_factory import build_app

    outdir = outdir or Path(tempfile.mkdtemp(prefix="highres-synth-"))
    app, stacks = build_app(config, cdk.App(outdir=str(outdir)))
    try:
        app.synth()
    except RuntimeError as error:  # cdk-nag's findings are printed above the error by then
        raise SynthError(f"cdk synth failed: {str(error).splitlines()[0]}") from None
    return outdir, stacks


def synthesize(config: DeploymentConfig, outdir: Path | None = None) -> Synthesized:
    """The first target's stack of `config`, synthesized and read back."""
    outdir, stacks = synth_app(config, outdir)
    return Synthesized.load(outdir, stacks[0].stack_name)
