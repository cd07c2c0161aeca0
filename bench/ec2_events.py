"""Events mode against polling: EC2/EBS API calls per sample and cost per day by fleet size.

Usage:
    python -m bench.ec2_events [--sizes 1000 10000 100000]

Calls per sample are measured: for each size the state table holds the counters N instances and
N volumes leave behind (what the event function writes; the sample reads only counters), moto's
EC2 holds a few instances, and one real events-mode sample (`ec2_ebs_state.from_table`) runs with
every EC2 and DynamoDB call counted. Polling's calls come from the model the synth enforces
(`collector_core.ec2_budget`, measured by bench/ec2_parsing: 32 at 10,000). Cost per day is
cost/events_mode.py's request model priced from cost/pricing.py, for 10% and 100% daily churn,
next to polling at the shortest period the EC2 API budget allows.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence
from typing import Any

import boto3
from moto import mock_aws

from bench.report import write_result
from collector_core import ec2_budget
from collector_core.catalogue import INSTANCE_STATES, VOLUME_STATES
from collector_core.faults import Budget, Faults
from collector_core.state_table import COUNTERS_PK, Kind, counter_sk
from cost.events_mode import Scenario, events_cost, poll_cost
from ec2_ebs_state.from_table import collect_from_table
from ec2_state_events.store import COUNTER_SHARDS, Store
from synthesis.handler_runner import moto_volume_statuses

REGION = "us-east-1"
LOG = logging.getLogger("bench.ec2_events")


def _count(client: Any) -> dict[str, int]:
    counts: dict[str, int] = {}

    def count(model: Any, **_: Any) -> None:
        counts[model.name] = counts.get(model.name, 0) + 1

    client.meta.events.register("before-call.*.*", count)
    return counts


def measure_calls(size: int) -> dict[str, int]:
    """The calls of one events-mode sample with counters for `size` instances and volumes."""
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName="state",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for kind, states, main in (
            (Kind.INSTANCE, INSTANCE_STATES, "running"),
            (Kind.VOLUME, VOLUME_STATES, "in-use"),
        ):
            for state in states:
                for shard in range(COUNTER_SHARDS):
                    n = size // COUNTER_SHARDS if state == main else 0
                    dynamodb.put_item(
                        TableName="state",
                        Item={
                            "pk": {"S": COUNTERS_PK},
                            "sk": {"S": counter_sk(kind, state, shard)},
                            "n": {"N": str(n)},
                        },
                    )
        ec2 = boto3.client("ec2", region_name=REGION)
        ec2.run_instances(ImageId="ami-12c6146b", MinCount=3, MaxCount=3)
        store = Store(dynamodb, "state")
        ec2_calls, ddb_calls = _count(ec2), _count(dynamodb)
        faults = Faults(LOG)
        # moto has no DescribeVolumeStatus: answer it (no volume impaired) in its response layer.
        with moto_volume_statuses():
            budget = Budget(time.time, time.time() + 60)
            datums = collect_from_table(ec2, store, (), budget=budget, faults=faults)
        running = next(
            d.value
            for d in datums
            if d.spec.name == "InstanceCount" and dict(d.dimensions)["State"] == "running"
        )
        assert running == size - size % COUNTER_SHARDS, running
        assert not faults.errors, faults.errors
        return {**ec2_calls, **ddb_calls}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.ec2_events", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    args = parser.parse_args(argv)
    print("EC2/EBS API calls per sample (instances = volumes = size)")
    print(f"{'size':>8} {'events: calls (measured)':>26} {'poll: calls (model)':>20}  events calls by API")
    calls: dict[int, dict[str, int]] = {}
    for size in args.sizes:
        calls[size] = measure_calls(size)
        poll = ec2_budget.calls_per_sample(ec2_budget.Fleet(size, size))
        by_api = ", ".join(f"{k} {v}" for k, v in sorted(calls[size].items()))
        print(f"{size:>8,} {sum(calls[size].values()):>26} {poll:>20}  {by_api}")
    print()
    print("Cost per day (USD), us-east-1 on-demand: events mode samples every 1 s,")
    print("poll at the shortest period its EC2 API budget allows")
    print(
        f"{'size':>8} {'churn':>6} {'events total':>13} {'DynamoDB':>9} {'event fn':>9} {'reconcile':>10} "
        f"{'poll total':>11}  poll period"
    )
    costs = []
    for size in (10_000, 100_000):
        for churn in (0.1, 1.0):
            e = events_cost(Scenario(size, churn))
            p = poll_cost(Scenario(size, churn))
            ddb = sum(v for k, v in e.items.items() if k.startswith("DynamoDB"))
            poll_text = (
                f"{p.total:>11.4f}  {p.note}" if p else f"{'n/a':>11}  no period fits 25% of the EC2 refill"
            )
            print(
                f"{size:>8,} {churn:>6.0%} {e.total:>13.4f} {ddb:>9.4f} {e.items['Event function']:>9.4f} "
                f"{e.items['Reconcile function']:>10.4f} {poll_text}"
            )
            costs.append({"size": size, "churn": churn, "events": e.items, "poll": p.items if p else None})
    write_result("ec2_events", {"calls": {str(k): v for k, v in calls.items()}, "costs": costs})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
