"""Content negotiation and highlighting, as pure functions."""

from __future__ import annotations

import pytest

from api.negotiation import JSON, RDF_MEDIA_TYPES, choose, parse_accept
from harvester.search.highlight import highlight, query_stems
from harvester.search.query import parse_query

OFFERS = (JSON, *RDF_MEDIA_TYPES)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("*/*", JSON),
        ("text/turtle", "text/turtle"),
        ("text/*", "text/turtle"),
        ("application/ld+json;q=0.9, text/turtle;q=0.8", "application/ld+json"),
        ("application/*;q=0.2, application/n-triples", "application/n-triples"),
        ("application/json;q=0, text/turtle;q=0.1", "text/turtle"),
        ("text/turtle;q=0, */*;q=0.5", JSON),
        ("text/csv", None),
        ("text/turtle;q=abc", None),
    ],
)
def test_choose(accept: str | None, expected: str | None) -> None:
    assert choose(accept, OFFERS) == expected


def test_parse_accept_keeps_order_and_clamps() -> None:
    assert parse_accept("A/B; q=2, c/d;level=1") == [("a/b", 1.0), ("c/d", 1.0)]


def test_highlight_marks_stems_in_either_language_and_escapes() -> None:
    stems = query_stems(parse_query("bibliothèques energy -nuit"))
    text = "Les <Bibliothèque> & l'Énergie (energies) de nuit"
    assert highlight(text, stems) == (
        "Les &lt;<mark>Bibliothèque</mark>&gt; &amp; l&#x27;<mark>Énergie</mark> "
        "(<mark>energies</mark>) de nuit"
    )
    assert highlight("rien à voir", stems) is None


def test_snippets_are_windows_around_the_first_match() -> None:
    stems = query_stems(parse_query("vélo"))
    text = " ".join(["mot"] * 50 + ["vélos"] + ["fin"] * 50)
    snippet = highlight(text, stems, max_words=10)
    assert snippet is not None
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>vélos</mark>" in snippet and snippet.count(" ") == 9
