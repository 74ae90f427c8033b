"""A scheduled job for the leadership test, loaded by scheduler processes through the
``assetguard.job`` entry point (``scaleout_tick-0.dist-info``, on the processes' PYTHONPATH).

Every run appends ``pid start end`` to the file named by ``SCALEOUT_TICK_LOG``, so the test sees
each execution, by which process, independently of the scheduler's own records.
"""

from __future__ import annotations

import os
import time
from typing import Any

from assetguard.runtime.scheduler import Job

INTERVAL = 2.0


def _tick(_platform: Any) -> None:
    start = time.time()
    time.sleep(0.05)
    line = f"{os.getpid()} {start:.3f} {time.time():.3f}\n"
    fd = os.open(os.environ["SCALEOUT_TICK_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def job() -> Job:
    return Job("scaleout.tick", INTERVAL, _tick, run_at_start=True)
