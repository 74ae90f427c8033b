"""RubyGems: Gem::Version's order and validity, from RubyGems' own tests."""

from __future__ import annotations

import pytest

from assetguard.vulns.versions import InvalidVersion, compare, key_function, version_key

# rubygems/rubygems test/rubygems/test_gem_version.rb at 74776bd20f7d8cd359ff6c5a01e601dc73c3dbea:
# test_equals2, test_hash (equal hashes of equal versions), test_initialize, test_empty_version,
# test_spaceship and test_semver, as (a, b, a <=> b). (test_eql_eh, test_bump, test_prerelease
# and test_approximate_recommendation test other methods than the order.)
COMPARISONS = [
    ("1.2", "1.2", 0), ("1.2", "1.3", -1), ("1.2.b1", "1.2.b.1", 0),
    ("1.2", "1.2.0", 0), ("1.2.pre.1", "1.2.0.pre.1.0", 0),
    ("1.0", "1.0", 0), ("1.0", "1.0 ", 0), ("1.0", " 1.0 ", 0), ("1.0", "1.0\n", 0), ("1.0", "\n1.0\n", 0),
    ("1.0", "1", 0),
    ("", "0", 0), ("   ", "0", 0), (" ", "0", 0),
    ("1.0", "1.0.0", 0), ("1.0", "1.0.a", 1), ("1.8.2", "0.0.0", 1), ("1.8.2", "1.8.2.a", 1),
    ("1.8.2.b", "1.8.2.a", 1), ("1.8.2.a", "1.8.2", -1), ("1.8.2.a10", "1.8.2.a9", 1),
    ("0.beta.1", "0.0.beta.1", 0), ("0.0.beta", "0.0.beta.1", -1), ("0.0.beta", "0.beta.1", -1),
    ("5.a", "5.0.0.rc2", -1), ("5.x", "5.0.0.rc2", 1),
    ("1.9.3", "1.9.3", 0), ("1.9.3", "1.9.2.99", 1), ("1.9.3", "1.9.3.1", -1),
    ("1.0.0-alpha", "1.0.0-alpha.1", -1), ("1.0.0-alpha.1", "1.0.0-beta.2", -1),
    ("1.0.0-beta.2", "1.0.0-beta.11", -1), ("1.0.0-beta.11", "1.0.0-rc.1", -1), ("1.0.0-rc1", "1.0.0", -1),
    ("1.0.0-1", "1", -1),
]

# test_initialize_invalid
INVALID = ["junk", "1.0\n2.0", "1..2", "1.2 3.4", "2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.",
           "an incorrect version"]

# test_canonical_segments
CANONICAL = [("1.0.0", (1,)), ("1.0.0.a.1.0", (1, "a", 1)), ("1.2.3-1", (1, 2, 3, "pre", 1))]


@pytest.mark.parametrize(("a", "b", "expected"), COMPARISONS)
def test_spaceship(a: str, b: str, expected: int) -> None:
    assert compare("RubyGems", a, b) == expected
    assert compare("RubyGems", b, a) == -expected


@pytest.mark.parametrize("version", INVALID)
def test_initialize_invalid(version: str) -> None:
    with pytest.raises(InvalidVersion):
        version_key("RubyGems", version)


@pytest.mark.parametrize(("version", "segments"), CANONICAL)
def test_canonical_segments(version: str, segments: tuple[int | str, ...]) -> None:
    assert key_function("rubygems")(version).segments == segments
