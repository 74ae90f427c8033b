"""Each of the 21 text transformations, on its own, with AWS semantics; then chains and fuzzing."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetguard.core.errors import ValidationError
from assetguard.waf import transforms as t
from assetguard.waf.transforms import compile_chain, transformations

ALL_21 = {"NONE", "COMPRESS_WHITE_SPACE", "HTML_ENTITY_DECODE", "LOWERCASE", "CMD_LINE", "URL_DECODE",
          "BASE64_DECODE", "HEX_DECODE", "MD5", "REPLACE_COMMENTS", "ESCAPE_SEQ_DECODE", "SQL_HEX_DECODE",
          "CSS_DECODE", "JS_DECODE", "NORMALIZE_PATH", "NORMALIZE_PATH_WIN", "REMOVE_NULLS", "REPLACE_NULLS",
          "BASE64_DECODE_EXT", "URL_DECODE_UNI", "UTF8_TO_UNICODE"}


def test_all_21_registered() -> None:
    assert set(transformations.names()) == ALL_21


def test_none() -> None:
    assert t.none("A b%20") == "A b%20"


def test_lowercase_ascii_only() -> None:
    assert t.lowercase("SeLeCt ÀB") == "select Àb"


def test_compress_white_space() -> None:
    assert t.compress_white_space("a \t\n\r\f\v\xa0b  c") == "a b c"
    assert t.compress_white_space("nochange") == "nochange"


@pytest.mark.parametrize(("raw", "decoded"), [
    ("&lt;script&gt;", "<script>"), ("&quot;x&quot;&amp;", '"x"&'), ("a&nbsp;b", "a\xa0b"),
    ("&#x3c;&#60;", "<<"), ("&#X3C;", "<"), ("&#60", "<"), ("&unknown;", "&unknown;"), ("& lt;", "& lt;"),
])
def test_html_entity_decode(raw: str, decoded: str) -> None:
    assert t.html_entity_decode(raw) == decoded


def test_cmd_line() -> None:
    assert t.cmd_line("C^md.exe /C \"ping\" ,'x';y") == "cmd.exe/c ping x y"
    assert t.cmd_line("e\\c\\h\\o  (foo)") == "echo(foo)"
    assert t.cmd_line("CAT   /ETC/PASSWD") == "cat/etc/passwd"
    # the space a "," or ";" becomes is deleted before "/" and "(" too
    assert t.cmd_line("cmd,/c DiR") == "cmd/c dir"
    assert t.cmd_line("system;(id)") == "system(id)"
    assert t.cmd_line("a ,; /b") == "a/b"


@pytest.mark.parametrize(("raw", "decoded"), [
    ("%3Cscript%3e", "<script>"), ("a+b", "a b"), ("%zz%4", "%zz%4"), ("100%", "100%"), ("%2541", "%41"),
    ("%u0041", "%u0041"), ("%C3%A9", "\xc3\xa9"),
])
def test_url_decode(raw: str, decoded: str) -> None:
    assert t.url_decode(raw) == decoded


@pytest.mark.parametrize(("raw", "decoded"), [
    ("%u003c%u0073", "<s"), ("%uFF1C", "<"), ("%uFF41", "A"), ("%uff0e%uff0e", ".."), ("%u12", "%u12"),
    ("%41+", "A "),
])
def test_url_decode_uni(raw: str, decoded: str) -> None:
    # full-width ASCII U+FF01-FF5E maps onto ASCII: U+FF41 (fullwidth a) is 0x41+0x20... checked below
    if raw == "%uFF41":
        decoded = chr(0xFF41 - 0xFEE0)
    assert t.url_decode_uni(raw) == decoded


@pytest.mark.parametrize(("raw", "decoded"), [
    ("PHNjcmlwdD4=", "<script>"), ("PHNjcmlwdD4", "<script>"), ("not base64!", "\x9e\x8b"), ("", ""),
    # decoded up to the first character outside the alphabet, the rest dropped
    ("PHNjcmlwdD4=!", "<script>"), ("PHNjcmlwdD4!PHNjcmlwdD4=", "<script>"), ("!PHNjcmlwdD4=", "!PHNjcmlwdD4="),
])
def test_base64_decode(raw: str, decoded: str) -> None:
    assert t.base64_decode(raw) == decoded


def test_base64_decode_ext_is_forgiving() -> None:
    assert t.base64_decode_ext("PHNj.cmlw dD4=") == "<script>"
    assert t.base64_decode_ext("PD94bWw-") == t.base64_decode("PD94bWw+")
    assert t.base64_decode_ext("!!!") == ""


def test_hex_decode() -> None:
    assert t.hex_decode("414243") == "ABC"
    assert t.hex_decode("4142x") == "AB"  # decoded up to the first non-hex character
    assert t.hex_decode("3c7363726970743e!") == "<script>"
    assert t.hex_decode("x4142") == "x4142"
    assert t.hex_decode("41424") == "AB"


def test_md5() -> None:
    assert t.md5("abc").encode("latin-1") == hashlib.md5(b"abc").digest()
    assert len(t.md5("")) == 16


@pytest.mark.parametrize(("raw", "out"), [
    ("un/**/ion", "un ion"), ("a/* x */b/*c*/d", "a b d"), ("a/* open", "a "), ("a*/b", "a*/b"),
])
def test_replace_comments(raw: str, out: str) -> None:
    assert t.replace_comments(raw) == out


@pytest.mark.parametrize(("raw", "out"), [
    ("\\x41\\102\\n", "AB\n"), ("\\'\\\"\\?\\\\", "'\"?\\"), ("\\q", "\\q"), ("\\xZZ", "\\xZZ"), ("\\0", "\x00"),
    ("\\x0", "\\x0"), ("\\x4g", "\\x4g"), ("\\x414", "A4"),  # \\xHH: exactly two hex digits
])
def test_escape_seq_decode(raw: str, out: str) -> None:
    assert t.escape_seq_decode(raw) == out


def test_sql_hex_decode() -> None:
    assert t.sql_hex_decode("select 0x61646d696e") == "select admin"
    assert t.sql_hex_decode("0x6") == "0x6"
    assert t.sql_hex_decode("no hex") == "no hex"


@pytest.mark.parametrize(("raw", "out"), [
    ("ja\\vascript", "javascript"), ("\\3c script", "<script"), ("\\00003C", "<"), ("a\\\nb", "ab"),
    ("\\ff1c", "<"), ("\\", ""), ("test\\", "test"),  # a trailing lone backslash is dropped
])
def test_css_decode(raw: str, out: str) -> None:
    assert t.css_decode(raw) == out


@pytest.mark.parametrize(("raw", "out"), [
    ("\\u003cscript\\u003e", "<script>"), ("\\x3c", "<"), ("\\74", "<"), ("\\n\\t", "\n\t"), ("\\q", "q"),
    ("\\uFF1C", "<"), ("\\uff0e", "."),
])
def test_js_decode(raw: str, out: str) -> None:
    assert t.js_decode(raw) == out


@pytest.mark.parametrize(("raw", "out"), [
    ("/a//b/./c/../d", "/a/b/d"), ("/../../etc/passwd", "/etc/passwd"), ("a/../../b", "../b"),
    ("/a/b/", "/a/b/"), ("/", "/"), ("/a/..", "/"), ("noslash", "noslash"),
    # a path ending in "/." or "/.." ends without a slash; "." alone is empty
    ("dir/sub/subsub/../..", "dir"), ("/etc/passwd/..", "/etc"), ("/etc/passwd/.", "/etc/passwd"), (".", ""),
])
def test_normalize_path(raw: str, out: str) -> None:
    assert t.normalize_path(raw) == out


def test_normalize_path_win() -> None:
    assert t.normalize_path_win("C:\\a\\..\\windows\\\\win.ini") == "C:/windows/win.ini"
    assert t.normalize_path_win("C:\\windows\\system32\\..") == "C:/windows"


def test_nulls() -> None:
    assert t.remove_nulls("a\x00b\x00") == "ab"
    assert t.replace_nulls("a\x00b") == "a b"


def test_utf8_to_unicode() -> None:
    assert t.utf8_to_unicode("é".encode().decode("latin-1")) == "%u00e9"
    assert t.utf8_to_unicode("<＜".encode().decode("latin-1")) == "<%uff1c"
    assert t.utf8_to_unicode("\xff\xfe") == "\xff\xfe"  # invalid UTF-8 kept
    assert t.utf8_to_unicode("ascii") == "ascii"


def test_chain_runs_in_priority_order_not_list_order() -> None:
    chain, key = compile_chain([{"Priority": 2, "Type": "LOWERCASE"}, {"Priority": 1, "Type": "URL_DECODE"},
                                {"Priority": 0, "Type": "NONE"}])
    assert key == ("URL_DECODE", "LOWERCASE")
    assert chain is not None and chain("%41%2542") == "a%42"
    chain, key = compile_chain([{"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "URL_DECODE"}])
    assert chain is not None and chain("%2541") == "A"  # double decoding needs two entries


def test_chain_identity_and_errors() -> None:
    assert compile_chain([{"Priority": 0, "Type": "NONE"}]) == (None, ())
    with pytest.raises(ValidationError, match="duplicate Priority"):
        compile_chain([{"Priority": 0, "Type": "NONE"}, {"Priority": 0, "Type": "LOWERCASE"}], where="x")
    with pytest.raises(ValidationError) as info:
        compile_chain([{"Priority": 0, "Type": "nope"}], where="Rules[0].X.TextTransformations")
    assert info.value.where == "Rules[0].X.TextTransformations[0].Type"


byte_strings = st.binary(max_size=300).map(lambda b: b.decode("latin-1"))
tricky = st.text(alphabet="%uU0123456789abcdefABCDEF\\x+&#;/.*\x00 \t<>'\"", max_size=80)


@pytest.mark.parametrize("name", sorted(ALL_21))
@settings(max_examples=150, deadline=None)
@given(text=st.one_of(byte_strings, tricky))
def test_transformations_never_raise_and_stay_bytes(name: str, text: str) -> None:
    out = transformations.get(name)(text)
    assert isinstance(out, str)
    out.encode("latin-1")  # every character is still one byte


latin1_text = st.text(alphabet=st.characters(max_codepoint=255), max_size=40)


@settings(max_examples=300, deadline=None)
@given(text=latin1_text)
def test_a_transformation_without_its_trigger_is_the_identity_or_lowercase(text: str) -> None:
    """The engine's quick path relies on IDENTITY_UNLESS and LOWERCASE_UNLESS being exact."""
    import re

    from assetguard.waf.transforms import IDENTITY_UNLESS, LOWERCASE_UNLESS, lowercase, transformations

    for table, expected in ((IDENTITY_UNLESS, text), (LOWERCASE_UNLESS, lowercase(text))):
        for name, trigger in table.items():
            if trigger is None or re.search(trigger, text) is None:
                assert transformations.get(name)(text) == expected, (name, text)


def test_cmd_line_triggers_catch_what_it_changes() -> None:
    import re

    from assetguard.waf.transforms import LOWERCASE_UNLESS

    trigger = re.compile(LOWERCASE_UNLESS["CMD_LINE"])
    for changed in ("a\\b", 'a"b', "a'b", "a^b", "a,b", "a;b", "a\tb", "a  b", "a /b", "a (b", "a\xa0b"):
        assert trigger.search(changed) is not None, changed
    assert trigger.search("Select Shoes 42") is None


@pytest.mark.parametrize(
    "text",
    ["a/b", "/a/b/", "/", "", "..", "...", "a/...", ".../a", "a/.b", "a./b", "/a/b.", "x/..y", "a\\b", "a//b",
     "./a", "a/.", "a/./b", "../a", "a/..", "/..", "."],
)
def test_normalize_path_without_its_trigger_is_the_identity_on_path_edges(text: str) -> None:
    """Random text rarely builds "." segments, so the edges are spelled out (the trigger may
    over-approximate: ".." alone triggers and is kept)."""
    import re

    from assetguard.waf.transforms import IDENTITY_UNLESS, transformations

    for name in ("NORMALIZE_PATH", "NORMALIZE_PATH_WIN"):
        if re.search(IDENTITY_UNLESS[name], text) is None:
            assert transformations.get(name)(text) == text, (name, text)


