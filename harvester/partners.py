"""Partner matching: one organization, one partner, however its name is spelled.

"Ville de Laval", "Laval", "City of Laval", "VILLE DE LAVAL" and the id ``ville-de-laval``
all name the same partner; so do "Saint-Jérôme", "St-Jérôme" and "Ville de Saint Jérôme".
:func:`partner_key` reduces a name to a comparison key: accents and case folded,
punctuation (hyphens, apostrophes, dots) turned into spaces, "St"/"Ste" spelled out, and a
leading municipal prefix ("Ville de", "City of", "Municipalité de", …) dropped.
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.model import PartnerKind
from harvester.store.tables import Partner

MAX_ID_LENGTH = 80
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "’": "'", "ʼ": "'"})
_PUNCTUATION = re.compile(r"[^\w]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "cie": "compagnie"}
# Folded, punctuation-free, longest first so "municipalite de la" wins over "municipalite de".
_PREFIXES = tuple(
    sorted(
        (
            f"{head} {tail}"
            for head in (
                "ville",
                "city",
                "town",
                "municipalite",
                "municipality",
                "village",
                "cite",
                "canton",
                "paroisse",
            )
            for tail in ("de la", "du", "des", "de", "d", "of the", "of", "of la")
        ),
        key=len,
        reverse=True,
    )
)


class PartnerError(ValueError):
    """A partner cannot be matched or created as asked."""


def fold(text: str) -> str:
    """``text`` without accents, case-folded, with single spaces (for name comparisons)."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_text = ascii_text.casefold().translate(_LIGATURES)
    return " ".join(ascii_text.split())


def slugify(name: str) -> str:
    """An ASCII slug: accents folded, lowercase, runs of other characters → one hyphen."""
    ascii_text = fold(name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:MAX_ID_LENGTH].rstrip("-")


def _words(name: str) -> str:
    words = _PUNCTUATION.sub(" ", fold(name).replace("_", " ")).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def partner_key(name: str) -> str:
    """The comparison key of a partner name (see the module docstring)."""
    words = _words(name)
    for prefix in _PREFIXES:
        if words.startswith(prefix + " "):
            return words[len(prefix) + 1 :]
    return words


def parse_kind(kind: str | PartnerKind) -> PartnerKind:
    """``kind`` as a :class:`PartnerKind`; ``PartnerError`` lists the valid ones."""
    try:
        return PartnerKind(kind)
    except ValueError:
        valid = ", ".join(k.value for k in PartnerKind)
        raise PartnerError(f"unknown partner kind {kind!r} (valid: {valid})") from None


def match_partner(
    partners: list[Partner], name: str, kind: str | PartnerKind | None = None
) -> Partner | None:
    """The partner of ``partners`` that ``name`` designates, or None.

    An exact id or folded name wins; otherwise the partners with the same key — the one
    of the same ``kind`` when several share it. An ambiguous name matches nothing.
    """
    name = name.strip()
    folded = fold(name)
    for candidate in partners:
        if candidate.id == name or fold(candidate.name) == folded:
            return candidate
    key = partner_key(name)
    if not key:
        return None
    matches = [p for p in partners if partner_key(p.name) == key]
    if len(matches) > 1 and kind is not None:
        matches = [p for p in matches if p.kind == PartnerKind(kind).value]
    return matches[0] if len(matches) == 1 else None


async def find_partner(
    session: AsyncSession, name: str, kind: str | PartnerKind | None = None
) -> Partner | None:
    """The existing partner that ``name`` designates (see :func:`match_partner`)."""
    partner = await session.get(Partner, name.strip())
    if partner is not None:
        return partner
    partners = list((await session.scalars(sa.select(Partner).order_by(Partner.id))).all())
    return match_partner(partners, name, kind)


async def _free_id(session: AsyncSession, base: str) -> str:
    candidate, number = base, 1
    while await session.get(Partner, candidate) is not None:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


async def find_or_create_partner(
    session: AsyncSession, name: str, kind: str | PartnerKind, *, region: str | None = None
) -> Partner:
    """The existing partner matching ``name``, or a new one (flushed, not committed)."""
    if not name.strip():
        raise PartnerError("the partner name is empty")
    partner_kind = parse_kind(kind)
    partner = await find_partner(session, name, partner_kind)
    if partner is not None:
        return partner
    partner_id = await _free_id(session, slugify(name) or "partner")
    partner = Partner(id=partner_id, name=name.strip(), kind=partner_kind.value, region=region)
    session.add(partner)
    await session.flush()
    return partner
