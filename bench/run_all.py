"""Every benchmark and the cost estimate, one after another (`make bench`).

Usage:
    python -m bench.run_all [--quick] [--only NAME ...] [--update-docs]

Each benchmark prints its tables and writes bench/results/<name>.json; this also writes
bench/results/report.md with all the output, the command, the date and the machine. With
`--update-docs` that report replaces the generated section of docs/BENCHMARKS.md (between its
`bench:begin`/`bench:end` markers). `--quick` skips the largest account sizes (10,000 instances,
500 clusters; 30,000 in ec2_parsing) and runs one fewer cold-start repetition set, for a fast
smoke run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from bench.report import REPO_ROOT, RESULTS_DIR, machine

DOCS = REPO_ROOT / "docs" / "BENCHMARKS.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


class _Tee(io.TextIOBase):
    def __init__(self, *streams: TextIO) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


def _cost_estimate() -> int:
    from cost import cli as estimate_cost

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = estimate_cost.main(["--compare-original", "--json"])
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "cost_estimate.json").write_text(buffer.getvalue())
    return code or estimate_cost.main(["--compare-original"])


def benchmarks(quick: bool) -> dict[str, Callable[[], int]]:
    from bench import (
        cold_start,
        collector_cost,
        cost_knobs,
        ec2_events,
        ec2_parsing,
        gotostate_bench,
        sampling_accuracy,
    )

    return {
        "collector_cost": lambda: collector_cost.main(["--quick"] if quick else []),
        "ec2_parsing": lambda: ec2_parsing.main(["--quick"] if quick else []),
        "cold_start": lambda: cold_start.main(["--runs", "5"] if quick else []),
        "gotostate": lambda: gotostate_bench.main([]),
        "sampling_accuracy": lambda: sampling_accuracy.main([]),
        "cost_estimate": _cost_estimate,
        "cost_knobs": lambda: cost_knobs.main([]),
        "ec2_events": lambda: ec2_events.main([]),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.run_all", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the largest sizes")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks")
    parser.add_argument(
        "--update-docs", action="store_true", help=f"rewrite the generated part of {DOCS.name}"
    )
    args = parser.parse_args(argv)
    selected = benchmarks(args.quick)
    unknown = set(args.only or ()) - set(selected)
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; known: {', '.join(selected)}")
    given = list(sys.argv[1:] if argv is None else argv)
    command = " ".join(["python -m bench.run_all", *given])
    where = machine()
    sections: list[tuple[str, str, float]] = []
    failed = []
    started_all = time.perf_counter()
    for name, run in selected.items():
        if args.only and name not in args.only:
            continue
        print(f"\n=== {name} ===", flush=True)
        captured = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(_Tee(sys.stdout, captured)):
            try:
                code = run()
            except Exception as error:  # one broken benchmark must not hide the others' results
                print(f"{name} failed: {type(error).__name__}: {error}")
                code = 1
        elapsed = time.perf_counter() - started
        print(f"({name}: {elapsed:.0f} s)")
        if code:
            failed.append(name)
        sections.append((name, captured.getvalue().strip(), elapsed))
    total = time.perf_counter() - started_all
    print(f"\nall benchmarks: {total:.0f} s; results in {RESULTS_DIR.relative_to(REPO_ROOT)}/")
    report = _report(command, where, sections, total)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "report.md").write_text(report)
    (RESULTS_DIR / "run_all.json").write_text(
        json.dumps(
            {"command": command, "machine": where, "seconds": {n: s for n, _, s in sections}}, indent=2
        )
    )
    if args.update_docs:
        update_docs(report)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _report(command: str, where: dict[str, Any], sections: list[tuple[str, str, float]], total: float) -> str:
    lines = [
        f"Command: `{command}` (the `make bench` target; it runs `make synth` first).",
        "",
        f"Run on {where['date']}: {where['cpu']}, {where['nproc']} cores (`nproc`), {where['memory']} memory "
        f"(`free -h`), Python {where['python']}, {where['platform']}. Whole run: {total:.0f} s.",
    ]
    for name, output, seconds in sections:
        lines += ["", f"### {name} ({seconds:.0f} s)", "", "```text", output, "```"]
    return "\n".join(lines) + "\n"


def update_docs(report: str, docs: Path = DOCS) -> None:
    """Replace the generated section of `docs` (between BEGIN and END) with `report`, keeping the
    hand-written text around it; `--update-docs` calls this with docs/BENCHMARKS.md."""
    text = docs.read_text() if docs.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{docs} has no {BEGIN} ... {END} section to update")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    docs.write_text(f"{head}{BEGIN}\n{report}{END}{tail}")
    print(f"updated {docs.relative_to(REPO_ROOT) if docs.is_relative_to(REPO_ROOT) else docs}")


if __name__ == "__main__":
    raise SystemExit(main())
