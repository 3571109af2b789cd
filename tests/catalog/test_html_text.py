"""HTML fragments → display text and links (DCAT-US descriptions, licences)."""

from __future__ import annotations

import json

import pytest

from catalog.html_text import looks_like_html, plain_text, read_html
from catalog.vocab import normalize_licence
from tests.paths import fixture


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("<div>A<br>B</div>", "A\nB"),
        ("a &amp; b", "a &amp; b"),  # not HTML: left alone
        ("<p>a &amp; b</p>", "a & b"),
        ("<style>p {}</style><p>shown</p><script>x()</script>", "shown"),
        ("<p>  lots   of\u00a0space </p>", "lots of space"),
        ("<p></p>", None),
        (None, None),
    ],
)
def test_plain_text(value: str | None, text: str | None) -> None:
    assert plain_text(value) == text


def test_read_html_keeps_links_and_separates_blocks() -> None:
    found = read_html('<p>See <a href="https://x.org/l">the licence</a></p><p>Next</p>')
    assert found.links == ["https://x.org/l"]
    assert " ".join(found.text.split()) == "See the licence Next"
    assert looks_like_html("<b>x</b>") and not looks_like_html("a < b")


def test_oakland_licence_blocks_do_not_run_together() -> None:
    catalog = json.loads(fixture("dcat-us", "bad_oakland-county-hub_license-html.json").read_text())
    ref = normalize_licence(catalog["dataset"][0]["license"])
    assert ref is not None and ref.title
    assert ref.title.startswith("OPEN DATA TERMS OF USE AGREEMENT Public records")
