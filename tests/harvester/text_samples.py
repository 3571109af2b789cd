"""Texts to check text analysis on: edge cases, the simulator's corpus, real portal texts."""

from __future__ import annotations

EDGE_TEXTS = [  # folding and offsets' hard cases
    "Données ouvertes ; DONNÉES brutes, données-test et données_test",
    "donne\u0301es brutes et données",  # a combining mark: offsets would drift
    "Königstraße et STRAẞE, données",  # characters folding to two
    "Liste des ﬁchiers — données",  # a ligature
    "Ｄｏｎｎéｅｓ pleine chasse et données",  # compatibility forms fold to ASCII
    "²données ½ données³",
    "CŒUR du patrimoine, cœur",
    "",
    "…",
]


def sample_texts() -> list[str]:
    """The edge texts, the simulator's titles and descriptions and every text of the recorded
    CKAN answers, once each."""
    import orjson

    from simulator.corpus import Corpus, CorpusSpec
    from tests.paths import FIXTURES

    texts = list(EDGE_TEXTS)
    corpus = Corpus(CorpusSpec(seed=7, n=60))
    for index in corpus.indices:
        dataset = corpus.dataset(index)
        texts += [*dataset.title, *dataset.description]

    def strings(value: object) -> None:
        if isinstance(value, str) and " " in value:  # text, not codes or URLs
            texts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                strings(item)
        elif isinstance(value, list):
            for item in value:
                strings(item)

    for path in sorted((FIXTURES / "ckan").glob("*package_s*.json")):
        strings(orjson.loads(path.read_bytes()))
    return list(dict.fromkeys(texts))
