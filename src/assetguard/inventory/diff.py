"""JSON-path level differences between two configuration items.

The result has AWS Config's ``configurationItemDiff`` shape, keyed by a JSON path::

    >>> diff_items({"configuration": {"a": 1}}, {"configuration": {"a": 2, "b": [1]}})["changedProperties"]  # doctest: +SKIP
    {'configuration.a': {'previousValue': 1, 'updatedValue': 2, 'changeType': 'UPDATE'}, \
'configuration.b': {'previousValue': None, 'updatedValue': [1], 'changeType': 'CREATE'}}

Lists of equal length are compared position by position. Lists whose length changed are
compared as multisets, so adding one package reports one ``CREATE`` at its index instead of
shifting every later element.
"""

from __future__ import annotations

from typing import Any

from assetguard.db.base import canonical_json
from assetguard.inventory.model import VOLATILE_KEYS

Change = dict[str, Any]


def diff_items(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    """Diff two configuration items (volatile keys such as capture time are ignored).

    For a CREATE or DELETE the item itself is the change, so ``changedProperties`` is empty
    rather than a second copy of the whole configuration.
    """
    if old is None or new is None:
        return {"changedProperties": {}, "changeType": "CREATE" if old is None else "DELETE"}
    before = {k: v for k, v in (old or {}).items() if k not in VOLATILE_KEYS}
    after = {k: v for k, v in (new or {}).items() if k not in VOLATILE_KEYS}
    changes: dict[str, Change] = {}
    _diff(before, after, "", changes)
    return {"changedProperties": changes, "changeType": "UPDATE"}


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _record(changes: dict[str, Change], path: str, before: Any, after: Any, kind: str) -> None:
    changes[path] = {"previousValue": before, "updatedValue": after, "changeType": kind}


def _diff(before: Any, after: Any, path: str, changes: dict[str, Change]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in before.keys() | after.keys():
            sub = _join(path, str(key))
            if key not in after:
                _record(changes, sub, before[key], None, "DELETE")
            elif key not in before:
                _record(changes, sub, None, after[key], "CREATE")
            elif before[key] != after[key]:
                _diff(before[key], after[key], sub, changes)
        return
    if isinstance(before, list) and isinstance(after, list):
        if len(before) == len(after):
            for i, (b, a) in enumerate(zip(before, after, strict=True)):
                if b != a:
                    _diff(b, a, f"{path}[{i}]", changes)
            return
        _diff_multiset(before, after, path, changes)
        return
    if before != after:
        _record(changes, path, before, after, "UPDATE")


def _diff_multiset(before: list[Any], after: list[Any], path: str, changes: dict[str, Change]) -> None:
    remaining: dict[str, list[int]] = {}
    for i, value in enumerate(after):
        remaining.setdefault(canonical_json(value), []).append(i)
    for i, value in enumerate(before):
        slots = remaining.get(canonical_json(value))
        if slots:
            slots.pop(0)
        else:
            _record(changes, f"{path}[{i}]", value, None, "DELETE")
    for indexes in remaining.values():
        for i in indexes:
            _record(changes, f"{path}[{i}]", None, after[i], "CREATE")
