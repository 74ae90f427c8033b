"""Shared types of the compiled engine: per-request state, compiled statements, compile context.

A compiled statement is any object with ``wcu`` and ``match(request, state) -> bool``. The
per-request :class:`EvalState` carries the labels added so far (visible only to later rules),
the non-terminating matches, and the clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assetguard.core.errors import ConfigError
from assetguard.core.registry import Registry
from assetguard.waf.ipsets import IPSetStore
from assetguard.waf.ratelimit import MemoryRateCounter, RateCounter
from assetguard.waf.request import HttpRequest

if TYPE_CHECKING:
    from assetguard.waf.documents import AclResources
    from assetguard.waf.geo import GeoDatabase

DEFAULT_ACCOUNT = "000000000000"


class EvalState:
    """What one evaluation has learnt so far."""

    __slots__ = ("labels", "label_set", "non_terminating", "now", "group_trace", "possible", "sure")

    def __init__(self, now: float | None = None, possible: int = -1, sure: int = 0) -> None:
        self.labels: list[str] = []
        self.label_set: set[str] = set()
        self.non_terminating: list[tuple[str, str]] = []
        self.group_trace: list[dict[str, Any]] = []
        self.now = time.time() if now is None else now
        self.possible = possible  # prefilter bits of the leaves that may match (-1: all of them)
        self.sure = sure  # of those, the bits known to match (leaves answered exactly by the plan)

    def add_label(self, label: str) -> None:
        if label not in self.label_set:
            self.label_set.add(label)
            self.labels.append(label)


def evict_oldest(memo: dict[Any, Any]) -> None:
    """Make room in a full bounded memo (first in, first out). Tolerates a concurrent evaluation
    (another thread) emptying or changing the memo at the same moment: a memo may lose entries,
    never give a wrong answer."""
    try:
        del memo[next(iter(memo))]
    except (KeyError, RuntimeError, StopIteration):
        pass


class Compiled(Protocol):
    wcu: int

    def match(self, request: HttpRequest, state: EvalState) -> bool: ...


@dataclass
class CompileContext:
    """Everything a statement compiler may need; one per ACL compilation."""

    resources: AclResources
    ipsets: IPSetStore
    rate_counter: RateCounter = field(default_factory=MemoryRateCounter)
    body_limit: int = 8 * 1024
    geoip_path: Path | None = None
    managed_dir: Path | None = None
    account: str = DEFAULT_ACCOUNT
    scope_id: str = "acl"  # rate-based counters are keyed by ACL + rule path
    response_bodies: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (content, media type)
    prefilter_leaves: dict[Any, list[Any]] = field(default_factory=dict)  # (field, chain) -> pattern statements
    transform_memos: dict[Any, dict[Any, Any]] = field(default_factory=dict)  # (field, chain) -> raw -> values
    step_memo: dict[Any, str] = field(default_factory=dict)  # (chain, value) -> transformed value
    detector_memos: dict[str, Callable[[str], bool]] = field(default_factory=dict)  # "sqli:LOW" -> memoised detector
    _geo: GeoDatabase | None = None

    def geo(self, where: str) -> GeoDatabase:
        if self._geo is None:
            if self.geoip_path is None:
                raise ConfigError("GeoMatchStatement needs a GeoIP database: set waf.geoip_path "
                                  "(ASSETGUARD_WAF__GEOIP_PATH) to a GeoLite2 Country CSV directory or a "
                                  "network,country_code CSV file", where=where)
            from assetguard.waf.geo import GeoDatabase

            self._geo = GeoDatabase.load(self.geoip_path)
        return self._geo


StatementCompiler = Callable[[Any, CompileContext, str], Compiled]

statements: Registry[StatementCompiler] = Registry("waf.statement")
