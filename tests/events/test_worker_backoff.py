"""A worker whose steps fail (the database went away) backs off and logs sparingly, not one
line per poll; it says once when steps succeed again."""

from __future__ import annotations

import logging
import threading

import pytest

from assetguard.events.worker import EventWorker
from assetguard.runtime.platform import Platform


def test_failing_steps_back_off_and_log_once(platform: Platform, caplog: pytest.LogCaptureFixture) -> None:
    worker = EventWorker(platform, install_defaults=False)
    worker.idle_poll_seconds = 0.0005  # backoff 1 ms, 2 ms, 4 ms ...
    halt = threading.Event()
    calls = 0

    def step() -> int:
        nonlocal calls
        calls += 1
        if calls <= 8:
            raise RuntimeError("connection refused\nDETAIL: a second line")
        halt.set()
        return 0

    worker.step = step  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger="assetguard.events.worker"):
        thread = threading.Thread(target=worker._loop, args=(halt,))
        thread.start()
        thread.join(30)
    assert not thread.is_alive()
    assert worker.errors == 8
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["event worker step failed (1 in a row): RuntimeError: connection refused",
                        "event worker steps succeed again after 8 failures"], messages
    worker._finish()
