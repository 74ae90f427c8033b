"""Known answers and properties of the in-house SQLi and XSS detectors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetguard.waf.detectors.sqli import detect_sqli
from assetguard.waf.detectors.sqli_lexer import fingerprint
from assetguard.waf.detectors.xss import detect_xss

SQLI_ATTACKS = [
    "1 OR 1=1--",
    "-1839' or '1'='1",
    '-1839" or "1"="2',
    "union/**/select 1,2",
    "1 union all select null,@@version",
    "admin'--",
    "admin' #",
    "'; drop table users--",
    "1' and sleep(5)#",
    "2010-01-01'+sleep(20.to_i)+'",
    "1 and ascii(substring((select user()),1,1))>64",
    "') or ('1'='1",
    "1;waitfor delay '0:0:5'--",
    "sleep(5)",
    "1' order by 3--",
    "select * from users",
    "1 and 1=2",
    "1' UNION SELECT username, password FROM users--",
    "1/*!50000union*/ /*!50000select*/ 1,2,3",
    "'or''='",
    "x' and extractvalue(1,concat(0x7e,version()))--",
    "1; exec master..xp_cmdshell 'dir'",
    "id=(select load_file('/etc/passwd'))",
    "' having 1=1--",
    "1 and (select count(*) from information_schema.tables)>0",
]
SQLI_BENIGN = [
    "Select one from the list",
    "O'Reilly and Sons",
    "I'm here and it's ok",
    "Ballon d'Or winners",
    "time.sleep(1)",
    "drop me a line; update your profile",
    "rock and roll",
    "union station",
    'the "best" or "worst"',
    "from A to B",
    "don't select this",
    "order by date",
    "Shaquille O'Neal's 5'11\" cousin",
    "How do I join two tables or more?",
    "It's 5 o'clock somewhere, isn't it?",
    "",
    "hello world",
]
XSS_ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    '" onmouseover="alert(1)',
    "javascript:alert(1)",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "<iframe src=//evil.example>",
    '";alert(1)//',
    '<div style="width:expression(alert(1))">',
    "<body onload=alert(1)>",
    "<math><maction actiontype=statusline xlink:href=javascript:alert(1)>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "<object data=x>",
    "'-alert(1)-'",
    "<ScRiPt src=//x>",
    "java\tscript:alert(1)",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<details open ontoggle=alert(1)>",
]
XSS_BENIGN = [
    "Use <b>bold</b> and List<String> freely",
    "JavaScript: The Good Parts",
    '<a href="https://example.com">link</a>',
    "if (a < b && c > d) return",
    "see https://x.com/a:b",
    "turn on lights",
    'document.getElementById("x")',
    '<img src="/logo.png" alt="logo">',
    "time: 10:30",
    "Map<String, List<Integer>> m",
    "onload handler docs",
    "I learned javascript: it is fun",
    "",
]


@pytest.mark.parametrize("text", SQLI_ATTACKS)
def test_sqli_attacks_detected(text: str) -> None:
    assert detect_sqli(text), fingerprint(text)


@pytest.mark.parametrize("text", SQLI_BENIGN)
def test_sqli_benign_passes(text: str) -> None:
    assert not detect_sqli(text), [fingerprint(text), fingerprint(text, "'"), fingerprint(text, '"')]


def test_sqli_high_sensitivity_catches_more() -> None:
    probe = "x and y=1"
    assert not detect_sqli(probe, "LOW")
    assert detect_sqli(probe, "HIGH")
    for text in SQLI_ATTACKS:
        assert detect_sqli(text, "HIGH")


@pytest.mark.parametrize("text", XSS_ATTACKS)
def test_xss_attacks_detected(text: str) -> None:
    assert detect_xss(text)


@pytest.mark.parametrize("text", XSS_BENIGN)
def test_xss_benign_passes(text: str) -> None:
    assert not detect_xss(text)


def test_fingerprint_known_answers() -> None:
    assert fingerprint("1 OR 1=1--") == "n&n=nc"
    assert fingerprint("-1839' or '1'='1", "'") == "s&s=s"
    assert fingerprint("union/**/select 1,2") == "USn,n"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["LOW", "HIGH"]))
def test_sqli_never_raises_and_is_deterministic(text: str, sensitivity: str) -> None:
    assert detect_sqli(text, sensitivity) == detect_sqli(text, sensitivity)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("'\"`-#/*;()@=<>,. \tselctunioadr1x0\\[]")), max_size=200))
def test_sqli_sql_alphabet_never_raises(text: str) -> None:
    detect_sqli(text, "HIGH")
    fingerprint(text, "'")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_xss_never_raises_and_is_deterministic(text: str) -> None:
    assert detect_xss(text) == detect_xss(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/\"'`=&#;:xonerrscipt jav()\t")), max_size=200))
def test_xss_html_alphabet_never_raises(text: str) -> None:
    detect_xss(text)


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("'\"`-#/*;()@=<>,. \t\nselctunioadr1x0\\[]!|&~:%^+eE$ü_")), max_size=60
    ),
    st.sampled_from(["", "'", '"']),
    st.booleans(),
)
def test_fast_lexer_agrees_with_reference_lexer(text: str, quote: str, backslash_escapes: bool) -> None:
    from assetguard.waf.detectors.sqli_lexer import tokenize, tokenize_reference

    fast = [(t.kind, t.text) for t in tokenize(text, quote, backslash_escapes)]
    assert fast == [(t.kind, t.text) for t in tokenize_reference(text, quote, backslash_escapes)]
