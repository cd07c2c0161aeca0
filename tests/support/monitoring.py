"""Synthesizes the monitoring account's stack for a configuration, once per configuration per session."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from stacks.deployment_config import DeploymentConfig, parse_config
from synthesis.synthesized import Synthesized
from synthesis.toolchain import prefer_venv_node
from tests.support.stacks import SynthResult

ORGANIZATION_ID = "o-a1b2c3d4e5"
MONITORING_ACCOUNT = "111122223333"
MEMBER_ACCOUNT = "444455556666"  # an account of the organization
OUTSIDE_ACCOUNT = "777788889999"  # an account of another organization
OUTSIDE_ORGANIZATION_ID = "o-zz99yy88xx"
REGION = "eu-west-1"
STACK_NAME = "HighResMetricsMonitoring-eu-west-1"


def synth_monitoring(**settings: Any) -> SynthResult:
    """The MonitoringStack for `settings` (config-file keys: the members' namespace, thresholds,
    ...) in the fixed organization, with cdk-nag."""
    return _synth(json.dumps(settings, sort_keys=True))


@cache
def _synth(settings_json: str) -> SynthResult:
    from aws_cdk.assertions import Template

    config = parse_config(json.loads(settings_json))
    outdir = Path(tempfile.mkdtemp(prefix="highres-monitoring-"))
    app, stack = monitoring_app(config, outdir)
    app.synth()  # raises on any cdk-nag finding
    report_path = outdir / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    assertions = Template.from_stack(stack)
    return SynthResult(config, outdir, Synthesized(dict(assertions.to_json())), report, assertions)


def monitoring_app(config: DeploymentConfig, outdir: Path) -> tuple[Any, Any]:
    """(app, MonitoringStack) in the fixed organization and region, cdk-nag's AwsSolutions attached."""
    prefer_venv_node()  # before the first aws_cdk import: jsii starts node on import
    import aws_cdk as cdk
    from cdk_nag import AwsSolutionsChecks

    from stacks.monitoring_stack import MonitoringStack

    app = cdk.App(outdir=str(outdir))
    stack = MonitoringStack(
        app,
        STACK_NAME,
        organization_id=ORGANIZATION_ID,
        config=config,
        env=cdk.Environment(account=MONITORING_ACCOUNT, region=REGION),
        description="highres-metrics monitoring account (test)",
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack
