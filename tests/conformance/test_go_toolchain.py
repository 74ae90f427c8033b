"""Go toolchain versions (go1.21rc1): order and validity, from Go's own internal/gover tests."""

from __future__ import annotations

import pytest

from assetguard.vulns.versions import InvalidVersion, compare, version_key

from .conftest import known_difference

# golang/go src/internal/gover/gover_test.go, compareTests (x, y, Compare(x, y)), at
# golang/go 438fc12b95027f2db8a525cf297901b9e66c3290. gover works on "1.21", assetguard's Go
# ecosystem reads the toolchain as "go1.21".
COMPARE = [
    ("1", "1.1", -1), ("1.5", "1.6", -1), ("1.5", "1.10", -1), ("1.6", "1.6.1", -1), ("1.19", "1.19.0", 0),
    ("1.19rc1", "1.19", -1), ("1.20", "1.20.0", 0), ("1.20rc1", "1.20", -1), ("1.21", "1.21.0", -1),
    ("1.21", "1.21rc1", -1), ("1.21rc1", "1.21.0", -1), ("1.6", "1.19", -1), ("1.19", "1.19.1", -1),
    ("1.19rc1", "1.19", -1), ("1.19rc1", "1.19.1", -1), ("1.19rc1", "1.19rc2", -1), ("1.19.0", "1.19.1", -1),
    ("1.19rc1", "1.19.0", -1), ("1.19alpha3", "1.19beta2", -1), ("1.19beta2", "1.19rc1", -1),
    ("1.1", "1.99999999999999998", -1), ("1.99999999999999998", "1.99999999999999999", -1),
    known_difference("", "", 0, reason="gover compares malformed versions as equal and lowest; assetguard "
                                       "refuses to compare them"),
    known_difference("x", "x", 0, reason="as above"),
    known_difference("", "x", 0, reason="as above"),
]

# isValidTests (version, valid) and parseTests' inputs (all valid).
VALIDITY = [
    ("1.2rc3", True), ("1.2.3", True), ("1.999testmod", True), ("1.600+auto", False), ("1.22", True),
    ("1.21.0", True), ("1.21rc2", True), ("1.21", True), ("1.20.0", True), ("1.20", True), ("1.19", True),
    ("1.3", True), ("1.2", True), ("1", True), ("1.20", True), ("1.21rc3", True), ("1.24", True),
    ("1.24rc3", True), ("1.24.0", True), ("1.99999999999999999", True),
]


@pytest.mark.parametrize(("x", "y", "expected"), COMPARE)
def test_compare(x: str, y: str, expected: int) -> None:
    assert compare("Go", f"go{x}", f"go{y}") == expected
    assert compare("Go", f"go{y}", f"go{x}") == -expected


@pytest.mark.parametrize(("version", "valid"), VALIDITY)
def test_is_valid(version: str, valid: bool) -> None:
    if valid:
        version_key("Go", f"go{version}")
    else:
        with pytest.raises(InvalidVersion):
            version_key("Go", f"go{version}")
