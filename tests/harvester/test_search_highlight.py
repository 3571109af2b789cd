"""Highlighted snippets, and the pre-check that skips texts no query word can match in: it
must never skip a text where the full analysis (fold, then stem) finds a match."""

from __future__ import annotations

import html
import random
import re

import pytest

from harvester.search.highlight import highlight, may_match, prepare, query_stems
from harvester.search.query import parse_query
from tests.harvester.text_samples import EDGE_TEXTS, sample_texts


def _highlight(query: str, text: str, max_words: int | None = None) -> str | None:
    return highlight(text, query_stems(parse_query(query)), max_words=max_words)


@pytest.mark.parametrize(
    ("query", "text", "marked"),
    [
        ("donnees", "Données ouvertes", "<mark>Données</mark> ouvertes"),  # accent folding
        ("données", "DONNEES OUVERTES", "<mark>DONNEES</mark> OUVERTES"),  # case folding
        ("PATRIMOINE", "patrimoine bâti", "<mark>patrimoine</mark> bâti"),
        ("energetique", "Efficacité ÉNERGÉTIQUE", "Efficacité <mark>ÉNERGÉTIQUE</mark>"),
        ("énergétiques", "energetique", "<mark>energetique</mark>"),
        ("données", "donne\u0301es brutes", None),  # a combining mark splits the word
        ("donne", "DONNE\u0301 ici", "<mark>DONNE</mark>\u0301 ici"),  # a mark after the word
        ("strasse", "Königstraße", None),  # another word: no match
        ("strasse", "STRAẞE et rues", "<mark>STRAẞE</mark> et rues"),  # ẞ folds to "ss"
        ("strasse", "straße", "<mark>straße</mark>"),
        ("fichier", "Liste des ﬁchiers", "Liste des <mark>ﬁchiers</mark>"),  # ligature
        # stems whose last letters are not in the word: "indicateurs" → "indiqu"
        ("indiquer", "Indicateurs de qualité", "<mark>Indicateurs</mark> de qualité"),
        ("récent", "Mis à jour récemment", "Mis à jour <mark>récemment</mark>"),
        ("eau", "Qualité des eaux", "Qualité des <mark>eaux</mark>"),  # stem too short to test
        ("cœur", "Centre du CŒUR", "Centre du <mark>CŒUR</mark>"),  # a stem not in ASCII
        ("happy", "Happily ever after", None),
    ],
)
def test_highlight_matches_through_folding_and_stemming(
    query: str, text: str, marked: str | None
) -> None:
    assert _highlight(query, text) == marked


def test_the_pre_check_skips_only_texts_without_a_match() -> None:
    stems = query_stems(parse_query("patrimoine"))
    assert not may_match("Pistes cyclables — Ville de Québec", stems)
    assert may_match("Le PATRIMOINE bâti", stems)
    assert may_match("Patrimônial", stems)  # a candidate, then read word by word
    assert _highlight("patrimoine", "Patrimônial") is None
    assert stems.anchors is not None
    assert query_stems(parse_query("eau")).anchors is None  # "eau": no letter to spare


def test_a_window_of_words_around_the_first_match() -> None:
    words = [f"mot{i}" for i in range(100)]
    words[50] = "patrimoine"
    snippet = _highlight("patrimoine", " ".join(words), max_words=30)
    assert snippet == "…" + " ".join(words[40:50]) + " <mark>patrimoine</mark> " + (
        " ".join(words[51:70]) + "…"
    )
    near_end = _highlight("patrimoine", " ".join(words[:60]), max_words=30)
    assert near_end == "…" + " ".join(words[30:50]) + " <mark>patrimoine</mark> " + (
        " ".join(words[51:60])
    )


# -- the fast path (candidate words by their anchors) gives what reading every word gives --

QUERIES = [
    "données",
    "patrimoine",
    "esturgeon",
    "pistes cyclables",
    "indicateurs santé",
    "qualité de l'air",
    "énergie",
    "vélo",
    "transport",
    "budget",
    "écoles",
    "arbres",
    "water",
    "health",
    "bike paths",
    "bolsa",
    "família",
    "strasse",
    "fichier",
    "cœur",
    "eau",
]


