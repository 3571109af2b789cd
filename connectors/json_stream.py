"""Incremental reader of one large JSON document: the items of one top-level array.

A DCAT-US ``data.json`` can weigh several hundred MB; :class:`ArrayItems` reads it as it
arrives and hands back each element of its ``"dataset"`` array as soon as that element is
complete, so memory holds one element (plus one network chunk), never the document.

It is a push parser: :meth:`ArrayItems.feed` takes bytes and returns the completed items,
:meth:`ArrayItems.close` checks that the document ended properly. The top level is walked
token by token (``{``, keys, ``:``, ``,``, ``}``); inside a value it only tracks nesting
depth, strings and escapes, jumping between interesting bytes with compiled regular
expressions (C speed), and each completed element is parsed by orjson, which validates it.
Other top-level members are kept in :attr:`ArrayItems.header` when small. A document whose
top level is an array (Project Open Data 1.0) yields that array's elements.

Errors are :class:`JsonStreamError` with the line and column where reading failed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

DEFAULT_MAX_MEMBER_BYTES = 1024 * 1024
"""Top-level members other than the array larger than this are skipped, not kept."""

_WS = re.compile(rb"[ \t\r\n]*")
_STRUCT = re.compile(rb'["{}\[\]]')
_STRING_BODY = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.S)
_SCALAR_END = re.compile(rb"[\s,\]}:]")
_BOM = b"\xef\xbb\xbf"
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPENERS = frozenset(b"{[")
_NOT_VALUES = frozenset(b",:]}")

# Top-level states.
_START, _KEY, _COLON, _VALUE, _NEXT, _ITEM, _ITEM_NEXT, _DONE = range(8)


class JsonStreamError(ValueError):
    """The document is not valid JSON (or ends early) at ``line``/``column``."""

    def __init__(self, message: str, *, offset: int, line: int, column: int) -> None:
        super().__init__(f"{message} at line {line}, column {column}")
        self.reason = message
        self.offset = offset
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class Item:
    """One parsed element of the array, with where it started in the document."""

    value: Any
    index: int
    offset: int
    line: int


class ArrayItems:
    """Push parser yielding the elements of the top-level member ``key`` (an array).

    After :meth:`close`, :attr:`found` says whether that array was present, :attr:`count`
    how many elements it had, and :attr:`header` holds the other top-level members.
    """

    def __init__(self, key: str = "dataset", *, max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES):
        self.key = key
        self.max_member_bytes = max_member_bytes
        self.header: dict[str, Any] = {}
        self.found = False
        self.bare_array = False
        self.count = 0
        self._buf = bytearray()
        self._base = 0  # document offset of _buf[0]
        self._line = 1  # line number of _buf[0]
        self._last_newline = -1  # document offset of the last newline before _buf[0]
        self._pos = 0
        self._state = _START
        self._first = True
        self._current_key: str | None = None
        self._in_array = False  # inside the target array
        # Scan of one value in progress.
        self._value_start: int | None = None
        self._depth = 0
        self._in_string = False

    # -- public -----------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        """Whether the top-level value has been closed."""
        return self._state == _DONE

    def feed(self, chunk: bytes) -> list[Item]:
        """Consume ``chunk``; return the array elements it completed (in order)."""
        self._buf += chunk
        items: list[Item] = []
        while self._step(items):
            pass
        self._compact()
        return items

    def close(self) -> None:
        """Raise :class:`JsonStreamError` unless the whole document was read."""
        self._skip_ws()
        if self._state == _DONE:
            return
        if self._state == _START:
            raise self._error("the document is empty", self._pos)
        where = self._value_start if self._value_start is not None else self._pos
        if self._value_start is not None and self._in_array:
            what = f"inside {self.key} #{self.count + 1}"
        elif self._value_start is not None and self._current_key:
            what = f"inside the value of {self._current_key!r}"
        else:
            what = "before the end of the top-level value"
        raise self._error(f"the document ends {what} (truncated?)", where)

    # -- positions and errors ---------------------------------------------------------

    def _where(self, rel: int) -> tuple[int, int, int]:
        offset = self._base + rel
        line = self._line + self._buf.count(b"\n", 0, rel)
        newline = self._buf.rfind(b"\n", 0, rel)
        last = self._base + newline if newline >= 0 else self._last_newline
        return offset, line, offset - last

    def _error(self, message: str, rel: int) -> JsonStreamError:
        offset, line, column = self._where(rel)
        return JsonStreamError(message, offset=offset, line=line, column=column)

    def _unexpected(self, expected: str) -> JsonStreamError:
        found = self._buf[self._pos : self._pos + 1].decode("latin-1")
        return self._error(f"expected {expected}, found {found!r}", self._pos)

    def _compact(self) -> None:
        keep = self._pos if self._value_start is None else self._value_start
        if keep <= 0:
            return
        newline = self._buf.rfind(b"\n", 0, keep)
        if newline >= 0:
            self._line += self._buf.count(b"\n", 0, keep)
            self._last_newline = self._base + newline
        del self._buf[:keep]
        self._base += keep
        self._pos -= keep
        if self._value_start is not None:
            self._value_start -= keep

    # -- top level --------------------------------------------------------------------

    def _skip_ws(self) -> bool:
        """Skip whitespace; False when the buffer is exhausted."""
        self._pos = _WS.match(self._buf, self._pos).end()  # type: ignore[union-attr]
        return self._pos < len(self._buf)

    def _step(self, items: list[Item]) -> bool:
        """Advance by one token or value; False when more bytes are needed."""
        if self._value_start is not None:
            return self._continue_value(items)
        if self._state == _START:
            head = bytes(self._buf[self._pos : self._pos + len(_BOM)])
            if head == _BOM:
                self._pos += len(_BOM)
            elif head and _BOM.startswith(head):
                return False  # maybe a BOM cut by the chunk boundary
        if not self._skip_ws():
            return False
        byte = self._buf[self._pos]
        state = self._state
        if state == _START:
            if byte not in _OPENERS:
                raise self._unexpected("a JSON object")
            self._pos += 1
            if byte == ord("["):
                self.bare_array = self.found = self._in_array = True
                self._state = _ITEM
            else:
                self._state = _KEY
            self._first = True
        elif state == _KEY:
            if byte == ord("}") and self._first:
                self._pos += 1
                self._state = _DONE
            elif byte == _QUOTE:
                self._start_value()
            else:
                raise self._unexpected("a member name in double quotes")
        elif state == _COLON:
            if byte != ord(":"):
                raise self._unexpected("':'")
            self._pos += 1
            self._state = _VALUE
        elif state == _VALUE:
            if self._current_key == self.key and byte == ord("["):
                self._pos += 1
                self.found = self._in_array = True
                self._state, self._first = _ITEM, True
            else:
                self._start_value()
        elif state == _NEXT:
            self._separator(byte, ord("}"), _KEY, "',' or '}'")
        elif state == _ITEM:
            if byte == ord("]") and self._first:
                self._close_array()
            else:
                self._start_value()
        elif state == _ITEM_NEXT:
            if byte == ord("]"):
                self._close_array()
            else:
                self._separator(byte, ord("]"), _ITEM, "',' or ']'")
        else:  # _DONE
            raise self._unexpected("the end of the document")
        return True

    def _separator(self, byte: int, closer: int, again: int, expected: str) -> None:
        if byte == ord(","):
            self._pos += 1
            self._state, self._first = again, False
        elif byte == closer:
            self._pos += 1
            self._state = _DONE
        else:
            raise self._unexpected(expected)

    def _close_array(self) -> None:
        self._pos += 1
        self._in_array = False
        self._state = _DONE if self.bare_array else _NEXT

    # -- one value --------------------------------------------------------------------

    def _start_value(self) -> None:
        byte = self._buf[self._pos]
        if byte in _NOT_VALUES:
            raise self._unexpected("a value")
        self._value_start = self._pos
        self._depth = 0
        self._in_string = False
        if byte == _QUOTE:
            self._in_string = True
            self._pos += 1
        elif byte in _OPENERS:
            self._depth = 1
            self._pos += 1

    def _continue_value(self, items: list[Item]) -> bool:
        end = self._scan()
        if end is None:
            return False
        start = self._value_start
        assert start is not None
        self._value_start = None
        raw = bytes(self._buf[start:end])
        if self._state == _KEY:
            self._current_key = self._parse(raw, start)
            self._state = _COLON
        elif self._state == _VALUE:
            if len(raw) <= self.max_member_bytes and self._current_key is not None:
                self.header[self._current_key] = self._parse(raw, start)
            self._state = _NEXT
        else:  # an array element
            self.count += 1
            offset, line, _ = self._where(start)
            items.append(Item(self._parse(raw, start), self.count - 1, offset, line))
            self._state = _ITEM_NEXT
        return True

    def _scan(self) -> int | None:
        """Resume scanning the current value; its end offset in the buffer, or None."""
        buf, pos, size = self._buf, self._pos, len(self._buf)
        if not self._in_string and self._depth == 0:  # number, true, false, null
            match = _SCALAR_END.search(buf, pos)
            self._pos = match.start() if match else size
            return match.start() if match else None
        while True:
            if self._in_string:
                end = _STRING_BODY.match(buf, pos).end()  # type: ignore[union-attr]
                if end >= size or buf[end] != _QUOTE:  # more to come (maybe after a '\')
                    self._pos = end
                    return None
                pos = end + 1
                self._in_string = False
                if self._depth == 0:
                    self._pos = pos
                    return pos
                continue
            match = _STRUCT.search(buf, pos)
            if match is None:
                self._pos = size
                return None
            pos = match.end()
            byte = buf[match.start()]
            if byte == _QUOTE:
                self._in_string = True
            elif byte in _OPENERS:
                self._depth += 1
            else:
                self._depth -= 1
                if self._depth == 0:
                    self._pos = pos
                    return pos

    def _parse(self, raw: bytes, start: int) -> Any:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            offset, line, column = self._where(start)
            if error.lineno > 1:
                line, column = line + error.lineno - 1, error.colno
            else:
                column += error.colno - 1
            if self._state == _ITEM:
                what = f" in {self.key} #{self.count}"  # count includes this item
            elif self._state == _VALUE:
                what = f" in the value of {self._current_key!r}"
            else:
                what = ""
            raise JsonStreamError(
                f"invalid JSON{what}: {error.msg}",
                offset=offset + error.pos,
                line=line,
                column=column,
            ) from None


async def iter_items(chunks: AsyncIterable[bytes], parser: ArrayItems) -> AsyncIterator[Item]:
    """Feed ``chunks`` to ``parser`` and yield every completed element; close at the end."""
    async for chunk in chunks:
        for item in parser.feed(chunk):
            yield item
    parser.close()
