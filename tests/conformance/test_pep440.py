"""pypa/packaging: PEP 440 order and validity, from packaging's own tests."""

from __future__ import annotations

import pytest

from assetguard.vulns.versions import InvalidVersion, compare, version_key

# pypa/packaging tests/test_version.py at f300ebf0c155e1f7ea6d62fba11dba4bac3d1944.
# VERSIONS: in ascending order (test_comparison_true takes every pair of it).
VERSIONS = [
    '1.0.dev0', '1.0.dev456', '1.0.dev456+local', '1.0a0', '1.0a0.post0.dev0',
    '1.0a0.post0', '1.0a1.dev1', '1.0a1.dev1+local', '1.0a1', '1.0a1+local',
    '1.0b0', '1.0b1.dev456', '1.0b2', '1.0b2.post345.dev456', '1.0b2.post345',
    '1.0b2-346', '1.0rc0', '1.0rc1.dev1', '1.0c1', '1.0rc2',
    '1.0', '1.0.post0.dev0', '1.0.post0', '1.0.post456.dev34', '1.0.post456',
    '1.0.post456+local', '1.0.1.dev1', '1.0.1a1', '1.0.1', '1.0.1+local',
    '1.0.1.post1', '1.1.dev1', '1.2+a', '1.2+abc', '1.2+abcdef',
    '1.2+def', '1.2+0', '1.2+1', '1.2+1.abc', '1.2+1.1',
    '1.2+1.1.0', '1.2+2', '1.2+123', '1.2+123456', '1.2.r32+123456',
    '1.2.rev33+123456', '1!1.0.dev0', '1!1.0.dev456', '1!1.0.dev456+local', '1!1.0a0',
    '1!1.0a0.post0.dev0', '1!1.0a0.post0', '1!1.0a1.dev1', '1!1.0a1.dev1+local', '1!1.0a1',
    '1!1.0a1+local', '1!1.0b0', '1!1.0b1.dev456', '1!1.0b2', '1!1.0b2.post345.dev456',
    '1!1.0b2.post345', '1!1.0b2-346', '1!1.0rc0', '1!1.0rc1.dev1', '1!1.0c1',
    '1!1.0rc2', '1!1.0', '1!1.0.post0.dev0', '1!1.0.post0', '1!1.0.post456.dev34',
    '1!1.0.post456', '1!1.0.post456+local', '1!1.0.1.dev1', '1!1.0.1a1', '1!1.0.1',
    '1!1.0.1+local', '1!1.0.1.post1', '1!1.1.dev1', '1!1.2+a', '1!1.2+abc',
    '1!1.2+abcdef', '1!1.2+def', '1!1.2+0', '1!1.2+1', '1!1.2+1.abc',
    '1!1.2+1.1', '1!1.2+1.1.0', '1!1.2+2', '1!1.2+123', '1!1.2+123456',
    '1!1.2.r32+123456', '1!1.2.rev33+123456',
]

# test_invalid_versions
INVALID = [
    'french toast', '1.0+a+', '1.0++', '1.0+_foobar', '1.0+foo&asd',
    '1.0+1+1', '1. 0', '1 .0', '1. 0a1', '1 .0a1',
    '1.0 a1', '1.0a 1', '\u0660\u0661\u0662.\u0663\u0664\u0665.\u0666\u0667\u0668\u0669', '.', '..',
    '1..0', '1.0.', '.1.0', '1..2.3', '1.0+\u0130',
]

