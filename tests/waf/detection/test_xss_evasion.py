"""XssMatch against encodings and obfuscations: each vector class must block, its look-alike must pass."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetguard.waf.detectors.xss import detect_xss
from assetguard.waf.detectors.xss_evasion import decode_utf7, is_jsfuck, spaced_tag, unicode_views
from assetguard.waf.managed.groups.patterns_proto import token_not_in
from assetguard.waf.request import latin1_text

ATTACKS = [
    # full-width forms, as the engine sees them (UTF-8 bytes in Latin-1 form) and as text
    latin1_text("＜svg onload=alert(7)＞"),
    "＜img src=x onerror=prompt(2)＞",
    # a back end that drops bit 7: 0xBC/0xBE become < and >
    latin1_text("\xbciframe src=//evil.example\xbe"),
    latin1_text("\xbcb\xbehi(\xa2there\xa2)\xbc/b\xbe"),
    # UTF-7
    "+ADw-img src+AD0-x onerror+AD0-alert(3)+AD4-",
    # tag names split by filler a filter strips
    "x<s c r i p t>",
    "<i/f/r/a/m/e src=//evil.example>",
    # scheme split by character references or control characters
    '<a href="jav&#x09;ascript:go()">',
    "vb&newline;script: msgbox",
    "java\tscript:",
    # JS string break-outs through "in" and member assignment
    '"in constructor=',
    "';-top.name=",
    # comments inside member access, bracket sinks, globals
    "window /* c */ . location = 'x'",
    "parent['ev'+'al']",
    "globalThis.btoa(1)",
    # JSFuck
    "[][(![]+[])[+[]]]",
    "(!![]+[])[+!+[]]",
    # closing the HTML comment the value lands in, then markup
    "--><b>",
    # data: URI whose payload is markup
    "data:,<svg/onload=alert(1)>",
    # tagged templates reaching a sink
    "[] . flat . call ` ${ prompt } 7 `",
]
BENIGN = [
    "Café crème, naïve résumé",
    "¼ cup sugar and ¾ cup flour",
    "C++ is fun: +ADD more tests",
    "a < b or m > n",
    "a <b>bold</b> word",
    "![screenshot](shot.png) and ![](empty-alt.png)",
    "arrays: [] + [] is an empty string",
    "A --> B --> C",
    "step 1 -> step 2",
    'he said "in time" = on time',
    "include=foo",
    "'in' is a keyword",
    "the word function in prose",
    "JavaScript: The Good Parts",
    "data: the new oil, <b>really</b>",
    "self-hosted, parent company, top 10",
    "document the API and the window size",
    "new URL('./config.json', import.meta.url)",
    "console.log(`listening on ${port}`); fn.apply(this, args)",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_evasive_xss_blocks(text: str) -> None:
    assert detect_xss(text)


@pytest.mark.parametrize("text", BENIGN)
def test_evasion_look_alikes_pass(text: str) -> None:
    assert not detect_xss(text)


def test_unicode_views_decode_utf8_wire_bytes_and_strip_high_bit() -> None:
    normalised, _ = unicode_views(latin1_text("＜x＞"))
    assert normalised == "<x>"
    assert unicode_views(latin1_text("é"))[0] == "é"
    assert unicode_views("\xbcb\xbe")[1].startswith("<b>")  # not UTF-8: the bytes themselves


def test_decode_utf7_only_touches_shifted_runs() -> None:
    assert decode_utf7("+ADw-b+AD4-x") == "<b>x"
    assert decode_utf7("1 + 2 = 3") == "1 + 2 = 3"
    assert decode_utf7("+A-") == "+A-"


def test_jsfuck_and_spaced_tags() -> None:
    assert is_jsfuck("+!![]")
    assert not is_jsfuck("![](a.png)")
    assert spaced_tag("<f o r m action=x>")
    assert not spaced_tag("<b or m>")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="<>+-ADw4[]()!/*=\"' \t&#;:abcdefijlmnoprstuvx¼¾", max_size=60))
def test_evasion_paths_never_raise(text: str) -> None:
    assert detect_xss(text) == detect_xss(text)
    decode_utf7(text)
    is_jsfuck(text)
    spaced_tag(text)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[a-z0-9.*+_-]{1,12}", fullmatch=True))
def test_token_not_in_is_the_complement_of_the_word_list(token: str) -> None:
    import re

    words = ("utf-8", "utf8", "us-ascii", "iso-8859-1", "iso-8859-15")
    rx = re.compile(token_not_in("charset=", words))
    assert bool(rx.search(f"charset={token};")) == (token not in words)
