"""Licences → :class:`~catalog.model.LicenceRef` with an SPDX id, canonical URI and title.

Recognizes CKAN licence ids (``cc-by``, ``odc-odbl``, ``uk-ogl``, ``ca-ogl-lgo``…),
English and French titles, licence URLs in their many spellings (scheme, ``www.``,
trailing slash, ``legalcode``, ``deed.fr``), Creative Commons written any way
("CC BY-SA 4.0", "Attribution 4.0 International (CC BY 4.0)") and HTML snippets as
DCAT-US feeds carry them (the link and its text are used).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from catalog.html_text import looks_like_html, read_html
from catalog.model import LicenceRef
from catalog.vocab._fold import fold, fold_words


@dataclass(frozen=True)
class _Licence:
    id: str | None
    uri: str | None
    title: str
    open: bool | None
    names: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()

    def ref(self) -> LicenceRef:
        return LicenceRef(id=self.id, uri=self.uri, title=self.title, open=self.open)


_CC_PARTS = {"by": "Attribution", "sa": "ShareAlike", "nc": "NonCommercial", "nd": "NoDerivatives"}
_CC_EDITION = {"4.0": " International", "3.0": " Unported", "2.5": " Generic", "2.0": " Generic"}


def _cc(kind: str, version: str, port: str | None = None) -> _Licence:
    """A Creative Commons licence, e.g. ``_cc("by-sa", "4.0")`` → CC-BY-SA-4.0."""
    parts = kind.split("-")
    name = "-".join(_CC_PARTS[p] for p in parts)
    suffix = f" {port.upper()}" if port else _CC_EDITION.get(version, "")
    path = f"{kind}/{version}/" + (f"{port}/" if port else "")
    return _Licence(
        id=f"CC-{kind.upper()}-{version}" + (f"-{port.upper()}" if port else ""),
        uri=f"https://creativecommons.org/licenses/{path}",
        title=f"Creative Commons {name} {version}{suffix}",
        open=not ({"nc", "nd"} & set(parts)),
    )


_EU = "publications.europa.eu/resource/authority/licence/"  # EU licence authority table
_DCAT_AP_DE = "dcat-ap.de/def/licenses/"  # the German DCAT-AP.de licence list

# fmt: off
CC0 = _Licence(
    "CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/",
    "Creative Commons Zero v1.0 Universal", True,
    names=("cc-zero", "cc0", "cc0 1.0", "cc zero", "creative commons cczero",
           "creative commons zero", "cc0 1.0 universal", "public domain dedication"),
    urls=("creativecommons.org/publicdomain/zero/1.0", "opendefinition.org/licenses/cc-zero",
          "dcat-ap.de/def/licenses/cc-zero", f"{_EU}cc0"),
)
LO_1 = _Licence(
    None, "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf",
    "Licence Ouverte / Open Licence version 1.0", True,
    names=("fr-lo", "lo-1.0", "licence ouverte 1.0", "licence ouverte v1.0", "licence ouverte v1",
           "licence ouverte version 1.0", "licence ouverte / open licence 1.0",
           "licence ouverte / open licence v1.0", "licence ouverte / open licence version 1.0",
           "open licence 1.0", "open licence v1.0"),
    urls=("etalab.gouv.fr/pages/licence_ouverte_open_licence-5899923.html",
          "etalab.gouv.fr/wp-content/uploads/2014/05/licence_ouverte.pdf"),
)

# CKAN's default licence list gives "cc-by" and "cc-by-sa" no version (title "Creative
# Commons Attribution", url opendefinition.org/licenses/cc-by). The Open Definition
# licence service resolves those to the current 4.0 licences, and Données Québec's
# scheming schema labels "cc-by" as CC-BY-4.0, so unversioned CC names mean 4.0 here.
# CKAN's "cc-nc" ("Creative Commons Non-Commercial (Any)") links to by-nc/2.0: we follow
# that link.
_CC_DEFAULT_VERSION = "4.0"

_LICENCES: tuple[_Licence, ...] = (
    CC0,
    replace(_cc("by", "4.0"), names=("cc-by", "creative commons attribution", "cc by 4.0"),
            urls=("opendefinition.org/licenses/cc-by",)),
    replace(_cc("by-sa", "4.0"), names=("cc-by-sa", "creative commons attribution share-alike"),
            urls=("opendefinition.org/licenses/cc-by-sa",)),
    replace(_cc("by-nc", "2.0"), names=("cc-nc", "creative commons non-commercial (any)")),
    replace(_cc("by", "3.0", "igo"), names=(
        "cc-by-igo", "creative commons attribution 3.0 igo",
        "creative commons attribution for intergovernmental organisations")),
    _Licence(
        "ODbL-1.0", "https://opendatacommons.org/licenses/odbl/1-0/",
        "Open Data Commons Open Database License v1.0", True,
        names=("odc-odbl", "odbl", "odbl-1.0", "odbl 1.0", "open database license",
               "open database license (odbl)", "licence odbl",
               "open data commons open database license (odbl)",
               "open data commons open database license"),
        urls=("opendatacommons.org/licenses/odbl", "opendatacommons.org/licenses/odbl/1.0",
              "opendatacommons.org/licenses/odbl/1-0", "opendatacommons.org/licenses/odbl/summary",
              "opendefinition.org/licenses/odc-odbl", f"{_DCAT_AP_DE}odbl", f"{_EU}odc_bl"),
    ),
    _Licence(
        "ODC-By-1.0", "https://opendatacommons.org/licenses/by/1-0/",
        "Open Data Commons Attribution License v1.0", True,
        names=("odc-by", "odc-by-1.0", "open data commons attribution license"),
        urls=("opendatacommons.org/licenses/by", "opendatacommons.org/licenses/by/1.0",
              "opendatacommons.org/licenses/by/1-0", "opendefinition.org/licenses/odc-by",
              f"{_DCAT_AP_DE}odby", f"{_EU}odc_by"),
    ),
    _Licence(
        "PDDL-1.0", "https://opendatacommons.org/licenses/pddl/1-0/",
        "Open Data Commons Public Domain Dedication and License v1.0", True,
        names=("odc-pddl", "pddl", "pddl-1.0",
               "open data commons public domain dedication and license (pddl)",
               "open data commons public domain dedication and license"),
        urls=("opendatacommons.org/licenses/pddl", "opendatacommons.org/licenses/pddl/1.0",
              "opendatacommons.org/licenses/pddl/1-0", "opendefinition.org/licenses/odc-pddl",
              f"{_DCAT_AP_DE}odcpddl", f"{_EU}odc_pddl"),
    ),
    _Licence(
        "etalab-2.0", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "Licence Ouverte / Open Licence version 2.0", True,
        names=("etalab-2.0", "lov2", "lo-2.0", "licence ouverte 2.0", "licence ouverte v2.0",
               "licence ouverte / open licence 2.0", "licence ouverte / open licence version 2.0",
               "open licence 2.0", "licence ouverte", "licence ouverte / open licence",
               "licence ouverte (etalab)", "licence etalab", "licence ouverte etalab",
               "open licence etalab"),
        urls=("etalab.gouv.fr/licence-ouverte-open-licence",
              "etalab.gouv.fr/wp-content/uploads/2017/04/etalab-licence-ouverte-v2.0.pdf"),
    ),
    LO_1,
    _Licence(
        "OGL-Canada-2.0", "https://open.canada.ca/en/open-government-licence-canada",
        "Open Government Licence - Canada", True,
        names=("ca-ogl-lgo", "ogl-canada-2.0", "ogl-canada", "open government licence - canada",
               "licence du gouvernement ouvert - canada", "licence du gouvernement ouvert (canada)"),
        urls=("open.canada.ca/en/open-government-licence-canada",
              "open.canada.ca/fr/licence-du-gouvernement-ouvert-canada",
              "data.gc.ca/eng/open-government-licence-canada",
              "donnees.gc.ca/fra/licence-du-gouvernement-ouvert-canada"),
    ),
    _Licence(
        "OGL-UK-3.0", "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        "Open Government Licence v3.0", True,
        names=("uk-ogl", "ogl-uk-3.0", "ogl", "ogl v3", "ogl v3.0", "ogl3", "uk_oglv3.0",
               "uk open government licence v3",
               "uk open government licence (ogl)", "uk open government licence",
               "open government licence", "open government licence v3.0",
               "open government licence version 3", "open government licence version 3.0"),
        urls=("nationalarchives.gov.uk/doc/open-government-licence/version/3",
              "nationalarchives.gov.uk/doc/open-government-licence",
              "nationalarchives.gov.uk/doc/open-government-licence/open-government-licence.htm",
              "reference.data.gov.uk/id/open-government-licence", f"{_EU}ogl_3_0"),
    ),
    _Licence(
        "OGL-UK-2.0", "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/2/",
        "Open Government Licence v2.0", True,
        names=("ogl-uk-2.0", "open government licence v2.0", "ogl v2"),
        urls=("nationalarchives.gov.uk/doc/open-government-licence/version/2",),
    ),
    _Licence(
        "GFDL-1.3", "https://www.gnu.org/licenses/fdl-1.3.html",
        "GNU Free Documentation License v1.3", True,
        names=("gfdl", "gfdl-1.3", "gnu free documentation license", "gnu fdl"),
        urls=("opendefinition.org/licenses/gfdl", "gnu.org/licenses/fdl-1.3.html",
              "gnu.org/licenses/fdl.html", "gnu.org/copyleft/fdl.html", f"{_DCAT_AP_DE}gfdl",
              f"{_EU}gnu_fdl_1_3"),
    ),
    _Licence(
        "DL-DE-BY-2.0", "https://www.govdata.de/dl-de/by-2-0",
        "Data licence Germany – attribution – version 2.0", True,
        names=("dl-de-by-2.0", "dl-de/by-2-0", "datenlizenz deutschland namensnennung 2.0",
               "datenlizenz deutschland – namensnennung – version 2.0"),
        urls=("govdata.de/dl-de/by-2-0", f"{_DCAT_AP_DE}dl-by-de/2.0", f"{_DCAT_AP_DE}dl-de-by-2.0",
              f"{_EU}dl_de_by_2_0"),
    ),
    _Licence(
        "DL-DE-ZERO-2.0", "https://www.govdata.de/dl-de/zero-2-0",
        "Data licence Germany – Zero – version 2.0", True,
        names=("dl-de-zero-2.0", "dl-de/zero-2-0", "datenlizenz deutschland zero 2.0",
               "datenlizenz deutschland – zero – version 2.0"),
        urls=("govdata.de/dl-de/zero-2-0", f"{_DCAT_AP_DE}dl-zero-de/2.0",
              f"{_DCAT_AP_DE}dl-de-zero-2.0", f"{_EU}dl_de_zero_2_0"),
    ),
    _Licence(
        "MPL-2.0", "https://www.mozilla.org/en-US/MPL/2.0/", "Mozilla Public License 2.0", True,
        names=("mpl-2.0", "mozilla public license 2.0"),
        urls=("mozilla.org/mpl/2.0", "mozilla.org/en-us/mpl/2.0", f"{_DCAT_AP_DE}mozilla"),
    ),
    _Licence(
        None, "https://www.dati.gov.it/iodl/2.0/", "Italian Open Data License 2.0", True,
        names=("iodl", "iodl 2.0", "iodl-2.0", "italian open data license 2.0",
               "italian open data license v2.0"),
        urls=("dati.gov.it/iodl/2.0",),
    ),
    _Licence(
        None, "https://novascotia.ca/opendata/licence.asp", "Nova Scotia Open Government Licence",
        True, names=("ogl_nova_scotia", "nova scotia open government licence",
                     "open government licence - nova scotia"),
        urls=("novascotia.ca/opendata/licence.asp",),
    ),
    _Licence(None, "https://creativecommons.org/publicdomain/mark/1.0/", "Public Domain Mark 1.0",
             True, names=("public domain mark", "pdm"),
             urls=("creativecommons.org/publicdomain/mark/1.0", f"{_DCAT_AP_DE}ccpdm/1.0",
                   f"{_EU}cc_pdm_1_0")),
    _Licence(None, "https://www.usa.gov/publicdomain/label/1.0/",
             "U.S. Government Work (Public Domain)", True,
             names=("usgov_works", "public domain u.s. government"),
             urls=("usa.gov/publicdomain/label/1.0",)),
    _Licence(None, None, "Public Domain", True,
             names=("public domain", "domaine public", "dominio publico")),
    # CKAN's generic choices (is_okd_compliant in ckan/model/license.py decides "open").
    _Licence(None, None, "Other (Open)", True, names=(
        "other-open", "autre (ouverte)", "autre (ouvert)", "outra (aberta)"),
        urls=(f"{_DCAT_AP_DE}other-open",)),
    _Licence(None, None, "Other (Public Domain)", True, names=(
        "other-pd", "autre (domaine public)", "outra (dominio publico)")),
    _Licence(None, None, "Other (Attribution)", True, names=(
        "other-at", "autre (attribution)", "outra (atribuicao)")),
    _Licence(None, None, "Other (Non-Commercial)", False, names=(
        "other-nc", "autre (non commerciale)", "autre (pas d'utilisation commerciale)",
        "outra (nao comercial)")),
    _Licence(None, None, "Other (Not Open)", False, names=(
        "other-closed", "autre (non ouverte)", "autre (fermee)", "outra (nao aberta)"),
        urls=(f"{_DCAT_AP_DE}other-closed",)),
    _Licence(None, None, "License not specified", None, names=(
        "notspecified", "licence non specifiee", "not specified", "non specifiee",
        "licenca nao especificada")),
)
# fmt: on

# Phrases that identify a licence inside a longer text ("Soumis à la licence Etalab").
_CONTAINS: tuple[tuple[str, str], ...] = (
    ("licence du gouvernement ouvert canada", "OGL-Canada-2.0"),
    ("open government licence canada", "OGL-Canada-2.0"),
    ("licence ouverte", "etalab-2.0"),
    ("etalab", "etalab-2.0"),
    ("open database licence", "ODbL-1.0"),
    ("odbl", "ODbL-1.0"),
    ("open government licence", "OGL-UK-3.0"),
)


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


def _index() -> tuple[dict[str, _Licence], dict[str, _Licence], dict[str, _Licence]]:
    names: dict[str, _Licence] = {}
    urls: dict[str, _Licence] = {}
    ids: dict[str, _Licence] = {}
    for lic in _LICENCES:
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
    rf"^{re.escape(_DCAT_AP_DE)}cc-(?P<kind>by(?:-(?:nc|nd|sa))*)(?P<de>-de)?(?:/(?P<version>\d\.\d))?$"
)
# EU licence authority: CC_BY_4_0, CC_BYSA_4_0, CC_BYNCND_3_0, CC_BY (4.0)…
_CC_EU = re.compile(
    rf"^{re.escape(_EU)}cc_by(?P<parts>(?:nc)?(?:nd)?(?:sa)?)(?:_(?P<major>\d)_(?P<minor>\d))?"
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


def _cc_ref(kind: str, version: str | None, port: str | None = None) -> _Licence:
    """A CC licence; a known table row when there is one (for its aliases' titles)."""
    parts = kind.split("-")
    order = [p for p in ("by", "nc", "nd", "sa") if p in parts]
    if "nd" in order and "sa" in order:
        order.remove("sa")  # no such licence; ND wins
    version = version or _CC_DEFAULT_VERSION
    lic = _cc("-".join(order), version, None if version == "4.0" else port)  # 4.0 has no ports
    return _BY_ID.get(lic.id or "", lic)


def _from_url(url: str) -> _Licence | None:
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


def _from_cc_text(folded: str) -> _Licence | None:
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


def _from_text(text: str) -> _Licence | None:
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
    for phrase, lic_id in _CONTAINS:
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


def licence_title(ref: LicenceRef | None) -> str | None:
    """A display title for ``ref``: its title, else its id, else its URI."""
    if ref is None:
        return None
    return ref.title or ref.id or ref.uri
