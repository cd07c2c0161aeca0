"""Sampling accuracy: how long after its scheduled second each data point's collection starts.

Run: python -m bench.sampling_accuracy [--minutes N]

Every sample writes `SampleDelay`: milliseconds from the second it describes to the moment its
handler started. This runs real minutes of the synthesized pipeline on the embedded emulator
(`local.emulator`: moto's Step Functions engine runs the sampler ASL, whose Wait states wait until
each branch's timestamp, and Lambda runs our handlers), reads SampleDelay back from the emulated
CloudWatch and summarizes it per collector: p50, p99 and max.

What it shows is the design's own lateness (timestamp arithmetic, waits, task dispatch) on this
machine, not AWS's: in AWS an invocation adds Lambda's invoke latency (tens of ms warm, more on a
cold start), and the emulator runs invocations one at a time, so a second where both collectors
are due delays the second one by the first one's duration.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bench.report import table, write_result

SAMPLE_DELAY = "SampleDelay"
# The emulator needs a second or two to start an execution's 72 branch threads; samples in those
# seconds are summarized apart so the steady state is visible.
WARM_UP_SECONDS = 2


def summarize_sample_delays(values_ms: list[float]) -> dict[str, float]:
    """count, min, p50, p99, max and mean of the delays (percentiles by nearest rank)."""
    if not values_ms:
        return {"count": 0}
    ordered = sorted(values_ms)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {
        "count": len(ordered),
        "min": ordered[0],
        "p50": rank(50),
        "p99": rank(99),
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
    }


def emulator_available() -> bool:
    return importlib.util.find_spec("local.emulator") is not None


def run_emulated(minutes: int) -> dict[str, list[tuple[int, float]]]:
    """(second of the minute, SampleDelay) per collector from `minutes` real minutes on the emulator."""
    from cost.cli import load_synthesized
    from local.emulator import EmbeddedAws, read_metrics

    synthesized = load_synthesized(None, None)
    with EmbeddedAws() as aws:
        deployment = aws.deploy(synthesized)
        if importlib.util.find_spec("local.demo_account") is not None:
            from local.demo_account import seed_account

            seed_account(aws)  # a believable account, so collectors do real work
        # Start on the next whole second rather than waiting for a whole minute, as the demo does.
        first = datetime.fromtimestamp(math.ceil(time.time()) + 1, UTC)
        executions = []
        for minute in range(minutes):
            scheduled = first + timedelta(minutes=minute)
            time.sleep(max(0.0, scheduled.timestamp() - time.time() - 0.05))
            executions.append(aws.start_minute(deployment, synthesized, scheduled))
        time.sleep(max(0.0, first.timestamp() + 60 * minutes - time.time()))
        statuses = [aws.wait_for(arn, timeout_s=60)["status"] for arn in executions]
        series = read_metrics(
            aws.client("cloudwatch"), deployment.namespace, first, first + timedelta(minutes=minutes)
        )
    if any(status != "SUCCEEDED" for status in statuses):
        raise RuntimeError(f"sampler executions ended {statuses}")
    delays: dict[str, list[tuple[int, float]]] = {}
    for (name, dimensions), points in series.items():
        if name == SAMPLE_DELAY:
            delays[dict(dimensions).get("Collector", "?")] = [
                (round((at - first).total_seconds()) % 60, value) for at, value in points
            ]
    return delays


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.sampling_accuracy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=1, help="real minutes to run (default 1)")
    args = parser.parse_args(argv)
    if not emulator_available():
        print(
            "sampling accuracy: skipped. It needs the embedded emulator (local/emulator/), which runs the "
            "synthesized sampler on moto in real time; without it there is no SampleDelay to read."
        )
        write_result("sampling_accuracy", {"skipped": "local.emulator is not available"})
        return 0
    delays = run_emulated(args.minutes)
    summaries = {
        collector: summarize_sample_delays([v for _, v in points])
        for collector, points in sorted(delays.items())
    }
    summaries["all"] = summarize_sample_delays([v for points in delays.values() for _, v in points])
    summaries[f"all, from second {WARM_UP_SECONDS}"] = summarize_sample_delays(
        [v for points in delays.values() for second, v in points if second >= WARM_UP_SECONDS]
    )
    print(f"SampleDelay (ms) over {args.minutes} emulated minute(s), per collector")
    print(
        table(
            ("collector", "samples", "min", "p50", "p99", "max", "mean"),
            [
                [c, s["count"], s.get("min"), s.get("p50"), s.get("p99"), s.get("max"), s.get("mean")]
                for c, s in summaries.items()
            ],
        )
    )
    write_result("sampling_accuracy", {"minutes": args.minutes, "summaries": summaries, "values_ms": delays})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
