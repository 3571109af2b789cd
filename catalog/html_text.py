"""Plain text (and links) out of the HTML fragments harvested metadata carries.

Descriptions, licences and rights often arrive as HTML with inline styles (ArcGIS Hub
``data.json``, DCAT-US feeds). :func:`read_html` keeps the visible text, with block
elements and ``<br>`` turned into line breaks so that neighbouring blocks never run
together, drops ``<script>``/``<style>`` content, decodes entities and collects the
``href`` of every link; it uses the standard library's :class:`html.parser.HTMLParser`,
which never fails on broken markup. :func:`plain_text` is the tidied text alone; text that
does not look like HTML is only tidied. Output is display text, not trusted markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class HtmlText:
    """The visible text of an HTML fragment (blocks on their own lines) and its links."""

    text: str
    links: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.extend(value for name, value in attrs if name == "href" and value)
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


def read_html(value: str) -> HtmlText:
    """The visible text and the link targets of an HTML fragment (raw text, untidied)."""
    reader = _Reader()
    reader.feed(value)
    reader.close()
    return HtmlText("".join(reader.parts), reader.links)


def tidy(value: str) -> str:
    """``value`` with runs of spaces collapsed, lines stripped, at most one blank line."""
    lines = [_SPACES.sub(" ", line).strip() for line in value.replace("\r\n", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def plain_text(value: Any) -> str | None:
    """The visible text of ``value`` (HTML or not), tidied; None when blank or not a string."""
    if not isinstance(value, str):
        return None
    if looks_like_html(value):
        value = read_html(value).text
    return tidy(value) or None
