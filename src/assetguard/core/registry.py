"""One typed plugin registry for every kind of extension.

Example::

    transformations: Registry[Transform] = Registry("waf.transformation")

    @transformations.register("LOWERCASE")
    def lowercase(text: str) -> str:
        return text.lower()

    transformations.get("LOWERCASE")   # -> lowercase
    transformations.get("nope")        # PluginError listing the valid names

Third-party plugins are loaded from the entry-point group ``assetguard.<kind>`` the first
time a name is looked up that is not registered in-process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from assetguard.core.errors import PluginError

T = TypeVar("T")


class Registry(Generic[T]):
    """Name → plugin mapping; duplicates raise, unknown names list the valid ones."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._entry_points_loaded = False

    def add(self, name: str, plugin: T) -> T:
        if name in self._items:
            raise PluginError(f"{self.kind} plugin {name!r} is already registered")
        self._items[name] = plugin
        return plugin

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of :meth:`add`."""

        def decorate(plugin: T) -> T:
            return self.add(name, plugin)

        return decorate

    def get(self, name: str) -> T:
        if name not in self._items:
            self.load_entry_points()
        try:
            return self._items[name]
        except KeyError:
            valid = ", ".join(sorted(self._items)) or "(none)"
            raise PluginError(f"unknown {self.kind} {name!r}; valid names: {valid}") from None

    def load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=f"assetguard.{self.kind}"):
            if ep.name in self._items:
                raise PluginError(f"entry point {ep.value!r} redefines {self.kind} {ep.name!r}")
            try:
                self._items[ep.name] = ep.load()
            except Exception as exc:  # any import failure becomes a PluginError
                raise PluginError(f"cannot load {self.kind} entry point {ep.name!r} ({ep.value}): {exc}") from exc

    def names(self) -> list[str]:
        self.load_entry_points()
        return sorted(self._items)

    def items(self) -> Iterator[tuple[str, T]]:
        self.load_entry_points()
        yield from sorted(self._items.items())

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __len__(self) -> int:
        return len(self._items)
