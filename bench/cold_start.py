"""Cold start: each handler module's import time and the deployment package, next to a bare boto3 handler.

Run: python -m bench.cold_start

Import time is what `python -X importtime -c "import ecs_counts.handler"` reports as the module's
cumulative time, in a fresh subprocess with PYTHONPATH=lambdas (the Lambda asset root), median of
`RUNS` runs; the process wall time of a plain `python -c "import ..."` is shown too. The baseline
is a one-file handler that imports boto3 and nothing else. Both import what Lambda would import:
Powertools is in the venv here and in the Powertools layer there, and boto3 comes with the runtime.

The package is the collectors' asset as CDK stages it in cdk.out/ (handler code only: no
dependencies, since Powertools comes from the layer and boto3 from the runtime), zipped with
deflate as the CDK CLI zips it for upload.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.report import REPO_ROOT, median, table, write_result

MODULES = ("ecs_counts.handler", "ec2_ebs_state.handler")
BASELINE_MODULE = "bare_handler"
BASELINE_SOURCE = '''"""A bare boto3 handler: what a handler with no libraries of its own costs."""
import boto3

ecs = None


def handler(event, context):
    global ecs
    ecs = ecs or boto3.client("ecs")
    return ecs.describe_clusters()["clusters"]
'''
RUNS = 11
ASSEMBLY = REPO_ROOT / "cdk.out"


def import_time_us(module: str, pythonpath: str) -> tuple[int, list[tuple[str, int]]]:
    """The module's cumulative import time (µs) and the five slowest imports by self time."""
    env = {**os.environ, "PYTHONPATH": pythonpath}
    stderr = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stderr
    cumulative, selfs = 0, []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        self_us, cumulative_us, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        selfs.append((name, int(self_us)))
        if name == module or module.startswith(f"{name}."):
            cumulative += int(cumulative_us)  # the package's __init__ and then the module itself
    if not any(name == module for name, _ in selfs):
        raise RuntimeError(f"python -X importtime reported no line for {module}")
    return cumulative, sorted(selfs, key=lambda item: -item[1])[:5]


def process_ms(module: str, pythonpath: str) -> float:
    started = time.perf_counter()
    # No timeout: with one, Popen.wait polls in sleeps of up to 50 ms, which quantizes the result.
    subprocess.run(
        [sys.executable, "-c", f"import {module}"], env={**os.environ, "PYTHONPATH": pythonpath}, check=True
    )
    return (time.perf_counter() - started) * 1000


def zipped_size(root: Path) -> tuple[int, int, int]:
    """(zip bytes, uncompressed bytes, files) of a directory zipped with deflate."""
    buffer, raw, files = io.BytesIO(), 0, 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(root))
            raw += path.stat().st_size
            files += 1
    return len(buffer.getvalue()), raw, files


def staged_asset() -> Path:
    """The directory CDK staged for the collector functions' code, from a synthesized template."""
    for template in sorted(ASSEMBLY.glob("*.template.json")):
        resources = json.loads(template.read_text())["Resources"].values()
        for resource in resources:
            if resource["Type"] == "AWS::Lambda::Function":
                key = str(resource["Properties"]["Code"].get("S3Key", ""))
                asset = ASSEMBLY / f"asset.{key.removesuffix('.zip')}"
                if asset.is_dir():
                    return asset
    raise FileNotFoundError(f"no staged Lambda asset in {ASSEMBLY}: run `make synth` first")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.cold_start", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args(argv)
    lambdas = str(REPO_ROOT / "lambdas")
    results: dict[str, Any] = {"runs": args.runs, "modules": {}}
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as baseline_dir:
        (Path(baseline_dir) / f"{BASELINE_MODULE}.py").write_text(BASELINE_SOURCE)
        subjects = [(m, lambdas) for m in MODULES] + [(BASELINE_MODULE, baseline_dir)]
        for module, path in subjects:
            process_ms(module, path)  # warm the file system cache and .pyc files first
            measured = [import_time_us(module, path) for _ in range(args.runs)]
            results["modules"][module] = {
                "import_ms": median([us for us, _ in measured]) / 1000,
                "process_ms": median([process_ms(module, path) for _ in range(args.runs)]),
                "slowest_self_imports_us": measured[-1][1],
            }
        baseline_zip = zipped_size(Path(baseline_dir))
    base = results["modules"][BASELINE_MODULE]
    rows = [
        [
            module,
            data["import_ms"],
            data["import_ms"] / base["import_ms"],
            data["process_ms"],
            data["process_ms"] / base["process_ms"],
        ]
        for module, data in results["modules"].items()
    ]
    print(f"Handler import time, fresh process each, median of {args.runs} (PYTHONPATH=lambdas)")
    print(table(("module", "import ms", "x bare", "process ms", "x bare"), rows))
    slowest = results["modules"][MODULES[0]]["slowest_self_imports_us"]
    print(
        "slowest imports of ecs_counts.handler by self time: "
        + ", ".join(f"{n} {us / 1000:.1f} ms" for n, us in slowest)
    )

    asset = staged_asset()
    package = zipped_size(asset)
    results["package"] = {
        "asset": asset.name,
        "zip_bytes": package[0],
        "raw_bytes": package[1],
        "files": package[2],
    }
    results["baseline_package"] = {
        "zip_bytes": baseline_zip[0],
        "raw_bytes": baseline_zip[1],
        "files": baseline_zip[2],
    }
    print(
        f"\nDeployment package (cdk.out/{asset.name[:18]}..., zipped): {package[0] / 1024:.1f} KiB, "
        f"{package[2]} files ({package[1] / 1024:.1f} KiB unzipped); "
        f"bare handler {baseline_zip[0] / 1024:.1f} KiB "
        f"({package[0] / baseline_zip[0]:.0f}x). Powertools comes from the public layer and boto3 from the "
        "runtime, so neither is in the package."
    )
    write_result("cold_start", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
