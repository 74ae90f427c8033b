"""The event worker: dispatch (outbox or NATS → delivery records) and delivery, in one loop.

Registered as component ``worker`` for ``assetguard up``; ``assetguard worker`` runs it alone
(several may run at once: PostgreSQL row claims or NATS consumers share the work)::

    stop = asyncio.Event()
    await EventWorker(platform).run(stop)
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
from typing import TYPE_CHECKING, Any

from assetguard.events.delivery import Deliverer
from assetguard.events.dispatch import Dispatcher, RuleSetCache

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

log = logging.getLogger(__name__)

STEP_STOP_SECONDS = 10.0  # how long a stopping worker waits for its current step


class EventWorker:
    name = "worker"
    idle_poll_seconds = 0.05

    def __init__(self, platform: Platform, *, install_defaults: bool = True) -> None:
        self.platform = platform
        self.rules = RuleSetCache(platform)
        self.dispatcher = Dispatcher(platform, self.rules)
        self.deliverer = Deliverer(platform)
        self.install_defaults = install_defaults
        self.errors = 0
        # The in-process bus wakes us on publish; with NATS the relay task owns that signal.
        self.wakeup: threading.Event | None = (getattr(platform.bus, "wakeup", None)
                                               if getattr(platform.bus, "dispatches_from_outbox", True) else None)
        self._next_dispatch = 0.0
        self._next_claim = 0.0
        self.stream_messages = 0  # messages this worker took from NATS (share of the load)

    def step(self) -> int:
        """One round: dispatch a batch, record finished deliveries, start due ones.

        An empty poll backs off for ``idle_poll_seconds`` (a local publish wakes it at once), so an
        idle worker costs one query per interval, not one per loop.
        """
        work = 0
        now = time.monotonic()
        woken = self.wakeup is not None and self.wakeup.is_set()
        if woken and self.wakeup is not None:
            self.wakeup.clear()
        if getattr(self.platform.bus, "dispatches_from_outbox", True) and (woken or now >= self._next_dispatch):
            dispatched = self.dispatcher.run_once(self.deliverer)
            # A full batch may have more behind it. Otherwise the next dispatch waits for a local
            # publish (the wakeup) or the poll interval (publishers in other processes), instead of
            # querying an outbox it has just emptied.
            self._next_dispatch = now if dispatched >= self.dispatcher.batch else now + self.idle_poll_seconds
            if self.dispatcher.left_due:  # deliveries it could not start: claim them now
                self._next_claim = now
            work += dispatched + self.dispatcher.recorded
        # While events keep coming, each dispatch records the deliveries finished since the last
        # one in its own transaction; a step that dispatched nothing records them itself, waiting a
        # moment for results so they are recorded in batches.
        work += self.deliverer.run_once(claim=now >= self._next_claim, wait=0.005 if not work else 0.0,
                                        record=not work)
        if self.deliverer.last_claimed == 0 and now >= self._next_claim:
            self._next_claim = now + self.idle_poll_seconds
        elif self.deliverer.last_claimed:
            self._next_claim = now
        return work

    def poke(self) -> None:
        """New delivery records exist (e.g. from the NATS consumer): claim at the next step."""
        self._next_claim = 0.0

    def drain(self, timeout: float = 30.0) -> bool:
        """Run steps until nothing is pending or in flight (tests, ``--once``)."""
        from assetguard.events.delivery import DeliveryLedger

        ledger = DeliveryLedger(self.platform)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            work = self.step()
            if not work and self.deliverer.in_flight == 0 and ledger.wait_idle(0):
                return True
            if not work:
                time.sleep(0.01)
        return False

    async def run(self, stop: asyncio.Event) -> None:
        if self.install_defaults:
            from assetguard.events.rule_store import RuleStore

            await asyncio.to_thread(RuleStore(self.platform).install_defaults)
        extra = await self._start_backend(stop)
        # The steps run on one dedicated thread, not one ``to_thread`` hand-off per step and per
        # idle wait: at a few hundred events a second those hand-offs (executor queue, future,
        # loop wake-up) cost more CPU than the steps themselves.
        loop = asyncio.get_running_loop()
        halt = threading.Event()
        finished: asyncio.Future[None] = loop.create_future()

        def done() -> None:
            if not finished.done():
                finished.set_result(None)

        def body() -> None:
            try:
                self._loop(halt)
            finally:
                loop.call_soon_threadsafe(done)

        threading.Thread(target=body, name="ag-worker", daemon=True).start()
        stopped: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait([stopped, finished], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            halt.set()
            # A step stuck in a driver call (a database that stopped answering) must not hold the
            # shutdown: its daemon thread is left behind and dies with the process.
            await asyncio.wait([finished], timeout=STEP_STOP_SECONDS)
            if extra:  # the backend's tasks watch ``stop`` and shut down in order; cancel stragglers
                _, pending = await asyncio.wait(extra, timeout=10)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*extra, return_exceptions=True)
            await asyncio.to_thread(self._finish)

    def _loop(self, halt: threading.Event) -> None:
        """Steps until ``halt``; an idle step waits for a publish (or the poll interval)."""
        failing = 0  # consecutive failed steps (a database outage): back off, log sparingly
        logged_at = 0.0
        while not halt.is_set():
            try:
                work = self.step()
            except Exception as exc:  # noqa: BLE001 - the worker must survive a DB hiccup; it retries
                self.errors += 1
                failing += 1
                now = time.monotonic()
                if failing == 1 or now - logged_at >= 10.0:
                    logged_at = now
                    # Type and a short head only: driver messages can quote whole rows (payloads).
                    log.warning("event worker step failed (%d in a row): %s: %.200s", failing,
                                type(exc).__name__, str(exc).split("\n")[0])
                halt.wait(min(5.0, self.idle_poll_seconds * 2 ** min(failing, 10)))
                continue
            if failing:
                log.warning("event worker steps succeed again after %d failures", failing)
                failing = 0
            if not work:
                self._pause(halt)

    def _pause(self, halt: threading.Event) -> None:
        if self.wakeup is not None:
            self.wakeup.wait(self.idle_poll_seconds / 5)
        else:
            halt.wait(self.idle_poll_seconds)

    async def _start_backend(self, stop: asyncio.Event) -> list[asyncio.Task[Any]]:
        start = getattr(self.platform.bus, "start_worker_tasks", None)
        if start is None:
            return []
        tasks: list[asyncio.Task[Any]] = await start(self, stop)
        return tasks

    def _finish(self) -> None:
        self.deliverer.close()


def run_worker_forever(platform: Platform, *, once: bool = False) -> int:
    """The ``assetguard worker`` command: run until SIGTERM/SIGINT (or, with ``once``, until idle)."""
    # Webhook signatures and SecureString parameters need the shared keys: without a key-encryption
    # key (PostgreSQL and no secret_key) stop now, with one line, rather than fail every delivery.
    platform.keys.check()
    worker = EventWorker(platform)
    if once:
        from assetguard.events.rule_store import RuleStore

        RuleStore(platform).install_defaults()
        ok = worker.drain(timeout=300)
        worker._finish()
        return 0 if ok else 1

    async def main() -> None:
        from assetguard.runtime.shutdown import arm_hard_stop

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_signal() -> None:
            stop.set()
            arm_hard_stop("assetguard worker")

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal)
        await worker.run(stop)

    asyncio.run(main())
    return 0