# test_normalized_versions: (version, normalised form), equal versions.
NORMALIZED = [
    ('1.0dev', '1.0.dev0'), ('1.0.dev', '1.0.dev0'), ('1.0dev1', '1.0.dev1'),
    ('1.0-dev', '1.0.dev0'), ('1.0-dev1', '1.0.dev1'), ('1.0DEV', '1.0.dev0'),
    ('1.0.DEV', '1.0.dev0'), ('1.0DEV1', '1.0.dev1'), ('1.0.DEV1', '1.0.dev1'),
    ('1.0-DEV', '1.0.dev0'), ('1.0-DEV1', '1.0.dev1'), ('1.0a', '1.0a0'),
    ('1.0.a', '1.0a0'), ('1.0.a1', '1.0a1'), ('1.0-a', '1.0a0'),
    ('1.0-a1', '1.0a1'), ('1.0alpha', '1.0a0'), ('1.0.alpha', '1.0a0'),
    ('1.0.alpha1', '1.0a1'), ('1.0-alpha', '1.0a0'), ('1.0-alpha1', '1.0a1'),
    ('1.0A', '1.0a0'), ('1.0.A', '1.0a0'), ('1.0.A1', '1.0a1'),
    ('1.0-A', '1.0a0'), ('1.0-A1', '1.0a1'), ('1.0ALPHA', '1.0a0'),
    ('1.0.ALPHA', '1.0a0'), ('1.0.ALPHA1', '1.0a1'), ('1.0-ALPHA', '1.0a0'),
    ('1.0-ALPHA1', '1.0a1'), ('1.0b', '1.0b0'), ('1.0.b', '1.0b0'),
    ('1.0.b1', '1.0b1'), ('1.0-b', '1.0b0'), ('1.0-b1', '1.0b1'),
    ('1.0beta', '1.0b0'), ('1.0.beta', '1.0b0'), ('1.0.beta1', '1.0b1'),
    ('1.0-beta', '1.0b0'), ('1.0-beta1', '1.0b1'), ('1.0B', '1.0b0'),
    ('1.0.B', '1.0b0'), ('1.0.B1', '1.0b1'), ('1.0-B', '1.0b0'),
    ('1.0-B1', '1.0b1'), ('1.0BETA', '1.0b0'), ('1.0.BETA', '1.0b0'),
    ('1.0.BETA1', '1.0b1'), ('1.0-BETA', '1.0b0'), ('1.0-BETA1', '1.0b1'),
    ('1.0c', '1.0rc0'), ('1.0.c', '1.0rc0'), ('1.0.c1', '1.0rc1'),
    ('1.0-c', '1.0rc0'), ('1.0-c1', '1.0rc1'), ('1.0rc', '1.0rc0'),
    ('1.0.rc', '1.0rc0'), ('1.0.rc1', '1.0rc1'), ('1.0-rc', '1.0rc0'),
    ('1.0-rc1', '1.0rc1'), ('1.0C', '1.0rc0'), ('1.0.C', '1.0rc0'),
    ('1.0.C1', '1.0rc1'), ('1.0-C', '1.0rc0'), ('1.0-C1', '1.0rc1'),
    ('1.0RC', '1.0rc0'), ('1.0.RC', '1.0rc0'), ('1.0.RC1', '1.0rc1'),
    ('1.0-RC', '1.0rc0'), ('1.0-RC1', '1.0rc1'), ('1.0post', '1.0.post0'),
    ('1.0.post', '1.0.post0'), ('1.0post1', '1.0.post1'), ('1.0-post', '1.0.post0'),
    ('1.0-post1', '1.0.post1'), ('1.0POST', '1.0.post0'), ('1.0.POST', '1.0.post0'),
    ('1.0POST1', '1.0.post1'), ('1.0r', '1.0.post0'), ('1.0rev', '1.0.post0'),
    ('1.0.POST1', '1.0.post1'), ('1.0.r1', '1.0.post1'), ('1.0.rev1', '1.0.post1'),
    ('1.0-POST', '1.0.post0'), ('1.0-POST1', '1.0.post1'), ('1.0-5', '1.0.post5'),
    ('1.0-r5', '1.0.post5'), ('1.0-rev5', '1.0.post5'), ('1.0+AbC', '1.0+abc'),
    ('1.01', '1.1'), ('1.0a05', '1.0a5'), ('1.0b07', '1.0b7'),
    ('1.0c056', '1.0rc56'), ('1.0rc09', '1.0rc9'), ('1.0.post000', '1.0.post0'),
    ('1.1.dev09000', '1.1.dev9000'), ('00!1.2', '1.2'), ('0100!0.0', '100!0.0'),
    ('v1.0', '1.0'), ('   v1.0\t\n', '1.0'), ('\u202f1.0\t\u2029\n ', '1.0'),
]


@pytest.mark.parametrize(("a", "b"), [(a, b) for i, a in enumerate(VERSIONS) for b in VERSIONS[i + 1:]])
def test_comparison(a: str, b: str) -> None:
    assert compare("PyPI", a, b) == -1
    assert compare("PyPI", b, a) == 1


@pytest.mark.parametrize("version", INVALID)
def test_invalid_versions(version: str) -> None:
    with pytest.raises(InvalidVersion):
        version_key("PyPI", version)


@pytest.mark.parametrize(("version", "normalized"), NORMALIZED)
def test_normalized_versions(version: str, normalized: str) -> None:
    assert compare("PyPI", version, normalized) == 0
