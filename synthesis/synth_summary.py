"""Say what `cdk synth` wrote: one line per stack, naming its template file.

Usage:
    python -m synthesis.synth_summary [--outdir cdk.out]

`make synth` runs the CDK CLI with `--quiet` (no template dump on stdout) and then this, so the
user learns which stacks were synthesized and where, and nothing else:

    synthesized HighResMetrics -> cdk.out/HighResMetrics.template.json

It reads the cloud assembly's `manifest.json` (the CLI's own record of its artifacts), so it names
exactly what was written, one stack per configured target.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

STACK_ARTIFACT = "aws:cloudformation:stack"


def stacks(outdir: Path) -> list[tuple[str, Path]]:
    """(stack name, template path) of every stack in the assembly, in the manifest's order."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    found = []
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != STACK_ARTIFACT:
            continue
        template = artifact.get("properties", {}).get("templateFile", f"{artifact_id}.template.json")
        found.append((artifact.get("displayName", artifact_id), outdir / template))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="synth_summary", description=__doc__.split("\n\n")[0])
    parser.add_argument("--outdir", type=Path, default=Path("cdk.out"), help="the cloud assembly (cdk.out)")
    args = parser.parse_args(argv)
    try:
        found = stacks(args.outdir)
    except (OSError, ValueError) as error:
        print(f"synth: no cloud assembly in {args.outdir}: {error}", file=sys.stderr)
        return 2
    if not found:
        print(f"synth: {args.outdir}/manifest.json lists no stack", file=sys.stderr)
        return 2
    for name, template in found:
        print(f"synthesized {name} -> {template}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
