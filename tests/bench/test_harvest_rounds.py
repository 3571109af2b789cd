"""The harvest benchmark's rounds: medians, spreads and ratios taken within a round."""

from __future__ import annotations

from bench.harvest import REPEATED_UP_TO, Rounds, paired, repeats


def _run(seconds: float, count: int = 1000, rss: float = 100.0) -> dict[str, float]:
    return {"seconds": seconds, "count": count, "rss_mb": rss}


def test_the_median_round_is_a_whole_run() -> None:
    rounds = Rounds()
    for seconds, rss in ((9.0, 300.0), (4.0, 100.0), (5.0, 200.0)):
        rounds.add(_run(seconds, rss=rss))
    assert rounds.median() == _run(5.0, rss=200.0)  # its peak RSS too, not another run's
    assert rounds.spread() == "4.00–9.00"
    assert rounds.rates() == [1000 / 9.0, 1000 / 4.0, 1000 / 5.0]


def test_an_even_count_takes_the_lower_middle_and_one_round_has_no_spread() -> None:
    two = Rounds([_run(3.0), _run(2.0)])
    assert two.median()["seconds"] == 2.0
    one = Rounds([_run(7.0)])
    assert one.median()["seconds"] == 7.0
    assert one.spread() == ""


def test_ratios_are_paired_by_round_not_by_rank() -> None:
    # a slow minute slows both sides of round 2: its ratio stays that of the others
    harvest = [1000.0, 500.0, 1000.0]
    baseline = [50.0, 25.0, 50.0]
    assert paired(harvest, baseline) == [20.0, 20.0, 20.0]
    # pairing by rank (each side sorted first) would give [20.0, 20.0]
    assert paired([1000.0, 500.0], [25.0, 50.0]) == [10.0, 40.0]
    assert paired([1.0], [0.0]) == []


def test_three_rounds_at_small_sizes_one_above_unless_asked() -> None:
    assert repeats(None, 10_000) == 3
    assert repeats(None, REPEATED_UP_TO + 1) == 1
    assert repeats(5, 1_000_000) == 5
    assert repeats(0, 100) == 1
