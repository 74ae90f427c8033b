"""golang.org/x/mod/semver: Go module version validity and order, from its own tests."""

from __future__ import annotations

import pytest

from assetguard.vulns.versions import InvalidVersion, compare, version_key

from .conftest import known_difference

# golang.org/x/mod semver/semver_test.go, its `tests` table (input, canonical form or "" when
# invalid), at golang/mod 3f03020ad52668adcab6ffe2fe4a7a6fcce4ee9f. TestCompare orders the valid
# inputs as listed, equal when their canonical forms are.
TESTS = [
    ('bad', ''),
    ('v1-alpha.beta.gamma', ''),
    ('v1-pre', ''),
    ('v1+meta', ''),
    ('v1-pre+meta', ''),
    ('v1.2-pre', ''),
    ('v1.2+meta', ''),
    ('v1.2-pre+meta', ''),
    ('v1.0.0-alpha', 'v1.0.0-alpha'),
    ('v1.0.0-alpha.1', 'v1.0.0-alpha.1'),
    ('v1.0.0-alpha.beta', 'v1.0.0-alpha.beta'),
    ('v1.0.0-beta', 'v1.0.0-beta'),
    ('v1.0.0-beta.2', 'v1.0.0-beta.2'),
    ('v1.0.0-beta.11', 'v1.0.0-beta.11'),
    ('v1.0.0-rc.1', 'v1.0.0-rc.1'),
    ('v1', 'v1.0.0'),
    ('v1.0', 'v1.0.0'),
    ('v1.0.0', 'v1.0.0'),
    ('v1.2', 'v1.2.0'),
    ('v1.2.0', 'v1.2.0'),
    ('v1.2.3-456', 'v1.2.3-456'),
    ('v1.2.3-456.789', 'v1.2.3-456.789'),
    ('v1.2.3-456-789', 'v1.2.3-456-789'),
    ('v1.2.3-456a', 'v1.2.3-456a'),
    ('v1.2.3-pre', 'v1.2.3-pre'),
    ('v1.2.3-pre+meta', 'v1.2.3-pre'),
    ('v1.2.3-pre.1', 'v1.2.3-pre.1'),
    ('v1.2.3-zzz', 'v1.2.3-zzz'),
    ('v1.2.3', 'v1.2.3'),
    ('v1.2.3+meta', 'v1.2.3'),
    ('v1.2.3+meta-pre', 'v1.2.3'),
    ('v1.2.3+meta-pre.sha.256a', 'v1.2.3'),
]
VALID = [(i, o, n) for n, (i, o) in enumerate(TESTS) if o]


@pytest.mark.parametrize(("version", "canonical"), TESTS)
def test_is_valid(version: str, canonical: str) -> None:
    if canonical:
        assert version_key("Go", version) == version_key("Go", canonical)
    else:
        with pytest.raises(InvalidVersion):
            version_key("Go", version)


@pytest.mark.parametrize(("a", "b"), [(a, b) for a in VALID for b in VALID],
                         ids=[f"{a[0]} {b[0]}" for a in VALID for b in VALID])
def test_compare(a: tuple[str, str, int], b: tuple[str, str, int]) -> None:
    expected = 0 if a[1] == b[1] else -1 if a[2] < b[2] else 1
    assert compare("Go", a[0], b[0]) == expected


@pytest.mark.parametrize(("a", "b"), [
    known_difference("bad", "v1.0.0", reason="x/mod's Compare sorts an invalid version before every valid one; "
                                             "assetguard refuses to compare an invalid version"),
])
def test_compare_invalid(a: str, b: str) -> None:
    assert compare("Go", a, b) == -1
