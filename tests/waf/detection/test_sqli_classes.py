"""SQLi detector, class by class: each attack class with samples that must block and the
legitimate look-alikes that must pass (written here, not taken from the CRS corpus)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetguard.waf.detectors.sqli import detect_sqli
from assetguard.waf.detectors.sqli_lexer import fingerprint, tokenize, tokenize_reference
from assetguard.waf.detectors.sqli_values import value_starts

# class -> (attacks, look-alikes)
CLASSES: dict[str, tuple[list[str], list[str]]] = {
    "chained fragment at value start": (
        ["AND 4821=(", "or price != '", "|| role == \"", "&&(flag=!1)", "xor 3 >", "or 17", "OR 2#"],
        ["and then there were none", "or maybe not", "and 7 oranges", "Or else what?", "&& operator in C"],
    ),
    "stacked statement at value start": (
        ["; delete from sessions", ";truncate logs", ";DROP x", "drop archive;--", "; SET @saved_mode = 1"],
        ["; by the way", "drop shipping supplier", "delete my account", "set @alice as admin"],
    ),
    "open call probe": (
        ["substring(", "CHAR (", "user/**/(", "sleep+(", "concat_ws !(", "execute("],
        ["Max (the dog)", "date (see below)", "Time (approx. 2 hours", "hello(", "myFunction("],
    ),
    "literal comparison tautology": (
        ["7=7", "'a'='a'", "3 like 3", "12 <=> 12", "5 is not 6", "x,2=2", "'p' not rlike 'q'"],
        ["is 1 = 1 always true", "1 or 2 bedrooms", "2+2=4 proof", "a = b", "E=mc2"],
    ),
    "in list, null checks, dangling like": (
        ["in (4,5,6)", "IN ('a','b')", "is not null", "LIKE NULL", "title like '"],
        ["in (brackets) we trust", "is it null and void", "like and subscribe", "I like 'quotes'"],
    ),
    "quote break then keyword": (
        ["x' union select 1", "' UNION x", "'truncate--", "\"alter t", "' select 5", "'||true"],
        ["Die \"Union von Europa\"", "the 'select' button", "O'Reilly union members", "'drop it like it's hot'"],
    ),
    "clauses and aliases": (
        [
            "FROM accounts WHERE id = 4",
            "from app.users limit",
            "having 2>1",
            "count(id) AS total FROM",
            "case when 1=1 then 1 else 0 end",
            "select title group by author",
            "EXECUTE IMMEDIATE 'x'",
            "select pg_sleep",
        ],
        [
            "from London to Paris",
            "from paris where it rains",
            "having fun with rust",
            "known as from",
            "in case when you need it, then call",
            "Select one from the list",
            "execute order 66",
        ],
    ),
    "database specifics": (
        [
            "'{\"k\":1}'::jsonb @> '{\"k\":1}'",
            "token::int",
            "lower(name)::numeric",
            "x except select 1",
            "except values(1,2)",
            "1.e(version)",
            "a/*x*/union/**/select",
            "DEL/**/ETE",
            "msdb",
            "xp_servicecontrol",
            "${sleep(9)}",
            "'.benchmark(9,md5(1)).'",
        ],
        [
            "std::vector<int> v;",
            "everyone except select members",
            "version 1.e2 released",
            "int/* unused */x = 0;",
            "master",
            "mysql",
            "time.sleep(5)",
            "use the :: operator in Rust",
        ],
    ),
}

# Values inside whole fields: the detector finds where each value starts.
FIELD_ATTACKS = [
    "title=hello&id=and 55=(",
    "/content/items/or 5=5",
    "/api/v1/sort=;drop x",
    '<?xml version="1.0"?><q v="in (1,2)"></q>',
    '{"\' union/": 1}',
    '--XyZ\r\nContent-Disposition: form-data; name="q"\r\n\r\n1=1\r\n--XyZ--\r\n',
    "id=4\u2019 or \u20191\u2019=\u20191",
]
FIELD_BENIGN = [
    "title=Rock+and+roll&body=It was a bright cold day in April, and the clocks were striking thirteen.",
    "/content/2024/union-station-history",
    '<?xml version="1.0"?><note lang="en">Meet me at Union Square, or call.</note>',
    '{"name": "Dell\'Orto", "bio": "I\'m a DBA; I write SQL like select, update and delete all day."}',
    "It\u2019s 5 o\u2019clock and I\u2019m late \u2018again\u2019",
]


def _cases(index: int) -> list[tuple[str, str]]:
    return [(name, text) for name, pair in CLASSES.items() for text in pair[index]]


@pytest.mark.parametrize(("name", "text"), _cases(0))
def test_attack_class_blocks(name: str, text: str) -> None:
    assert detect_sqli(text), (name, fingerprint(text), fingerprint(text, "'"))


@pytest.mark.parametrize(("name", "text"), _cases(1))
def test_look_alike_passes(name: str, text: str) -> None:
    assert not detect_sqli(text), (name, fingerprint(text), fingerprint(text, "'"), fingerprint(text, '"'))


@pytest.mark.parametrize("text", FIELD_ATTACKS)
def test_value_inside_field_blocks(text: str) -> None:
    assert detect_sqli(text), value_starts(text)


@pytest.mark.parametrize("text", FIELD_BENIGN)
def test_benign_field_passes(text: str) -> None:
    assert not detect_sqli(text), value_starts(text)


def test_value_starts_of_each_field_shape() -> None:
    assert value_starts("a=1&b=x y") == ["1", "x y"]
    assert value_starts("/a/b/c d") == ["b/c d", "c d"]
    assert value_starts("/a/x%2F/**/y") == ["x%2F/**/y"]
    assert value_starts('<r k="v">t</r>') == ["v", "t"]
    assert value_starts('{"k": "v"}') == ["k"]
    assert value_starts("plain text") == []


def test_lexer_reads_casts_json_operators_and_operator_runs() -> None:
    assert fingerprint("'a'::text @> 'b'") == "s=s"
    assert fingerprint("x=!0") == "b=n"
    assert fingerprint("a ?| b") == "b=b"
    assert [t.text for t in tokenize("@@version @@ x")] == ["@@version", "@@", "x"]
    assert fingerprint("true or false") == "n&n"
    assert fingerprint("1 is not null") == "nLk"


def test_long_value_is_judged_at_its_start_and_in_full() -> None:
    prose = "It was a bright cold day in April, and the clocks were striking thirteen. " * 40
    assert not detect_sqli(f"title=Notes&body={prose}")
    assert detect_sqli(f"title=Notes&body=and 9=(&tail={prose}")
    assert detect_sqli(f"title=Notes&body={prose} x' union select password from users--")


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("'\"`-#/*;()@=<>,.? \t\n:!|&~selctunio1x0e\\[]{}$_")), max_size=60),
    st.sampled_from(["", "'", '"']),
    st.booleans(),
)
def test_fast_lexer_agrees_on_casts_and_json_operators(text: str, quote: str, backslash_escapes: bool) -> None:
    fast = [(t.kind, t.text) for t in tokenize(text, quote, backslash_escapes)]
    assert fast == [(t.kind, t.text) for t in tokenize_reference(text, quote, backslash_escapes)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("/&=<>\"'-\r\n{}:[]ab1 ?x")), max_size=120))
def test_value_starts_never_raise_and_stay_bounded(text: str) -> None:
    values = value_starts(text)
    assert len(values) <= 64
    assert all(v.strip() for v in values)
    detect_sqli(text)


@pytest.mark.parametrize(
    "text",
    [
        "a" + "/*/" * 5000,
        "abs" + " /" * 8000,
        "a" * 16000 + " /*",
        "a::" * 5000,
        "--" + "\n\n" * 8000,
        '<a b="c">' * 1600,
        "=!" * 8000,
    ],
    ids=["comment-run", "open-call-junk", "long-word", "casts", "multipart-blanks", "xml", "operators"],
)
def test_adversarial_values_stay_linear(text: str) -> None:
    import time

    start = time.perf_counter()
    detect_sqli(text)
    detect_sqli(text, "HIGH")
    # Generous bound for a shared CI machine; a backtracking regex takes minutes here, not seconds.
    assert time.perf_counter() - start < 5.0
