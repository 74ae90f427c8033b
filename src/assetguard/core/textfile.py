"""Strict reading of the text files and streams a user hands to assetguard.

Every file the CLI reads on a user's behalf (YAML, JSON, JSON Lines, CSV) goes through
:func:`read_text`; a request body goes through :func:`decode_text`. Bytes that are not UTF-8
are a :class:`~assetguard.core.errors.ValidationError` naming the file, the byte offset and the
fix, never a ``UnicodeDecodeError`` traceback::

    read_text(Path("g.bin"), "budgets file")
    # ValidationError: g.bin: budgets file is not UTF-8 text: byte 0xff at offset 0 ...

A leading UTF-8 byte-order mark is accepted and dropped (editors on Windows write one).
"""

from __future__ import annotations

import codecs
import json
import sys
from pathlib import Path
from typing import IO, Any, Protocol

from assetguard.core.errors import ValidationError

BOM = b"\xef\xbb\xbf"


def decode_text(data: bytes, where: str, what: str = "input") -> str:
    """Decode ``data`` as UTF-8 (an optional BOM is dropped); anything else names the first bad byte."""
    if data.startswith(BOM):
        data = data[len(BOM):]
        shift = len(BOM)
    else:
        shift = 0
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start:exc.start + 1].hex()
        raise ValidationError(
            f"{what} is not UTF-8 text: byte 0x{bad} at offset {exc.start + shift} ({exc.reason}); "
            "save it as UTF-8 (for example: iconv -f LATIN1 -t UTF-8)", where=where) from None


def read_bytes(path: Path, what: str = "file") -> bytes:
    """The file's bytes; a missing, unreadable or directory path is a one-line error naming it."""
    try:
        if path.is_dir():
            raise ValidationError(f"{what} is a directory, expected a file", where=str(path))
        return path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {what}: {exc.strerror or exc}", where=str(path)) from None


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def check_utf8(stream: Readable, where: str, what: str = "file", chunk: int = 1 << 20) -> None:
    """Raise the :func:`decode_text` error if ``stream`` is not UTF-8, reading it in chunks (for files too
    large to hold, such as cost exports, whose own reader reported only that something failed)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0
    while True:
        data = stream.read(chunk)
        pending = len(decoder.getstate()[0])  # bytes of a character split across chunks
        try:
            decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            bad = bytes(exc.object[exc.start:exc.start + 1]).hex()
            raise ValidationError(
                f"{what} is not UTF-8 text: byte 0x{bad} at offset {offset - pending + exc.start} ({exc.reason}); "
                "save it as UTF-8 (for example: iconv -f LATIN1 -t UTF-8)", where=where) from None
        if not data:
            return
        offset += len(data)


def read_text(path: Path, what: str = "file") -> str:
    """Read ``path`` as strict UTF-8 text (see :func:`decode_text`)."""
    return decode_text(read_bytes(path, what), str(path), what)


def read_stdin(what: str = "input", stream: IO[bytes] | None = None) -> str:
    """Read standard input (its bytes, so a non-UTF-8 stream is named like a file)."""
    source = stream if stream is not None else sys.stdin.buffer
    return decode_text(source.read(), "stdin", what)


def read_text_or_stdin(path: Path, what: str = "file") -> tuple[str, str]:
    """``(text, where)`` for a path, or for standard input when the path is ``-``."""
    if str(path) == "-":
        return read_stdin(what), "stdin"
    return read_text(path, what), str(path)


def parse_json(text: str, where: str, what: str = "input") -> Any:
    """Parse JSON text; a syntax error names the line and column. ``NaN`` and ``Infinity`` are refused."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                              where=where) from None
    except ValueError as exc:  # NaN / Infinity, refused by _refuse_constant
        raise ValidationError(f"{what} is not valid JSON: {exc}", where=where) from None
    except RecursionError:
        raise ValidationError(f"{what} nests too deeply", where=where) from None


def read_json(path: Path, what: str = "file") -> Any:
    """Read and parse a strict UTF-8 JSON file."""
    return parse_json(read_text(path, what), str(path), what)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
