"""Languages → EU language authority codes (``"FRA"``, ``"ENG"``) and back to BCP 47 tags.

Accepts ISO 639-1 (``"fr"``), ISO 639-2/B and /T (``"fre"``, ``"fra"``), locale tags
(``"fr-CA"``, ``"fr_CA"``), English, French and native names (``"French"``,
``"français"``), EU language URIs and other URIs ending in a code (id.loc.gov, lexvo).
The EU table uses ISO 639-2/T-style three-letter codes.
"""

from __future__ import annotations

import re
from functools import lru_cache

from catalog.vocab._fold import fold_spaces

LANGUAGE_BASE = "http://publications.europa.eu/resource/authority/language/"

# (BCP 47 tag, EU code, other names and codes). The tag is ISO 639-1 where one exists.
_LANGUAGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("fr", "FRA", ("fre", "french", "francais", "frances", "franzosisch")),
    ("en", "ENG", ("english", "anglais", "ingles", "englisch")),
    ("es", "SPA", ("sp", "spanish", "espagnol", "espanol", "castellano", "spanisch")),
    ("de", "DEU", ("ger", "german", "allemand", "deutsch", "aleman")),
    ("it", "ITA", ("italian", "italien", "italiano")),
    ("pt", "POR", ("portuguese", "portugais", "portugues")),
    ("nl", "NLD", ("dut", "dutch", "neerlandais", "nederlands", "flemish")),
    ("ca", "CAT", ("catalan", "catala")),
    ("ar", "ARA", ("arabic", "arabe")),
    ("zh", "ZHO", ("chi", "chinese", "chinois", "mandarin", "zhongwen")),
    ("ja", "JPN", ("japanese", "japonais")),
    ("ko", "KOR", ("korean", "coreen")),
    ("ru", "RUS", ("russian", "russe")),
    ("uk", "UKR", ("ukrainian", "ukrainien")),
    ("pl", "POL", ("polish", "polonais", "polski")),
    ("cs", "CES", ("cze", "czech", "tcheque")),
    ("sk", "SLK", ("slo", "slovak", "slovaque")),
    ("sl", "SLV", ("slovenian", "slovene")),
    ("hu", "HUN", ("hungarian", "hongrois")),
    ("ro", "RON", ("rum", "romanian", "roumain")),
    ("bg", "BUL", ("bulgarian", "bulgare")),
    ("hr", "HRV", ("croatian", "croate")),
    ("sr", "SRP", ("serbian", "serbe")),
    ("el", "ELL", ("gre", "greek", "grec")),
    ("tr", "TUR", ("turkish", "turc")),
    ("he", "HEB", ("hebrew", "hebreu")),
    ("fa", "FAS", ("per", "persian", "persan", "farsi")),
    ("hi", "HIN", ("hindi",)),
    ("bn", "BEN", ("bengali",)),
    ("ur", "URD", ("urdu", "ourdou")),
    ("pa", "PAN", ("punjabi", "pendjabi")),
    ("ta", "TAM", ("tamil", "tamoul")),
    ("vi", "VIE", ("vietnamese", "vietnamien")),
    ("th", "THA", ("thai",)),
    ("id", "IND", ("indonesian", "indonesien")),
    ("ms", "MSA", ("may", "malay", "malais")),
    ("tl", "TGL", ("tagalog",)),
    ("sw", "SWA", ("swahili",)),
    ("sv", "SWE", ("swedish", "suedois", "svenska")),
    ("da", "DAN", ("danish", "danois", "dansk")),
    ("no", "NOR", ("norwegian", "norvegien", "norsk")),
    ("nb", "NOB", ("norwegian bokmal", "bokmal")),
    ("nn", "NNO", ("norwegian nynorsk", "nynorsk")),
    ("fi", "FIN", ("finnish", "finnois", "suomi")),
    ("is", "ISL", ("ice", "icelandic", "islandais")),
    ("et", "EST", ("estonian", "estonien")),
    ("lv", "LAV", ("latvian", "letton")),
    ("lt", "LIT", ("lithuanian", "lituanien")),
    ("ga", "GLE", ("irish", "irlandais", "gaeilge")),
    ("gd", "GLA", ("scottish gaelic", "gaelique ecossais")),
    ("cy", "CYM", ("wel", "welsh", "gallois")),
    ("mt", "MLT", ("maltese", "maltais")),
    ("eu", "EUS", ("baq", "basque", "euskara")),
    ("gl", "GLG", ("galician", "galicien")),
    ("oc", "OCI", ("occitan",)),
    ("br", "BRE", ("breton",)),
    ("co", "COS", ("corsican", "corse")),
    ("lb", "LTZ", ("luxembourgish", "luxembourgeois")),
    ("sq", "SQI", ("alb", "albanian", "albanais")),
    ("mk", "MKD", ("mac", "macedonian", "macedonien")),
    ("hy", "HYE", ("arm", "armenian", "armenien")),
    ("ka", "KAT", ("geo", "georgian", "georgien")),
    ("la", "LAT", ("latin",)),
    ("eo", "EPO", ("esperanto",)),
    ("ht", "HAT", ("haitian", "haitian creole", "creole haitien")),
    ("iu", "IKU", ("inuktitut",)),
    ("cr", "CRE", ("cree", "cri")),
    ("oj", "OJI", ("ojibwa", "ojibwe", "ojibway")),
    ("moh", "MOH", ("mohawk", "kanienkeha")),
    ("mul", "MUL", ("multiple languages", "multilingual", "multilingue")),
    ("zxx", "ZXX", ("no linguistic content", "not applicable")),
    ("und", "UND", ("undetermined", "indetermine")),
)

