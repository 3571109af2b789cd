"""Highlighted snippets, and the pre-check that skips texts no query word can match in: it
must never skip a text where the full analysis (fold, then stem) finds a match."""

from __future__ import annotations

import pytest

from harvester.search.highlight import highlight, may_match, query_stems
from harvester.search.query import parse_query


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
