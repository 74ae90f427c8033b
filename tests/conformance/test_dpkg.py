"""dpkg: version order and syntax, from dpkg's own tests."""

from __future__ import annotations

import pytest

from assetguard.vulns.versions import InvalidVersion, compare, version_key
from assetguard.vulns.versions.dpkg import split

from .conftest import known_difference

# dpkg scripts/t/Dpkg_Version.t, its __DATA__ table (a, b, sign of a <=> b), at
# guillemj/dpkg f4941036b04e787c2803d6359802d6725d2476c6.
COMPARISONS = [
    ('1.0-1', '2.0-2', -1),
    ('2.2~rc-4', '2.2-1', -1),
    ('2.2-1', '2.2~rc-4', 1),
    ('1.0000-1', '1.0-1', 0),
    ('1', '0:1', 0),
    ('0', '0:0-0', 0),
    ('2:2.5', '1:7.5', 1),
    ('1:0foo', '0foo', 1),
    ('0:0foo', '0foo', 0),
    ('0foo', '0foo', 0),
    ('0foo-0', '0foo', 0),
    ('0foo', '0foo-0', 0),
    ('0foo', '0fo', 1),
    ('0foo-0', '0foo+', -1),
    ('0foo~1', '0foo', -1),
    ('0foo~foo+Bar', '0foo~foo+bar', -1),
    ('0foo~~', '0foo~', -1),
    ('1~', '1', -1),
    ('12345+that-really-is-some-ver-0', '12345+that-really-is-some-ver-10', -1),
    ('0foo-0', '0foo-01', -1),
    ('0foo.bar', '0foobar', 1),
    ('0foo.bar', '0foo1bar', 1),
    ('0foo.bar', '0foo0bar', 1),
    ('0foo1bar-1', '0foobar-1', -1),
    ('0foo2.0', '0foo2', 1),
    ('0foo2.0.0', '0foo2.10.0', -1),
    ('0foo2.0', '0foo2.0.0', -1),
    ('0foo2.0', '0foo2.10', -1),
    ('0foo2.1', '0foo2.10', -1),
    ('1.09', '1.9', 0),
    ('1.0.8+nmu1', '1.0.8', 1),
    ('3.11', '3.10+nmu1', 1),
    ('0.9j-20080306-4', '0.9i-20070324-2', 1),
    ('1.2.0~b7-1', '1.2.0~b6-1', 1),
    ('1.011-1', '1.06-2', 1),
    ('0.0.9+dfsg1-1', '0.0.8+dfsg1-3', 1),
    ('4.6.99+svn6582-1', '4.6.99+svn6496-1', 1),
    ('53', '52', 1),
    ('0.9.9~pre122-1', '0.9.9~pre111-1', 1),
    ('2:2.3.2-2+lenny2', '2:2.3.2-2', 1),
    ('1:3.8.1-1', '3.8.GA-1', 1),
    ('1.0.1+gpl-1', '1.0.1-2', 1),
    ('1a', '1000a', -1),
]

# dpkg lib/dpkg/t/t-version.c, test_version_compare and test_version_parse (valid versions with
# their epoch, upstream and revision; equalities), at 9549c9bea6ce955ded06bc0bc34c023800645ed0.
PARSED = [
    ("0", (0, "0", "")), ("0:0", (0, "0", "")), ("0:0-0", (0, "0", "0")), ("0:0.0-0.0", (0, "0.0", "0.0")),
    ("1:0", (1, "0", "")), ("5:1", (5, "1", "")),
    ("0:0-0-0", (0, "0-0", "0")), ("0:0-0-0-0", (0, "0-0-0", "0")),
    ("0:0:0-0", (0, "0:0", "0")), ("0:0:0:0-0", (0, "0:0:0", "0")),
    ("0:0:0-0-0", (0, "0:0-0", "0")), ("0:0-0:0-0", (0, "0-0:0", "0")),
    ("0:09azAZ.-+~:-0", (0, "09azAZ.-+~:", "0")), ("0:0-azAZ09.+~", (0, "0", "azAZ09.+~")),
    ("  \t0:0-1", (0, "0", "1")), ("0:0-1\t  ", (0, "0", "1")), ("\t  0:0-1  \t", (0, "0", "1")),
]
EQUAL = [("0-0", "0-0"), ("0-00", "00-0"), ("1:2-3", "1:2-3"), ("0-a", "0-a")]
ORDERED = [("0:0-0", "1:0-0"), ("0:a-0", "0:b-0"), ("0:0-a", "0:0-b"), ("0:1-1", "0:2-1"), ("0:1-1", "0:1-2")]
# parseversion() errors
INVALID = ["", "  ", "0:", ":1.0", "1.0-", "0:0 0-1", "-1:0-1", "999999999999999999999999:0-1", "a:0-0", "A:0-0",
           "-0", "0:-0"]
# parseversion() warnings: invalid characters in the upstream version and in the revision
BAD_CHARACTERS = ([f"0:0{c}-0" for c in "!#@$%&/|\\<>()[]{};,_=*^'"]
                  + ["0:0-0:0"] + [f"0:0-{c}" for c in "!#@$%&/|\\<>()[]{}:;,_=*^'"])


@pytest.mark.parametrize(("a", "b", "expected"), COMPARISONS)
def test_dpkg_version_t_comparisons(a: str, b: str, expected: int) -> None:
    assert compare("Debian", a, b) == expected
    assert compare("Debian", b, a) == -expected


@pytest.mark.parametrize(("version", "parts"), PARSED)
def test_t_version_parse(version: str, parts: tuple[int, str, str]) -> None:
    assert split(version) == parts


@pytest.mark.parametrize(("a", "b"), EQUAL)
def test_t_version_equal(a: str, b: str) -> None:
    assert compare("Debian", a, b) == 0


@pytest.mark.parametrize(("a", "b"), ORDERED)
def test_t_version_ordered(a: str, b: str) -> None:
    assert compare("Debian", a, b) == -1
    assert compare("Debian", b, a) == 1


@pytest.mark.parametrize("version", INVALID)
def test_t_version_errors(version: str) -> None:
    with pytest.raises(InvalidVersion):
        version_key("Debian", version)


@pytest.mark.parametrize("version", BAD_CHARACTERS)
def test_t_version_bad_characters(version: str) -> None:
    # dpkg warns and --compare-versions goes on; assetguard refuses (docs/vulns.md, "Differences")
    with pytest.raises(InvalidVersion):
        version_key("Debian", version)


@pytest.mark.parametrize("version", [
    known_difference("0:abc3-0", reason="dpkg's parser flags an upstream not starting with a digit; "
                                        "assetguard compares it, as dpkg --compare-versions does after the warning"),
])
def test_t_version_not_starting_with_a_digit(version: str) -> None:
    with pytest.raises(InvalidVersion):
        version_key("Debian", version)