# CMD_LINE and LOWERCASE work on the byte string in C (bytes.translate, bytes.lower); these are
# their definitions as regexes and str operations, which they must equal on any text.
_CMD_DELETE_REF = str.maketrans("", "", "\\\"'^")
_CMD_SEPARATORS_REF = re.compile(r"[\s,;]+")


def _cmd_line_reference(text: str) -> str:
    text = _CMD_SEPARATORS_REF.sub(" ", text.translate(_CMD_DELETE_REF))
    text = text.replace(" /", "/").replace(" (", "(")
    return text.translate({c: c + 32 for c in range(65, 91)})


cmd_text = st.text(alphabet=st.sampled_from([chr(c) for c in range(256)] + ["\u2028", "\u3000", "\u0100", "\u017f"]),
                   max_size=60) | st.text(alphabet=" ,;\\\"'^/(aBZ\t\n\x1c\x85\xa0", max_size=60)


@settings(max_examples=2000, deadline=None)
@given(text=cmd_text)
def test_cmd_line_and_lowercase_equal_their_definitions(text: str) -> None:
    assert t.cmd_line(text) == _cmd_line_reference(text)
    assert t.lowercase(text) == text.translate({c: c + 32 for c in range(65, 91)})


def test_cmd_line_squeezes_long_runs_and_keeps_edges() -> None:
    assert t.cmd_line(" ,\t" + " " * 37 + "A;;B , " + "\xa0" * 5) == " a b "
    assert t.cmd_line("a" + " " * 1000 + "/B") == "a/b"
