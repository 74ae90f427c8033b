"""Long-running parts of ``assetguard up``: worker, scheduler, WAF proxy, demo app ...

A component is an object with ``name`` and ``async run(stop: asyncio.Event)``; it returns when
``stop`` is set. Domains register a factory::

    @components.register("worker")
    def worker(platform: Platform) -> Component:
        return EventWorker(platform)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from assetguard.core.registry import Registry

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform


class Component(Protocol):
    name: str

    async def run(self, stop: asyncio.Event) -> None: ...


ComponentFactory = Callable[["Platform"], Component | None]

components: Registry[ComponentFactory] = Registry("component")