def test_the_fast_path_marks_what_reading_every_word_marks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Real portal texts (the recorded CKAN answers), the simulator's bilingual corpus and
    edge cases, every query, with and without a window: same snippets both ways."""
    from harvester.search import highlight as module

    texts = sample_texts()
    assert len(texts) > 1_000
    cases = [
        (text, query_stems(parse_query(query)), max_words)
        for query in QUERIES
        for text in texts
        for max_words in (None, 5, 30)
    ]
    fast = [highlight(text, stems, max_words=max_words) for text, stems, max_words in cases]
    with monkeypatch.context() as patched:
        patched.setattr(module, "_matched_spans", lambda text, stems: None)
        slow = [highlight(text, stems, max_words=max_words) for text, stems, max_words in cases]
    differing = [
        (case[0][:60], case[2]) for case, a, b in zip(cases, fast, slow, strict=True) if a != b
    ]
    assert not differing
    assert sum(snippet is not None for snippet in fast) > 500  # the cases do match


def test_the_fast_path_serves_regular_texts_and_leaves_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from harvester.search import highlight as module

    stems = query_stems(parse_query("données"))
    calls: list[str] = []
    by_words = module._spans_by_words

    def spy(text: str, stems: object, max_words: int | None) -> object:
        calls.append(text)
        return by_words(text, stems, max_words)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "_spans_by_words", spy)
    assert highlight("Les DONNÉES ouvertes", stems) == "Les <mark>DONNÉES</mark> ouvertes"
    assert calls == []
    assert highlight("Straße des données", stems) == "Straße des <mark>données</mark>"
    assert calls == ["Straße des données"]  # "ß" folds to two letters: read word by word
    assert highlight("Les données ≥ 5", stems) == "Les <mark>données</mark> ≥ 5"
    assert calls[1:] == ["Les données ≥ 5"]  # not a Windows-1252 character


def test_aligned_fold_folds_each_word_in_place_or_gives_up() -> None:
    import re

    from harvester.search.aligned_fold import CODEC, aligned_fold
    from harvester.search.text import fold

    for text in [*EDGE_TEXTS, *sample_texts()[:300], "Énergie — l’œuvre", "ÇA VA", "Ÿ ª²"]:
        found = aligned_fold(text)
        if found is None:
            continue
        folded = found.folded.decode(CODEC)
        assert len(folded) == len(found.mask) == len(text)
        words = [(m.span(), m.group()) for m in re.finditer(r"\w+", text)]
        assert [(m.span(), m.group()) for m in re.finditer(rb"a+", found.mask)] == [
            (span, b"a" * len(word)) for span, word in words
        ]
        assert [folded[a:b] for (a, b), _ in words] == [fold(word) for _, word in words], text
    assert aligned_fold("Énergie à Québec").folded == b"energie a quebec"  # type: ignore[union-attr]
    for odd in ("Straße", "½ litre", "µg", "≥ 5", "donne\u0301es", "nul\x00"):
        assert aligned_fold(odd) is None, odd


def test_a_prepared_text_cuts_escaped_pieces_and_words_as_the_text_has_them() -> None:
    """A prepared text's escaped pieces are ``html.escape`` of the same pieces, and its
    words those of the text, for every recorded and simulated text (and some with every
    character escaping changes)."""
    rng = random.Random(5)
    texts = [*sample_texts(), "l'eau & <l'air> \"x\"", "&&&", "a<b", ""]
    checked = 0
    for text in texts:
        prepared = prepare(text)
        assert prepared.escaped_slice(0, len(text)) == html.escape(text)
        for _ in range(8):
            start = rng.randint(0, len(text))
            end = rng.randint(start, len(text))
            assert prepared.escaped_slice(start, end) == html.escape(text[start:end]), text
            checked += 1
        if prepared.fold is not None:
            spans = [word.span() for word in re.finditer(r"\w+", text)]
            assert list(zip(prepared.word_starts, prepared.word_ends, strict=True)) == spans
    assert checked > 8_000
