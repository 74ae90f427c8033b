"""Pydantic models as the published JSON Schema of a request body, and the check that goes with it.

A route that keeps the body as the caller sent it (a document stored verbatim, or one whose refused
keys get a message of their own first) publishes ``inline_schema(adapter)`` and calls
``validate_body(adapter, body, where)``: the schema and the check are the same model, so they agree.

>>> ADAPTER = TypeAdapter(MyBody)
>>> @router.put("/x", openapi_extra=json_body(inline_schema(ADAPTER)))
... def put(body: dict[str, Any] = Body(...)): value = validate_body(ADAPTER, body, "request body")
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from assetguard.core.errors import ValidationError
from assetguard.core.yamlfile import pydantic_errors

# Keys of a pydantic schema that say nothing to a client: titles, defaults, and the discriminator
# (its mapping points into ``$defs``, which are resolved in place).
_DROPPED = ("title", "discriminator", "default")


def inline_schema(adapter: TypeAdapter[Any]) -> dict[str, Any]:
    """The adapter's JSON Schema with ``$defs`` resolved in place (a request body has no home for them;
    the models must not be recursive)."""
    schema = adapter.json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items() if k not in _DROPPED}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


class _Errors:
    """A pydantic error list without union tags (``IPV4``, ``aws``) in each location."""

    def __init__(self, exc: PydanticValidationError, tags: frozenset[str]) -> None:
        self.exc = exc
        self.tags = tags

    def errors(self) -> list[dict[str, Any]]:
        return [{**e, "loc": tuple(p for p in e.get("loc", ()) if p not in self.tags)} for e in self.exc.errors()]


def validate_body(adapter: TypeAdapter[Any], body: Any, where: str, *, tags: frozenset[str] = frozenset()) -> Any:
    """``body`` validated by ``adapter``; a ValidationError naming each problem's JSON path otherwise.
    ``tags`` are a discriminated union's tag values, left out of the paths."""
    try:
        return adapter.validate_python(body)
    except PydanticValidationError as exc:
        raise ValidationError(pydantic_errors(_Errors(exc, tags), None, where)) from None
