"""The six high-value dataset categories of the EU implementing regulation 2023/138.

Records carry ``hvd_categories`` as URIs of the EU vocabulary
(``http://data.europa.eu/bna/c_ac64a52d``), bare codes or labels; :func:`hvd_category`
reduces any of these to the top-level code, and leaves other values (sub-categories,
unknown labels) as they are.
"""

from __future__ import annotations

from catalog.vocab._fold import fold_spaces

HVD_BASE = "http://data.europa.eu/bna/"

HVD_CATEGORIES: dict[str, tuple[str, str]] = {
    "c_ac64a52d": ("Geospatial", "Géospatiales"),
    "c_dd313021": ("Earth observation and environment", "Observation de la Terre et environnement"),
    "c_164e0bf5": ("Meteorological", "Météorologiques"),
    "c_e1da4e07": ("Statistics", "Statistiques"),
    "c_a9135398": ("Companies and company ownership", "Entreprises et propriété d'entreprises"),
    "c_b79e35eb": ("Mobility", "Mobilité"),
}


def _fold(text: str) -> str:
    return fold_spaces(text.replace("’", "'"))


_BY_LABEL = {_fold(label): code for code, labels in HVD_CATEGORIES.items() for label in labels}


def hvd_category(value: str) -> str:
    """The top-level category code of ``value`` when it names one, else ``value`` stripped."""
    value = value.strip()
    code = value.rstrip("/").rsplit("/", 1)[-1]
    if code in HVD_CATEGORIES:
        return code
    return _BY_LABEL.get(_fold(value), value)


def hvd_label(code: str) -> str | None:
    """The English label of a top-level category code."""
    labels = HVD_CATEGORIES.get(code)
    return labels[0] if labels else None
