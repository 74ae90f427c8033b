"""Load the shipped default rules from ``assetguard/events/defaults/*.yaml``.

Each file holds one rule (or a list of rules) in the :class:`~assetguard.events.rules.Rule`
shape. Any domain may add a file there (``cce-remediation.yaml``, ``autotag.yaml`` ...). Target
types are not checked against the registry here: a rule naming a type that is not installed
still loads, and its deliveries fail into the DLQ with code ``UnknownTarget``.

>>> [r.name for r in load_default_rules()][:1]   # doctest: +SKIP
['autotag']
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from assetguard.core.errors import ValidationError
from assetguard.core.yamlfile import SourceMap, load_yaml, parse_yaml, pydantic_errors
from assetguard.events.rules import Rule

DEFAULTS_DIR = Path(__file__).parent / "defaults"


def parse_rules(data: Any, where: SourceMap) -> list[Rule]:
    """Rules from parsed YAML/JSON: one mapping or a list of mappings; errors name file:line (path)."""
    items = data if isinstance(data, list) else [data]
    rules: list[Rule] = []
    for index, item in enumerate(items):
        prefix: tuple[str | int, ...] = (index,) if isinstance(data, list) else ()
        if not isinstance(item, dict):
            raise ValidationError("a rule must be a mapping with name, pattern and targets",
                                  where=where.describe(prefix))
        try:
            rules.append(Rule.model_validate(item))
        except PydanticValidationError as exc:
            raise ValidationError(pydantic_errors(_prefixed(exc, prefix), where)) from None
    names = [r.name for r in rules]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValidationError(f"rule names repeated in one file: {dupes}", where=where.filename)
    return rules


class _Prefixed:
    def __init__(self, exc: PydanticValidationError, prefix: tuple[str | int, ...]) -> None:
        self.exc = exc
        self.prefix = prefix

    def errors(self) -> list[dict[str, Any]]:
        return [{**e, "loc": (*self.prefix, *e.get("loc", ()))} for e in self.exc.errors()]


def _prefixed(exc: PydanticValidationError, prefix: tuple[str | int, ...]) -> _Prefixed:
    return _Prefixed(exc, prefix)


def load_rules_file(path: Path) -> list[Rule]:
    data, where = load_yaml(path)
    return parse_rules(data, where)


def load_rules_text(text: str, filename: str = "<input>") -> list[Rule]:
    data, where = parse_yaml(text, filename)
    return parse_rules(data, where)


def default_rule_files(directory: Path = DEFAULTS_DIR) -> list[Path]:
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def load_default_rules(files: Iterable[Path] | None = None) -> list[Rule]:
    """Every shipped default rule, validated; a broken file raises naming its file and line."""
    rules: list[Rule] = []
    seen: dict[str, Path] = {}
    for path in files if files is not None else default_rule_files():
        for rule in load_rules_file(path):
            if rule.name in seen:
                raise ValidationError(f"default rule {rule.name!r} is also defined in {seen[rule.name].name}",
                                      where=str(path))
            seen[rule.name] = path
            rules.append(rule)
    return rules
