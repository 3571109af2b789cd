"""Licences → :class:`~catalog.model.LicenceRef` with an SPDX id, canonical URI and title.

Recognizes CKAN licence ids (``cc-by``, ``odc-odbl``, ``uk-ogl``, ``ca-ogl-lgo``…),
English and French titles, licence URLs in their many spellings (scheme, ``www.``,
trailing slash, ``legalcode``, ``deed.fr``), Creative Commons written any way
("CC BY-SA 4.0", "Attribution 4.0 International (CC BY 4.0)") and HTML snippets as
DCAT-US feeds carry them (the link and its text are used).
"""

from __future__ import annotations

import re
from functools import lru_cache

from catalog.html_text import looks_like_html, read_html
from catalog.model import LicenceRef, trusted
from catalog.vocab._fold import fold, fold_words
from catalog.vocab.licence_table import (
    CC0,
    CC_DEFAULT_VERSION,
    CONTAINS,
    DCAT_AP_DE,
    EU,
    LICENCES,
    LO_1,
    Licence,
    cc,
)

__all__ = ["CC0", "LO_1", "licence_title", "normalize_licence"]


def _fold(text: str) -> str:
    """Lower case, no accents, "license" spelled "licence", punctuation as spaces."""
    return fold_words(fold(text).replace("license", "licence"), keep=".").strip(". ")


_URL_STRIP = re.compile(r"(?:/(?:legalcode|deed)(?:\.[a-z]{2}(?:[-_][a-z]{2,4})?)?)?/*$")


def _url_key(url: str) -> str:
    """``HTTPS://www.X.org/a/legalcode.fr?x#y`` → ``x.org/a``."""
    key = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip().lower())
    key = key.split("#", 1)[0].split("?", 1)[0]
    key = key.removeprefix("www.")
    return _URL_STRIP.sub("", key)


def _index() -> tuple[dict[str, Licence], dict[str, Licence], dict[str, Licence]]:
    names: dict[str, Licence] = {}
    urls: dict[str, Licence] = {}
    ids: dict[str, Licence] = {}
    for lic in LICENCES:
        for name in (*lic.names, lic.title, *((lic.id,) if lic.id else ())):
            names.setdefault(_fold(name), lic)
        for url in (*lic.urls, *((lic.uri,) if lic.uri else ())):
            urls.setdefault(_url_key(url), lic)
        if lic.id:
            ids[lic.id] = lic
    return names, urls, ids


_BY_NAME, _BY_URL, _BY_ID = _index()

_CC_URL = re.compile(
    r"^creativecommons\.org/licenses/(?P<kind>by(?:-(?:nc|nd|sa))*)"
    r"(?:/(?P<version>\d\.\d))?(?:/(?P<port>[a-z]{2,3}))?$"
)
# dcat-ap.de: cc-by, cc-by/4.0, cc-by-nc-de/3.0 (German port), cc-by-sa…
_CC_DCAT_AP_DE = re.compile(
    rf"^{re.escape(DCAT_AP_DE)}cc-(?P<kind>by(?:-(?:nc|nd|sa))*)(?P<de>-de)?(?:/(?P<version>\d\.\d))?$"
)
# EU licence authority: CC_BY_4_0, CC_BYSA_4_0, CC_BYNCND_3_0, CC_BY (4.0)…
_CC_EU = re.compile(
    rf"^{re.escape(EU)}cc_by(?P<parts>(?:nc)?(?:nd)?(?:sa)?)(?:_(?P<major>\d)_(?P<minor>\d))?"
    r"(?:_(?P<port>[a-z]{2,3}))?$"
)
# Socrata licence ids, folded: CC_30_BY_NC_SA → "cc 30 by nc sa", CC_30_BY_AUS, CC_40_BY.
_CC_SOCRATA = re.compile(
    r"^cc (?P<major>\d)(?P<minor>\d) (?P<kind>by(?: (?:nc|nd|sa))*)(?: (?P<port>aus|nz|igo))?$"
)
_SOCRATA_PORTS = {"aus": "au"}
# "Licence Ouverte v1.0" and its spellings: the first Etalab licence, not the current one.
_LO_VERSION_1 = re.compile(
    r"\b(?:licence ouverte|open licence|etalab)\b.*\b(?:v|version )?1(?:\.0)?\b"
)
_CC_SHORT = re.compile(
    r"\bcc (?P<kind>by(?: (?:nc|nd|sa))*)(?: (?P<version>\d\.\d))?(?: (?P<port>igo))?\b"
)
_CC_WORDS: tuple[tuple[str, str], ...] = (
    ("attribution", "by"),
    ("atribuicao", "by"),
    ("reconocimiento", "by"),
    ("paternite", "by"),
    ("non commercial", "nc"),
    ("noncommercial", "nc"),
    ("pas d utilisation commerciale", "nc"),
    ("no derivative", "nd"),
    ("noderivative", "nd"),
    ("noderivs", "nd"),
    ("pas de modification", "nd"),
    ("share alike", "sa"),
    ("sharealike", "sa"),
    ("partage dans les memes conditions", "sa"),
)
_VERSION = re.compile(r"\b(\d\.\d)\b")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')]+")
_URLISH = re.compile(r"^(?:https?://|www\.|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/)\S*$", re.I)
_MAX_TEXT = 200  # longer texts are terms of use, not licence names


