"""node-semver: version order and validity, from node-semver's own test fixtures."""

from __future__ import annotations

import pytest

from assetguard.vulns.versions import InvalidVersion, compare, version_key

# node-semver test/fixtures/*.js at npm/node-semver 9c8692ae05416e9dbe88d95ffe2b80e6964550fe
# (all rows, loose ones included: assetguard's reader accepts the same "v"/"=" prefixes and blanks).

# comparisons.js: the first version is greater than the second.
GREATER = [
    ('0.0.0', '0.0.0-foo'),
    ('0.0.1', '0.0.0'),
    ('1.0.0', '0.9.9'),
    ('0.10.0', '0.9.0'),
    ('0.99.0', '0.10.0'),
    ('2.0.0', '1.2.3'),
    ('v0.0.0', '0.0.0-foo'),
    ('v0.0.1', '0.0.0'),
    ('v1.0.0', '0.9.9'),
    ('v0.10.0', '0.9.0'),
    ('v0.99.0', '0.10.0'),
    ('v2.0.0', '1.2.3'),
    ('0.0.0', 'v0.0.0-foo'),
    ('0.0.1', 'v0.0.0'),
    ('1.0.0', 'v0.9.9'),
    ('0.10.0', 'v0.9.0'),
    ('0.99.0', 'v0.10.0'),
    ('2.0.0', 'v1.2.3'),
    ('1.2.3', '1.2.3-asdf'),
    ('1.2.3', '1.2.3-4'),
    ('1.2.3', '1.2.3-4-foo'),
    ('1.2.3-5-foo', '1.2.3-5'),
    ('1.2.3-5', '1.2.3-4'),
    ('1.2.3-5-foo', '1.2.3-5-Foo'),
    ('3.0.0', '2.7.2+asdf'),
    ('1.2.3-a.10', '1.2.3-a.5'),
    ('1.2.3-a.b', '1.2.3-a.5'),
    ('1.2.3-a.b', '1.2.3-a'),
    ('1.2.3-a.b.c.10.d.5', '1.2.3-a.b.c.5.d.100'),
    ('1.2.3-r2', '1.2.3-r100'),
    ('1.2.3-r100', '1.2.3-R2'),
]

# equality.js: the two are equal.
EQUAL = [
    ('1.2.3', 'v1.2.3'),
    ('1.2.3', '=1.2.3'),
    ('1.2.3', 'v 1.2.3'),
    ('1.2.3', '= 1.2.3'),
    ('1.2.3', ' v1.2.3'),
    ('1.2.3', ' =1.2.3'),
    ('1.2.3', ' v 1.2.3'),
    ('1.2.3', ' = 1.2.3'),
    ('1.2.3-0', 'v1.2.3-0'),
    ('1.2.3-0', '=1.2.3-0'),
    ('1.2.3-0', 'v 1.2.3-0'),
    ('1.2.3-0', '= 1.2.3-0'),
    ('1.2.3-0', ' v1.2.3-0'),
    ('1.2.3-0', ' =1.2.3-0'),
    ('1.2.3-0', ' v 1.2.3-0'),
    ('1.2.3-0', ' = 1.2.3-0'),
    ('1.2.3-1', 'v1.2.3-1'),
    ('1.2.3-1', '=1.2.3-1'),
    ('1.2.3-1', 'v 1.2.3-1'),
    ('1.2.3-1', '= 1.2.3-1'),
    ('1.2.3-1', ' v1.2.3-1'),
    ('1.2.3-1', ' =1.2.3-1'),
    ('1.2.3-1', ' v 1.2.3-1'),
    ('1.2.3-1', ' = 1.2.3-1'),
    ('1.2.3-beta', 'v1.2.3-beta'),
    ('1.2.3-beta', '=1.2.3-beta'),
    ('1.2.3-beta', 'v 1.2.3-beta'),
    ('1.2.3-beta', '= 1.2.3-beta'),
    ('1.2.3-beta', ' v1.2.3-beta'),
    ('1.2.3-beta', ' =1.2.3-beta'),
    ('1.2.3-beta', ' v 1.2.3-beta'),
    ('1.2.3-beta', ' = 1.2.3-beta'),
    ('1.2.3-beta+build', ' = 1.2.3-beta+otherbuild'),
    ('1.2.3+build', ' = 1.2.3+otherbuild'),
    ('1.2.3-beta+build', '1.2.3-beta+otherbuild'),
    ('1.2.3+build', '1.2.3+otherbuild'),
    ('  v1.2.3+build', '1.2.3+otherbuild'),
]

# invalid-versions.js, its string rows (the others test non-string arguments).
INVALID = [
    ("1" * 255 + ".0.0", 'too long'),
    ('90071992547409910.0.0', 'too big'),
    ('0.90071992547409910.0', 'too big'),
    ('0.0.90071992547409910', 'too big'),
    ('hello, world', 'not a version'),
    ('hello, world', 'even loose, its still junk'),
    ('xyz', 'even loose as an opt, same'),
]

# valid-versions.js: version, major, minor, patch, pre-release identifiers.
VALID = [
    ('1.0.0', 1, 0, 0, ()),
    ('2.1.0', 2, 1, 0, ()),
    ('3.2.1', 3, 2, 1, ()),
    ('v1.2.3', 1, 2, 3, ()),
    ('1.2.3-0', 1, 2, 3, (0,)),
    ('1.2.3-123', 1, 2, 3, (123,)),
    ('1.2.3-1.2.3', 1, 2, 3, (1, 2, 3)),
    ('1.2.3-1a', 1, 2, 3, ('1a',)),
    ('1.2.3-a1', 1, 2, 3, ('a1',)),
    ('1.2.3-alpha', 1, 2, 3, ('alpha',)),
    ('1.2.3-alpha.1', 1, 2, 3, ('alpha', 1)),
    ('1.2.3-alpha-1', 1, 2, 3, ('alpha-1',)),
    ('1.2.3-alpha-.-beta', 1, 2, 3, ('alpha-', '-beta')),
    ('1.2.3+456', 1, 2, 3, ()),
    ('1.2.3+build', 1, 2, 3, ()),
    ('1.2.3+new-build', 1, 2, 3, ()),
    ('1.2.3+build.1', 1, 2, 3, ()),
    ('1.2.3+build.1a', 1, 2, 3, ()),
    ('1.2.3+build.a1', 1, 2, 3, ()),
    ('1.2.3+build.alpha', 1, 2, 3, ()),
    ('1.2.3+build.alpha.beta', 1, 2, 3, ()),
    ('1.2.3-alpha+build', 1, 2, 3, ('alpha',)),
]


@pytest.mark.parametrize(("a", "b"), GREATER)
def test_comparisons(a: str, b: str) -> None:
    assert compare("npm", a, b) == 1
    assert compare("npm", b, a) == -1


@pytest.mark.parametrize(("a", "b"), EQUAL)
def test_equality(a: str, b: str) -> None:
    assert compare("npm", a, b) == 0


@pytest.mark.parametrize(("version", "reason"), INVALID)
def test_invalid_versions(version: str, reason: str) -> None:
    with pytest.raises(InvalidVersion):
        version_key("npm", version)


@pytest.mark.parametrize(("version", "major", "minor", "patch", "pre"), VALID)
def test_valid_versions(version: str, major: int, minor: int, patch: int, pre: tuple[int | str, ...]) -> None:
    key = version_key("npm", version)
    assert key[:3] == (major, minor, patch)
    ids = key[3][1]
    assert tuple(n if kind == 0 else s for kind, n, s in ids) == pre
