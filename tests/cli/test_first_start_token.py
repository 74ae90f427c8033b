"""The first admin token of ``assetguard up``: processes starting together on an empty database
check and create it under the migration lock, so exactly one of them creates (and prints) it."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from assetguard.auth.tokens import TokenService
from assetguard.cli.up import first_start_token
from assetguard.runtime.platform import Platform


def test_starters_racing_on_an_empty_database_create_one_admin_token(platform: Platform,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    real_list = TokenService.list

    def slow_list(self: TokenService) -> Any:
        found = real_list(self)
        time.sleep(0.3)  # widen the window between "no admin yet" and the insert
        return found

    monkeypatch.setattr(TokenService, "list", slow_list)
    others = [Platform.create(platform.settings, upgrade=False) for _ in range(2)]  # as other processes
    starters = [platform, *others]
    printed: list[str | None] = [None] * len(starters)
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(starters))

    def start(i: int) -> None:
        barrier.wait()
        try:
            printed[i] = first_start_token(starters[i])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(len(starters))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for other in others:
            other.close()
    assert errors == []
    assert sum(token is not None for token in printed) == 1, printed
    assert [(t.name, t.role) for t in real_list(platform.tokens)] == [("admin", "admin")]
    assert first_start_token(platform) is None  # a restart creates nothing
