"""The cost model: counts taken from the synthesized template and the catalogue, prices from one module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collector_core.catalogue import Collector
from collector_core.settings import Settings
from cost import account_items, cli, items, measure, model, original, pricing, service_items, usage
from tests.support.stacks import SynthResult, synth


@pytest.fixture(scope="module")
def default() -> SynthResult:
    return synth()


@pytest.fixture(scope="module")
def default_estimate(default: SynthResult) -> items.Estimate:
    return model.estimate(default.synthesized, items.Options())


def _item(estimate: items.Estimate, name: str) -> items.Item:
    (item,) = [i for i in estimate.items if i.name == name]
    return item


def test_pricing_every_price_names_its_source_and_date() -> None:
    for name, price in pricing.ALL_PRICES.items():
        assert price.source.startswith("https://aws.amazon.com/"), name
        assert price.read_on == "2026-11-22", name
        assert price.usd >= 0, name


def test_pricing_tiers_charge_each_slice_at_its_own_rate() -> None:
    # 15,000 metrics: 10,000 at $0.30 and 5,000 at $0.10
    assert pricing.tiered_cost(15_000, pricing.CUSTOM_METRIC_MONTH_TIERS) == pytest.approx(3_500)
    assert pricing.tiered_cost(10, pricing.CUSTOM_METRIC_MONTH_TIERS) == pytest.approx(3.0)
    assert pricing.tiered_cost(0, pricing.CUSTOM_METRIC_MONTH_TIERS) == 0


def test_estimate_default_schedule_invokes_72_times_a_minute(
    default: SynthResult, default_estimate: items.Estimate
) -> None:
    branches = usage.sampler_branches(default.synthesized)
    samples = default_estimate.assumptions["samples"]

    assert len(branches) == 72
    assert samples["ecs_counts"]["per_minute"] == 60
    assert samples["ec2_ebs_state"]["per_minute"] == 12
    assert _item(default_estimate, "Lambda requests (ecs_counts)").quantity_per_day == 60 * 1440
    assert _item(default_estimate, "Step Functions Express requests").quantity_per_day == 1440


def test_estimate_express_duration_spans_the_minute_at_64_mb(default_estimate: items.Estimate) -> None:
    item = _item(default_estimate, "Step Functions Express duration")

    # 1,440 executions of 59 s (last branch) + the task, rounded up to 100 ms, at 64 MB
    assert item.quantity_per_day == pytest.approx(1440 * 59.1 * 64 / 1024)
    assert "64 MB" in item.detail


def test_estimate_express_memory_grows_past_64_mb_only_for_huge_definitions() -> None:
    assert service_items.express_memory_mb(definition_bytes=160_000, input_bytes=40, branches=72) == 64
    assert (
        service_items.express_memory_mb(definition_bytes=20 * 1024 * 1024, input_bytes=40, branches=72) == 128
    )


def test_estimate_standard_transitions_are_counted_from_the_asl() -> None:
    # given the same sampler as a STANDARD workflow
    standard = synth(workflowType="STANDARD")

    # when
    estimate = model.estimate(standard.synthesized, items.Options())

    # then: the Parallel state plus Wait and Task in each of the 72 branches, every minute
    item = _item(estimate, "Step Functions Standard state transitions")
    assert item.quantity_per_day == 1440 * (1 + 72 * 2)
    assert item.usd_per_day == pytest.approx(1440 * 145 * 0.025 / 1000)
    assert not [i for i in estimate.items if i.name.startswith("Step Functions Express")]


def test_estimate_original_design_transitions_per_execution() -> None:
    assert usage.state_transitions(original.original_asl(5)["States"], "Sample") == 1 + 12 * 2
    assert usage.state_transitions(original.original_asl(1)["States"], "Sample") == 1 + 60 * 2


def test_estimate_emf_bytes_are_measured_from_the_real_handler(
    default: SynthResult, default_estimate: items.Estimate
) -> None:
    samples = default_estimate.assumptions["samples"]
    spec = next(f for f in default.synthesized.functions.values() if f.handler.startswith("ecs_counts."))
    environment = tuple(sorted(spec.environment.items()))

    more = measure.measure_sample(spec.handler, environment, clusters=6, services_per_cluster=0)

    # 4 datums per cluster + 3 health datums, all printed as EMF
    assert samples["ecs_counts"]["datums"] == 3 * 4 + 3
    assert more.datums == 6 * 4 + 3
    assert more.log_bytes > samples["ecs_counts"]["log_bytes"] > 0
    assert samples["ec2_ebs_state"]["datums"] == 6 + 1 + 6 + 1 + 1 + 3
    assert not [i for i in default_estimate.items if i.name.startswith("PutMetricData")]


def test_estimate_api_sink_pays_put_metric_data_instead_of_emf_bytes(default: SynthResult) -> None:
    estimate = model.estimate(default.synthesized, items.Options(sink="api"))

    calls = _item(estimate, "PutMetricData (ecs_counts)")
    assert calls.quantity_per_day == 86_400  # 15 datums fit in one call per sample
    logs = _item(estimate, "Logs ingestion (ecs_counts)")
    # no EMF; the collectors log JSON at system level WARN, so no platform lines either
    assert logs.quantity_per_day == 0
    assert estimate.assumptions["samples"]["ecs_counts"]["platform_log"] == "JSON>=WARN"


def test_estimate_platform_log_lines_follow_the_logging_config() -> None:
    assert service_items.platform_log({}) == ("Text", 256, 3)
    assert service_items.platform_log({"LogFormat": "JSON", "SystemLogLevel": "INFO"})[0] == "JSON"
    assert service_items.platform_log({"LogFormat": "JSON", "SystemLogLevel": "WARN"}) == ("JSON>=WARN", 0, 0)


def test_estimate_metric_count_grows_with_clusters_from_the_catalogue() -> None:
    collectors = {collector: Settings() for collector in Collector}

    three = account_items.metric_streams(collectors, clusters=3, services_per_cluster=5)
    ten = account_items.metric_streams(collectors, clusters=10, services_per_cluster=5)

    assert three["RunningTask"] == 3
    assert sum(ten.values()) - sum(three.values()) == 7 * 4  # four per-cluster metrics
    assert three["InstanceCount"] == 6 and three["VolumeCount"] == 6
    assert three["SampleDelay"] == 2  # one per collector
    assert "ServiceRunningTask" not in three  # per-service metrics are off by default
    with_services = {c: Settings(ecs_service_metrics=True) for c in Collector}
    assert (
        account_items.metric_streams(with_services, clusters=3, services_per_cluster=5)["ServiceRunningTask"]
        == 15
    )


def test_estimate_alarms_priced_by_resolution(default: SynthResult, default_estimate: items.Estimate) -> None:
    alarms = [a for a in default.synthesized.alarms if not a.query]  # query alarms: their own item
    high = [a for a in alarms if a.period < 60]

    item = _item(default_estimate, "CloudWatch alarms")

    assert high  # the account alarms are 10-second ones
    assert item.usd_per_month == pytest.approx(0.30 * len(high) + 0.10 * (len(alarms) - len(high)))


def test_estimate_pipeline_excludes_monthly_fees(default_estimate: items.Estimate) -> None:
    monthly = {items.METRICS, items.ALARMS, items.FIXED}

    assert default_estimate.total_usd_per_day == pytest.approx(
        default_estimate.pipeline_usd_per_day
        + sum(i.usd_per_day for i in default_estimate.items if i.category in monthly)
    )
    assert default_estimate.pipeline_usd_per_day < default_estimate.total_usd_per_day


def test_estimate_cli_json_is_one_object_with_comparison(
    default: SynthResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "stack.template.json"
    template.write_text(json.dumps(default.template))

    code = cli.main(["--template", str(template), "--json", "--compare-original"])

    assert code == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("pipeline_usd_per_day", "total_usd_per_day", "breakdown", "original_pipeline_usd_per_day"):
        assert key in data
    assert data["original_1s_pipeline_usd_per_day"] > data["original_pipeline_usd_per_day"]
    assert data["ratio_vs_original"] > 1
    assert data["ratio_vs_original_1s"] > data["ratio_vs_original"]
    assert {"name", "category", "usd_per_day", "usd_per_month"} <= set(data["breakdown"][0])
    assert data["total_usd_per_day"] > data["pipeline_usd_per_day"] > 0


def test_estimate_cli_text_itemizes_and_compares_without_internal_targets(
    default: SynthResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "stack.template.json"
    template.write_text(json.dumps(default.template))

    code = cli.main(["--template", str(template), "--compare-original"])

    out = capsys.readouterr().out
    assert code == 0
    for shown in ("Logs ingestion (ecs_counts)", "original design, 5 s sampling", "pipeline ratio"):
        assert shown in out
    # the project's own goals live in bench/ and docs/BENCHMARKS.md, not in what a user is told
    assert "target" not in out.lower()
    assert "MISSES" not in out and "NOT met" not in out


def test_estimate_cli_duration_override_replaces_the_lower_bound(
    default: SynthResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "stack.template.json"
    template.write_text(json.dumps(default.template))

    cli.main(["--template", str(template), "--json", "--duration-ms", "ecs_counts=40"])

    data = json.loads(capsys.readouterr().out)
    (compute,) = [i for i in data["breakdown"] if i["name"] == "Lambda compute (ecs_counts)"]
    assert compute["quantity_per_day"] == pytest.approx(86_400 * 0.040 * 256 / 1024)
    assert data["assumptions"]["duration_ms_is_lower_bound"] is False


def test_estimate_cli_rejects_an_unknown_collector(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--duration-ms", "lambda=40"])

    assert exit_info.value.code == 2
    assert "COLLECTOR=MS" in capsys.readouterr().err


def test_estimate_cli_missing_template_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["--template", str(tmp_path / "nope.json")])

    assert code == 2
    assert capsys.readouterr().err.strip().startswith("cost: error: --template")
