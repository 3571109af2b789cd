"""Helpers for multilingual literals."""

from __future__ import annotations

from catalog.model import LocalizedText

PREFERRED_LANGUAGES = ("fr", "en", "")


def pick(text: LocalizedText | None, lang: str = "fr") -> str | None:
    """The text in ``lang``, else French, English, untagged, else any language."""
    if not text:
        return None
    for tag in (lang, *PREFERRED_LANGUAGES):
        value = text.get(tag)
        if value:
            return value
    for tag in sorted(text):
        if text[tag]:
            return text[tag]
    return None


def localized(value: str | None, lang: str = "") -> LocalizedText:
    """A one-language literal, or an empty mapping when ``value`` is blank."""
    if value is None:
        return {}
    value = value.strip()
    return {lang: value} if value else {}
