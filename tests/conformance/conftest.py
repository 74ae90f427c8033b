"""Conformance with the reference implementations.

Each ``test_<reference>.py`` holds a table of vectors written from that reference project's own
published tests (the file and commit are cited at the table), and checks assetguard gives the
reference's answer for every one. Where assetguard deliberately differs, the vector stays in the
table, marked with :func:`known_difference` (a strict xfail that names the reason, also listed in
the docs' "Differences from the reference" sections): it is counted and reported, never skipped,
and it fails if assetguard starts to agree.

The run ends with one line of counts per reference::

    conformance: dpkg 87/87, rpm 103/103 (1 known difference), ...
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

# test module -> the reference's name in the summary, in the summary's order
REFERENCES = {
    "test_pep440": "pypa/packaging",
    "test_dpkg": "dpkg",
    "test_rpm": "rpm",
    "test_apk": "apk-tools",
    "test_node_semver": "node-semver",
    "test_go_semver": "golang.org/x/mod semver",
    "test_go_toolchain": "Go toolchain (internal/gover)",
    "test_maven": "Maven ComparableVersion",
    "test_rubygems": "RubyGems",
    "test_event_ruler": "event-ruler",
    "test_modsecurity_transforms": "ModSecurity transformations",
}

_counts: dict[str, list[int]] = {}  # reference -> [agree, known difference, disagree]


def known_difference(*values: Any, reason: str) -> Any:
    """A vector assetguard deliberately answers differently (see the docs), kept and counted."""
    return pytest.param(*values, marks=pytest.mark.xfail(strict=True, reason=f"known difference: {reason}"))


def pairs_ids(rows: Sequence[Sequence[Any]]) -> list[str]:
    return [" ".join(repr(v)[:40] for v in row if not isinstance(v, dict))[:80] for row in rows]


def _reference(nodeid: str) -> str | None:
    module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
    return REFERENCES.get(module)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    ref = _reference(report.nodeid)
    if ref is None or not (report.when == "call" or (report.when == "setup" and not report.passed)):
        return
    counts = _counts.setdefault(ref, [0, 0, 0])
    if hasattr(report, "wasxfail"):
        counts[1 if report.skipped else 2] += 1  # an unexpected agreement fails (strict)
    elif report.passed:
        counts[0] += 1
    elif report.failed:
        counts[2] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _counts:
        return
    parts = []
    for ref in sorted(_counts, key=list(REFERENCES.values()).index):
        agree, known, disagree = _counts[ref]
        part = f"{ref} {agree}/{agree + known + disagree}"
        if known:
            part += f" ({known} known difference{'s' if known > 1 else ''})"
        parts.append(part)
    terminalreporter.write_line("conformance: " + ", ".join(parts))