# Values that name several languages at once (Montréal's scheming "FR_EN").
_MULTI: dict[str, tuple[str, ...]] = {"fr_en": ("FRA", "ENG"), "en_fr": ("ENG", "FRA")}


def _fold(text: str) -> str:
    return fold_spaces(text.replace("'", ""))


def _index() -> tuple[dict[str, str], dict[str, str]]:
    names: dict[str, str] = {}
    tags: dict[str, str] = {}
    for tag, code, aliases in _LANGUAGES:
        tags[code] = tag
        for name in (tag, code, *aliases):
            names.setdefault(_fold(name), code)
    return names, tags


_BY_NAME, _TAGS = _index()
_SUBTAG = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{2,8})+$")
_SPLIT = re.compile(r"\s*(?:[,;/|&+]|\bet\b|\band\b)\s*")


def language_uri(code: str) -> str:
    """The EU language authority URI of ``code`` (e.g. ``"FRA"``)."""
    return LANGUAGE_BASE + code


def language_tag(code: str) -> str | None:
    """The BCP 47 tag of an EU language code: ``"FRA"`` → ``"fr"``; ``None`` if unknown."""
    return _TAGS.get(code.strip().upper())


def language_code(value: str | None) -> str | None:
    """The EU language code of a code, locale, name or URI; ``None`` if unknown."""
    if type(value) is str:
        return _language_code_cached(value)
    return _language_code(value)


def _language_code(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    text = value.strip()
    if "://" in text:
        tail = text.rstrip("/").rsplit("/", 1)[-1]
        if text.startswith(LANGUAGE_BASE) or text.startswith(
            LANGUAGE_BASE.replace("http:", "https:")
        ):
            known = _BY_NAME.get(_fold(tail))  # "FRE" (ISO 639-2/B) is FRA in the EU table
            return known or (tail.upper() if re.fullmatch(r"[A-Za-z]{3}", tail) else None)
        text = tail
    key = _fold(text)
    if key in _BY_NAME:
        return _BY_NAME[key]
    if match := _SUBTAG.match(key):
        return _BY_NAME.get(match[1])
    return None


_language_code_cached = lru_cache(maxsize=4096)(_language_code)


def language_codes(value: str | list[str] | None) -> list[str]:
    """Every EU language code found in a list or a joined string ("fr, en", "FR_EN")."""
    if not value:
        return []
    items = value if isinstance(value, list) else [value]
    codes: list[str] = []
    for item in items:
        if not isinstance(item, str):
            continue
        multi = _MULTI.get(_fold(item))
        if multi:
            parts: tuple[str, ...] = multi
        elif "://" in item:
            parts = (item,)
        else:
            parts = tuple(p for p in _SPLIT.split(item.strip()) if p)
        for part in parts:
            code = part if multi else language_code(part)
            if code and code not in codes:
                codes.append(code)
    return codes
