"""Access rights → the EU access-right codes DCAT-AP uses: PUBLIC, RESTRICTED, NON_PUBLIC.

Accepts DCAT-US ``accessLevel`` values (``"public"``, ``"restricted public"``,
``"non-public"``), English and French words and EU access-right URIs.
"""

from __future__ import annotations

from functools import lru_cache

from catalog.vocab._fold import fold_words

ACCESS_RIGHT_BASE = "http://publications.europa.eu/resource/authority/access-right/"

CODES = frozenset({"PUBLIC", "RESTRICTED", "NON_PUBLIC"})

# Folded words (lower case, no accents, punctuation as spaces) → code.
_WORDS: dict[str, str] = {
    "public": "PUBLIC",
    "open": "PUBLIC",
    "open access": "PUBLIC",
    "public access": "PUBLIC",
    "publique": "PUBLIC",
    "ouvert": "PUBLIC",
    "ouverte": "PUBLIC",
    "acces public": "PUBLIC",
    "acces ouvert": "PUBLIC",
    "libre": "PUBLIC",
    "libre acces": "PUBLIC",
    "restricted": "RESTRICTED",
    "restricted public": "RESTRICTED",
    "restricted access": "RESTRICTED",
    "limited": "RESTRICTED",
    "restreint": "RESTRICTED",
    "restreinte": "RESTRICTED",
    "acces restreint": "RESTRICTED",
    "limite": "RESTRICTED",
    "non public": "NON_PUBLIC",
    "nonpublic": "NON_PUBLIC",
    "not public": "NON_PUBLIC",
    "private": "NON_PUBLIC",
    "closed": "NON_PUBLIC",
    "confidential": "NON_PUBLIC",
    "non publique": "NON_PUBLIC",
    "prive": "NON_PUBLIC",
    "privee": "NON_PUBLIC",
    "ferme": "NON_PUBLIC",
    "confidentiel": "NON_PUBLIC",
    "confidentielle": "NON_PUBLIC",
}


def access_right_uri(code: str) -> str:
    """The EU access-right authority URI of ``code`` (e.g. ``"PUBLIC"``)."""
    return ACCESS_RIGHT_BASE + code


def access_right_code(value: str | None) -> str | None:
    """``"PUBLIC"``, ``"RESTRICTED"`` or ``"NON_PUBLIC"`` for ``value``; ``None`` if unknown."""
    if type(value) is str:
        return _access_right_code_cached(value)
    return _access_right_code(value)


def _access_right_code(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    text = value.strip()
    if "://" in text:
        tail = text.rstrip("/").rsplit("/", 1)[-1].upper()
        return tail if tail in CODES and "/access-right/" in text else None
    if text.upper() in CODES:
        return text.upper()
    return _WORDS.get(fold_words(text))


_access_right_code_cached = lru_cache(maxsize=1024)(_access_right_code)
