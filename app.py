#!/usr/bin/env python3
"""CDK entry point: one HighResMetrics stack per configured account/region target.

Makes no AWS call at synth time (no lookups, no STS), so `cdk synth` works with no credentials.
"""

from __future__ import annotations

import sys
from pathlib import Path

from synthesis.toolchain import prefer_venv_node

prefer_venv_node()

import aws_cdk as cdk  # noqa: E402 - after the PATH is set: importing it starts jsii's node

from stacks.app_factory import build_app  # noqa: E402
from stacks.deployment_config import ConfigError, load_config  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent


def main() -> int:
    app = cdk.App()
    context = {key: value for key, value in app.node.get_all_context().items() if value is not None}
    try:
        config = load_config(context, REPO_ROOT)
        if config.organization and config.organization.pending_note:
            print(f"highres-metrics: {config.organization.pending_note}", file=sys.stderr)
        # Some checks need the synthesized member template (its size and resource count).
        build_app(config, app)
    except ConfigError as error:
        print(f"highres-metrics: configuration error: {error}", file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
