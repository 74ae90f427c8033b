"""``engine``: runs a test module once per rule-index walk (the native extension and the
generated Python visitors). Without the extension the native run is skipped, except in CI
(``ASSETGUARD_TEST_REQUIRE_NATIVE=1``), where it must be built and is required."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from assetguard.events import native_nodes


@pytest.fixture(params=["native", "python"], scope="module")
def engine(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "native" and not native_nodes.AVAILABLE:
        if os.environ.get("ASSETGUARD_TEST_REQUIRE_NATIVE") == "1":
            pytest.fail("ASSETGUARD_TEST_REQUIRE_NATIVE=1 but assetguard.events._native is not built")
        pytest.skip("assetguard.events._native is not built (the package was installed without a C compiler)")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASSETGUARD_EVENTS_MATCHER", request.param)
        yield request.param
