"""Stop `make deploy` before it creates anything when the config is an organization's.

Usage (the Makefile runs it first, with the arguments it passes to `cdk deploy`):
    python -m synthesis.deploy_guard [-c key=value ...]

`make deploy` is `cdk deploy --all` with one set of credentials. An organization's stacks belong to
two accounts: the monitoring stacks to the monitoring account, the asset buckets and the StackSet
to the management account (or the delegated administrator), and those two name no account in
their environment, so with the monitoring account's credentials `--all` would create the buckets
and try the StackSet there. The organization's own targets deploy each half with the
credentials of its account, in the order the README gives.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from stacks.deployment_config import ConfigError, load_config

REPO_ROOT = Path(__file__).resolve().parents[1]
ORGANIZATION_TARGETS = (
    "make deploy-monitoring (monitoring account), then make deploy-stackset (management account or "
    "delegated administrator)"
)


def refusal(context: dict[str, str], repo_root: Path = REPO_ROOT) -> str | None:
    """Why `make deploy` must not run with this config and context, or None when it may."""
    config = load_config(context, repo_root)
    if config.organization is None:
        return None
    return (
        "the config has an organization block, whose stacks deploy with two accounts' credentials: "
        f"run {ORGANIZATION_TARGETS} (README, 'Deploying to an organization')"
    )


def _context(pairs: Sequence[str]) -> dict[str, str]:
    context = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ConfigError(f"-c {pair}: context takes key=value")
        context[key] = value
    return context


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make deploy", description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--context", action="append", default=[], help="a cdk context key=value")
    args, _ = parser.parse_known_args(argv)  # the other `cdk deploy` flags are the CLI's
    try:
        why = refusal(_context(args.context))
    except ConfigError as error:
        print(f"highres-metrics: configuration error: {error}", file=sys.stderr)
        return 2
    if why:
        print(f"make deploy: {why}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
