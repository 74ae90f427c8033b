"""A hard stop behind every graceful one: SIGTERM always ends the process.

Each long-running command (``api``, ``worker``, ``scheduler``, ``waf proxy``, ``up``) stops
gracefully on SIGTERM/SIGINT: it finishes or hands back its current work, then exits 0. Work stuck
where it cannot be interrupted (a driver call against a database that stopped answering, a job thread)
must not hold the process forever, so the signal handler also arms :func:`arm_hard_stop`: if
the process is still alive ``HARD_STOP_SECONDS`` later, it writes one line and exits with
status 1. Process managers (systemd ``TimeoutStopSec``, Fargate's ``stopTimeout``) should allow
a little more than that.
"""

from __future__ import annotations

import os
import sys
import threading

HARD_STOP_SECONDS = 20.0

_armed = threading.Event()


def arm_hard_stop(what: str, seconds: float = HARD_STOP_SECONDS) -> None:
    """Exit the process ``seconds`` from now unless it has exited by then (idempotent)."""
    if _armed.is_set():
        return
    _armed.set()

    def expire() -> None:
        sys.stderr.write(f"{what}: still stopping after {seconds:.0f} s; exiting now\n")
        sys.stderr.flush()
        os._exit(1)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.name = "assetguard-hard-stop"
    timer.start()
