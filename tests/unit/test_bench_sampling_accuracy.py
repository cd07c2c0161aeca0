"""SampleDelay summaries: nearest-rank percentiles."""

from __future__ import annotations

from bench.sampling_accuracy import summarize_sample_delays


def test_summarize_sample_delays_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100 ms, shuffled order must not matter
    values.reverse()

    summary = summarize_sample_delays(values)

    assert summary == {"count": 100, "min": 1.0, "p50": 50.0, "p99": 99.0, "max": 100.0, "mean": 50.5}


def test_summarize_sample_delays_small_and_empty() -> None:
    assert summarize_sample_delays([]) == {"count": 0}
    one = summarize_sample_delays([12.0])
    assert one["p50"] == one["p99"] == one["max"] == 12.0
    assert summarize_sample_delays([5.0, 900.0])["p99"] == 900.0
