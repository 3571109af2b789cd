"""The synthetic corpus: deterministic by seed, bilingual, changing between generations."""

from __future__ import annotations

from dataclasses import replace

from simulator.corpus import Corpus, CorpusSpec, diff
from simulator.platforms import render_one
from simulator.state import PLATFORMS


def test_same_seed_same_datasets_other_seed_others() -> None:
    first, again = Corpus(CorpusSpec(seed=7, n=50)), Corpus(CorpusSpec(seed=7, n=50))
    assert first.datasets() == again.datasets()
    other = Corpus(CorpusSpec(seed=8, n=50))
    assert [d.uid for d in other.datasets()] != [d.uid for d in first.datasets()]


def test_every_platform_renders_identically_for_a_seed() -> None:
    for platform in PLATFORMS:
        one = [render_one(platform, d, "http://s") for d in Corpus(CorpusSpec(n=5)).datasets()]
        two = [render_one(platform, d, "http://s") for d in Corpus(CorpusSpec(n=5)).datasets()]
        assert one == two, platform


def test_datasets_are_bilingual_with_several_distributions() -> None:
    datasets = Corpus(CorpusSpec(seed=3, n=200)).datasets()
    assert all(d.title[0] and d.title[1] and d.title[0] != d.title[1] for d in datasets)
    assert all("données" in d.description[0] and "data" in d.description[1] for d in datasets)
    counts = [len(d.distributions) for d in datasets]
    assert min(counts) >= 1 and max(counts) >= 4 and sum(counts) / len(counts) > 2
    assert len({d.theme.key for d in datasets}) == 10
    assert len({d.uid for d in datasets}) == len({d.fxf for d in datasets}) == 200


def test_a_generation_changes_removes_and_adds_the_configured_shares() -> None:
    spec = CorpusSpec(seed=11, n=2000, changed=0.05, removed=0.02, added=0.01)
    before, after = Corpus(spec), Corpus(replace(spec, generation=1))
    change = diff(before, after)
    assert len(change.added) == 20
    assert 60 <= len(change.changed) <= 140 and 20 <= len(change.removed) <= 60
    assert len(after) == 2000 - len(change.removed) + 20
    for index in change.changed:
        old, new = before.dataset(index), after.dataset(index)
        assert old.title == new.title and old.description != new.description
        assert new.modified > old.modified
    for index in list(change.unchanged)[:50]:
        assert before.dataset(index) == after.dataset(index)


def test_no_change_share_means_identical_generations() -> None:
    spec = CorpusSpec(seed=5, n=300, changed=0, removed=0, added=0)
    later = Corpus(replace(spec, generation=3))
    assert Corpus(spec).datasets() == later.datasets()
