"""The collector plugin interface and its registry.

A collector declares its ``name``, a pydantic ``Config`` model, the IAM ``permissions`` it
needs (AWS collectors), and ``collect()``::

    @collectors.register("host")
    class HostCollector:
        name = "host"
        Config = HostConfig
        permissions: tuple[str, ...] = ()

        def collect(self, config: HostConfig, progress: Progress | None = None) -> CollectionResult: ...

``collect`` never writes to the database; :func:`assetguard.inventory.runner.run_collection`
hands the result to ``InventoryService.apply_collection``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel

from assetguard.core.registry import Registry
from assetguard.inventory.service import CollectionError

# progress(group, step, done, total): one bar per group (e.g. "123456789012/eu-west-1").
Progress = Callable[[str, str, int, int], None]


@dataclass
class CollectionResult:
    """What a collector saw: the items, the scope keys it covered completely, and what failed."""

    items: list[dict[str, Any]] = field(default_factory=list)
    scope: set[str] = field(default_factory=set)
    errors: list[CollectionError] = field(default_factory=list)


class Collector(Protocol):
    name: ClassVar[str]
    Config: ClassVar[type[BaseModel]]
    permissions: ClassVar[tuple[str, ...]]

    def collect(self, config: Any, progress: Progress | None = None) -> CollectionResult: ...


collectors: Registry[type[Collector]] = Registry("inventory.collector")
