"""The export's exact bytes: the golden corpus's whole catalogue, in every format, hashes to
what the writers produced before their speed-ups (the golden test itself compares graphs,
which would not see a changed prefix, order, escape or number format); and the quick paths
of the writers and term builders against the plain regex / stdlib code they replace.

When the DCAT-AP mapping or a writer changes the output on purpose, review the difference
against the previous commit's output, then update :data:`DIGESTS` with
``.venv/bin/python -m tests.catalog.test_rdf_bytes``.
"""

from __future__ import annotations

import hashlib
import random
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import get_args

import pytest

from catalog.rdf import Format, iter_catalog, serialize, terms
from tests.catalog.test_rdf_golden import CATALOG, golden, record

DIGESTS: dict[str, str] = {
    "turtle": "875384080a0754cd94162ebef309fef4de56cbd1a9db95216f18c24c3061bedc",
    "nt": "7f0372f53c86b491051d30719a775a94770af2803153b5bdee0d04e1853fb727",
    "jsonld": "17378ca46c43aab43eac517e9c4602a55ad4d4ec0974fc36aca61b9893a61fd5",
    "xml": "5cce1b175ef370e10a661edce3b51b403d119cc1d236d775bc8affe86fbced31",
}
"""SHA-256 of :func:`catalogue` per format."""


def catalogue(fmt: Format) -> str:
    items = [(row["uri"], record(row)) for row in golden()]
    return "".join(iter_catalog(items, format=fmt, catalog_uri=CATALOG, chunk_chars=4096))


@pytest.mark.parametrize("fmt", get_args(Format))
def test_golden_catalogue_bytes_are_unchanged(fmt: Format) -> None:
    digest = hashlib.sha256(catalogue(fmt).encode()).hexdigest()
    assert digest == DIGESTS[fmt], f"{fmt} output changed (see the module docstring)"


# --- quick paths vs the code they replace -----------------------------------------------

ALPHABET = 'ab é中😀 \t\n\r\x00\x01\x1f\x7f\ufffe\uffff"\\<>&{}|^`:/?#%'
SAMPLES = [
    "",
    "plain",
    "https://x.org/a?b=c&d=e",
    ' https://x.org/a b"c ',
    "mailto:a@b",
    "a:\u00a0x",
    "x: y",
    *("".join(random.Random(n).choices(ALPHABET, k=n % 23)) for n in range(3000)),
    *("http:" + "".join(random.Random(n).choices(ALPHABET, k=n % 17)) for n in range(3000)),
]

OLD_SAFE_IRI = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*:(?=\S)[^\x00-\x20<>"{}|\\^`\x7f]+\Z')
OLD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def old_iri(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if OLD_SAFE_IRI.match(value) is not None:
        return value
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S", value):
        return None
    return re.sub(r'[\x00-\x20<>"{}|\\^`\x7f]', lambda m: f"%{ord(m.group()):02X}", value)


def test_term_quick_paths_match_the_regexes() -> None:
    for value in SAMPLES:
        assert terms.iri(value) == old_iri(value), repr(value)
        assert terms.iri(value) == old_iri(value), repr(value)  # from the cache this time
        assert terms.clean_text(value) == OLD_CONTROL.sub("", value).strip(), repr(value)
        out: terms.Statements = []
        terms.texts(out, "s", "p", {"fr": value})
        terms.tagged(out, "s", "p", "fr", [value])
        cleaned = OLD_CONTROL.sub("", value).strip()
        assert out == ([("s", "p", (cleaned, "fr", None))] * 2 if cleaned else []), repr(value)


def test_writer_quick_paths_match_the_regexes() -> None:
    old_escapes = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
    for value in SAMPLES:
        assert serialize._needs_escape(value) == bool(re.search(r'[\\"\n\r]', value))
        assert serialize._escape(value) == value.translate(old_escapes)
        assert serialize._xml_attr_special(value) == bool(re.search(r"[&<>\"\n\r\t]", value))


def test_dates_cache_keeps_offsets_apart() -> None:
    # equal instants, different offsets: equal datetimes, different lexical forms
    utc = datetime(2024, 1, 1, 12, tzinfo=UTC)
    montreal = utc.astimezone(timezone(timedelta(hours=-5)))
    assert utc == montreal
    for _ in range(2):
        assert terms.when(utc) == ("2024-01-01T12:00:00+00:00", None, terms.XSD_DATETIME)
        assert terms.when(montreal) == ("2024-01-01T07:00:00-05:00", None, terms.XSD_DATETIME)
        assert terms.when(datetime(2024, 1, 1)) == ("2024-01-01T00:00:00", None, terms.XSD_DATETIME)
        assert terms.when(date(2024, 1, 1)) == ("2024-01-01", None, terms.XSD_DATE)


def test_memo_is_bounded() -> None:
    memo: terms.Memo[int, int] = terms.Memo(3)
    for n in range(10):
        assert memo.keep(n, n * n) == n * n
        assert len(memo) <= 3 and memo[n] == n * n


if __name__ == "__main__":
    for fmt in get_args(Format):
        print(f'    "{fmt}": "{hashlib.sha256(catalogue(fmt).encode()).hexdigest()}",')
