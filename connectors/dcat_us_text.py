"""Plain text out of the HTML that ArcGIS Hub and others put in DCAT-US text fields.

Descriptions (and licences, rights) often arrive as HTML fragments with inline styles.
:func:`plain_text` keeps the visible text, turns block elements and ``<br>`` into line
breaks, drops ``<script>``/``<style>`` content and decodes entities, using the standard
library's :class:`html.parser.HTMLParser` (which never fails on broken markup). Text that
does not look like HTML is only stripped. Output is display text, not trusted markup.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

_TAG = re.compile(r"<\s*[a-zA-Z!/][^>]*>")
_BLOCKS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer form h1 h2 h3 "
    "h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr ul".split()
)
_HIDDEN = frozenset({"script", "style", "template", "head", "title"})
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def looks_like_html(value: str) -> bool:
    """Whether ``value`` contains something shaped like an HTML tag."""
    return bool(_TAG.search(value))


def plain_text(value: Any) -> str | None:
    """The visible text of ``value`` (HTML or not), tidied; None when blank or not a string."""
    if not isinstance(value, str):
        return None
    if looks_like_html(value):
        parser = _Text()
        parser.feed(value)
        parser.close()
        value = "".join(parser.parts)
    lines = [_SPACES.sub(" ", line).strip() for line in value.replace("\r\n", "\n").split("\n")]
    cleaned = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return cleaned or None