def _cc_ref(kind: str, version: str | None, port: str | None = None) -> Licence:
    """A CC licence; a known table row when there is one (for its aliases' titles)."""
    parts = kind.split("-")
    order = [p for p in ("by", "nc", "nd", "sa") if p in parts]
    if "nd" in order and "sa" in order:
        order.remove("sa")  # no such licence; ND wins
    version = version or CC_DEFAULT_VERSION
    lic = cc("-".join(order), version, None if version == "4.0" else port)  # 4.0 has no ports
    return _BY_ID.get(lic.id or "", lic)


def _from_url(url: str) -> Licence | None:
    key = _url_key(url)
    if key in _BY_URL:
        return _BY_URL[key]
    if match := _CC_URL.match(key):
        return _cc_ref(match["kind"], match["version"], match["port"])
    if match := _CC_DCAT_AP_DE.match(key):
        return _cc_ref(match["kind"], match["version"], "de" if match["de"] else None)
    if match := _CC_EU.match(key):
        kind = "-".join(["by", *(p for p in ("nc", "nd", "sa") if p in match["parts"])])
        version = f"{match['major']}.{match['minor']}" if match["major"] else None
        return _cc_ref(kind, version, match["port"])
    return None


def _from_cc_text(folded: str) -> Licence | None:
    if match := _CC_SOCRATA.match(folded):
        kind, port = match["kind"].replace(" ", "-"), match["port"]
        edition = f"{match['major']}.{match['minor']}"
        return _cc_ref(kind, edition, _SOCRATA_PORTS.get(port, port))
    if match := _CC_SHORT.search(folded):
        return _cc_ref(match["kind"].replace(" ", "-"), match["version"], match["port"])
    if re.search(r"\bcc ?0\b|\bcc zero\b|\bcczero\b", folded):
        return CC0
    if "creative common" not in folded and not folded.startswith("attribution "):
        return None
    parts = [code for word, code in _CC_WORDS if word in folded]
    if "by" not in parts:
        return None
    version = _VERSION.search(folded)
    port = "igo" if re.search(r"\bigo\b|intergovernmental", folded) else None
    return _cc_ref("-".join(dict.fromkeys(parts)), version[1] if version else None, port)


def _from_text(text: str) -> Licence | None:
    folded = _fold(text)
    if not folded:
        return None
    if folded in _BY_NAME:
        return _BY_NAME[folded]
    if _URLISH.match(text.strip()):
        return _from_url(text)
    if len(folded) > _MAX_TEXT:
        return None
    for url in _URL_IN_TEXT.findall(text):
        if lic := _from_url(url):
            return lic
    if lic := _from_cc_text(folded):
        return lic
    if _LO_VERSION_1.search(folded):
        return LO_1
    for phrase, lic_id in CONTAINS:
        if re.search(rf"\b{re.escape(phrase)}\b", folded):
            return _BY_ID[lic_id]
    return None


def _split_html(value: str) -> tuple[list[str], str]:
    """The links and the whitespace-collapsed text of ``value`` (HTML or not)."""
    if not looks_like_html(value):
        return [], value.strip()
    found = read_html(value)
    return found.links, " ".join(found.text.split())


def _is_http(value: str) -> bool:
    return bool(re.match(r"^https?://\S+$", value.strip(), re.I))


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def normalize_licence(
    value: str | None = None, *, title: str | None = None, url: str | None = None
) -> LicenceRef | None:
    """Recognize a licence from an id/name/URL ``value``, a ``title`` and a ``url``.

    Known licences come back with their SPDX id (where SPDX has one), canonical URI, title
    and openness; unknown ones keep the given title (or value) and any http(s) URL, with
    ``open=None``. ``None`` when every argument is empty.
    """
    if (
        type(value or "") is str
        and type(title or "") is str
        and type(url or "") is str
        and len(value or "") + len(title or "") + len(url or "") <= _MAX_CACHED
    ):
        found = _recognize_cached(value or "", title or "", url or "")
        if found is None:
            return None
        # a fresh copy (records are mutable and must not share their licence object), built
        # as model_copy() would: same values, every field set
        return trusted(
            LicenceRef,
            {"id": found.id, "uri": found.uri, "title": found.title, "open": found.open},
        )
    return _recognize(value, title, url)


def _recognize(value: str | None, title: str | None, url: str | None) -> LicenceRef | None:
    """:func:`normalize_licence` itself."""
    hrefs, text = _split_html(value or "")
    title_hrefs, title_text = _split_html(title or "")
    url = (url or "").strip()
    candidates = [text, url, title_text, *hrefs, *title_hrefs]
    for candidate in candidates:
        if candidate and (lic := _from_text(candidate)):
            return lic.ref()
    if not any(candidates):
        return None
    links = [c for c in (url, text, *hrefs, *title_hrefs, title_text) if c and _is_http(c)]
    if not links:
        links = _URL_IN_TEXT.findall(text)[:1] if len(text) <= _MAX_TEXT else []
    label = title_text or text or None
    return LicenceRef(
        id=None,
        uri=links[0] if links else None,
        title=_shorten(label) if label else None,
        open=None,
    )


_recognize_cached = lru_cache(maxsize=2048)(_recognize)
"""Licence fields repeat across a catalogue; the answer is a pure function of them. Long
texts (terms of use in HTML) are not kept: at most ``_MAX_CACHED`` characters a key."""
_MAX_CACHED = 600


def licence_title(ref: LicenceRef | None) -> str | None:
    """A display title for ``ref``: its title, else its id, else its URI."""
    if ref is None:
        return None
    return ref.title or ref.id or ref.uri
