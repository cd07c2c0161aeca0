#!/usr/bin/env python3
"""CDK entry point: one HighResMetrics stack per configured account/region target.

Makes no AWS call at synth time (no lookups, no STS), so `cdk synth` works with no credentials.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent
# lambdas/ is the Lambda asset root; the stack shares the metric catalogue with the collectors.
sys.path.insert(0, str(REPO_ROOT / "lambdas"))

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from stacks.deployment_config import ConfigError, load_config  # noqa: E402
from stacks.highres_stack import HighResMetricsStack  # noqa: E402


def build_app(app: cdk.App) -> list[HighResMetricsStack]:
    """Add one stack per target to `app`, with cdk-nag's AwsSolutions checks on all of them."""
    context = {key: app.node.try_get_context(key) for key in _context_keys(app)}
    config = load_config({k: v for k, v in context.items() if v is not None}, REPO_ROOT)
    stacks = []
    for target in config.targets:
        env = cdk.Environment(account=target.account, region=target.region) if target.account else None
        if env is None and target.region:
            env = cdk.Environment(region=target.region)
        stacks.append(
            HighResMetricsStack(
                app,
                target.stack_name,
                config=config,
                env=env,
                description="One-second CloudWatch metrics of ECS, EC2 and EBS state (highres-metrics)",
            )
        )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stacks


def _context_keys(app: cdk.App) -> list[str]:
    from stacks.deployment_config import context_keys

    return context_keys()


def main() -> int:
    app = cdk.App()
    try:
        build_app(app)
    except ConfigError as error:
        print(f"highres-metrics: configuration error: {error}", file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
