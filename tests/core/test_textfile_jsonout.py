"""Strict text input (core.textfile) and JSON output that is always JSON (core.jsonout)."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetguard.core.errors import ValidationError
from assetguard.core.jsonout import dumps
from assetguard.core.textfile import check_utf8, decode_text, parse_json, read_json, read_text


def test_a_non_utf8_file_names_file_offset_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "g.bin"
    path.write_bytes(b"ok\n\xff\xfe\x00\x80garbage")
    with pytest.raises(ValidationError) as caught:
        read_text(path, "budgets file")
    message = str(caught.value)
    assert message.startswith(f"{path}: budgets file is not UTF-8 text: byte 0xff at offset 3")
    assert "iconv" in message and "\n" not in message


def test_bom_is_dropped_and_offsets_count_from_the_file_start() -> None:
    assert decode_text(b"\xef\xbb\xbf{}", "x") == "{}"
    with pytest.raises(ValidationError, match="offset 4"):
        decode_text(b"\xef\xbb\xbfa\xc3", "x")


def test_missing_and_directory_paths_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot read file"):
        read_text(tmp_path / "nope")
    with pytest.raises(ValidationError, match="is a directory"):
        read_text(tmp_path)


def test_json_refuses_nan_and_infinity_and_names_line(tmp_path: Path) -> None:
    for text in ('{"a": NaN}', "[Infinity]", "-Infinity"):
        with pytest.raises(ValidationError, match="not a JSON number"):
            parse_json(text, "f.json")
    path = tmp_path / "f.json"
    path.write_text('{\n  "a": [1,\n}', encoding="utf-8")
    with pytest.raises(ValidationError, match=r"line 3, column 1"):
        read_json(path)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=300), chunk=st.integers(1, 9))
def test_streamed_check_agrees_with_a_whole_decode(data: bytes, chunk: int) -> None:
    try:
        decode_text(data, "x", "file")
        expected = None
    except ValidationError as exc:
        expected = str(exc)
    if data.startswith(b"\xef\xbb\xbf"):
        return  # the streamed check is for data files, where a BOM is not special
    try:
        check_utf8(io.BytesIO(data), "x", chunk=chunk)
        streamed = None
    except ValidationError as exc:
        streamed = str(exc)
    assert streamed == expected


def test_dumps_refuses_non_finite_numbers_naming_the_path() -> None:
    assert dumps({"a": [1.5, None]}) == json.dumps({"a": [1.5, None]})
    for bad, message in (({"limit": math.inf}, "not JSON: a non-finite number (inf) at limit"),
                         ([{"x": [0, math.nan]}], "not JSON: a non-finite number (nan) at [0].x[1]")):
        with pytest.raises(ValueError) as caught:
            dumps(bad)
        assert str(caught.value) == message
