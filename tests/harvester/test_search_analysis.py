"""The index's text analysis is the query's: each text's stems, in order, per language."""

from __future__ import annotations

import pytest

from harvester.search import text
from harvester.search.text import LANGUAGES, search_document, stems
from tests.harvester.text_samples import sample_texts

ODD_TEXTS = [
    "a\u00a0b\u2003c\td\ne",  # Unicode whitespace splits tokens as it ends words
    "l'eau, l’air et les données...",  # stop words inside tokens
    "le la les de des",  # stop words only: nothing in French
    "the of and",  # nothing in English
    "a¨b ﬀ",  # characters whose folding yields a space or two letters
    "2024-01-05 12:30, v1.2.3 — ÉTÉ",
    "données données DONNÉES",
    "   ",
]


def _expected(texts: list[str]) -> tuple[str, ...]:
    return tuple(
        " ".join(stem for piece in texts for stem in stems(piece, language))
        for language in LANGUAGES
    )


def test_each_text_is_analysed_as_a_query_of_it_would_be() -> None:
    """Real portal texts, the simulator's corpus and odd ones: one text at a time, and
    several as one body, twice (the second time from the kept stems)."""
    texts = [*sample_texts(), *ODD_TEXTS]
    assert len(texts) > 1_000
    for _ in range(2):
        for piece in texts:
            assert text._analysed([piece]) == _expected([piece]), piece
        for start in range(0, len(texts), 7):
            group = texts[start : start + 7]
            assert text._analysed(group) == _expected(group)


def test_kept_stems_start_afresh_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text, "TOKEN_STEMS_MAX", 5)
    monkeypatch.setattr(text, "_TOKEN_STEMS", {lang: text._TokenStems(lang) for lang in LANGUAGES})
    kept = text._TOKEN_STEMS["fr"]
    texts = sample_texts()[:200]
    for piece in texts:
        assert text._analysed([piece]) == _expected([piece])
        assert len(kept) <= 5


def test_a_records_search_document_is_its_texts_stems() -> None:
    from catalog.model import DatasetRecord

    record = DatasetRecord.model_validate(
        {
            "identifier": "r",
            "title": {"fr": "Pistes cyclables", "en": "Bike paths"},
            "description": {"fr": "Le réseau des pistes cyclables de la ville."},
            "keywords": {"fr": ["vélo", "transport actif"]},
            "publisher": {"name": {"fr": "Ville de Québec"}},
            "distributions": [{"title": {"fr": "Fichier CSV"}, "access_url": "https://x.test/a"}],
            "provenance": {
                "source_id": "s",
                "remote_id": "r",
                "platform": "ckan",
                "harvested_at": "2026-01-01T00:00:00Z",
            },
        }
    )
    document = search_document(record)
    titles = ["Pistes cyclables", "Bike paths"]
    body = ["Le réseau des pistes cyclables de la ville.", "vélo", "transport actif"]
    body += ["Ville de Québec", "Fichier CSV"]
    assert (document.title_fr, document.title_en) == _expected(titles)
    assert (document.body_fr, document.body_en) == _expected(body)
    assert document.body_fr.startswith("reseau pist cyclabl vill velo")
