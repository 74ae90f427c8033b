"""Compile a budget's FilterExpression (Cost Explorer ``Expression``) into a DuckDB predicate.

Compiled once per budget, evaluated over the ``daily`` table (columns of ``cost_daily``)::

    compile_filter(Expression(Dimensions={"Key": "SERVICE", "Values": ["Amazon S3"]}))
    # -> "(service_name IN ('Amazon S3'))"

Tags are matched in the JSON ``tags`` column; ``MatchOptions: [ABSENT]`` (or an empty value)
selects rows without the tag, which is how untagged spend is budgeted.
"""

from __future__ import annotations

from assetguard.core.errors import ValidationError
from assetguard.cost.budget import Budget, DimensionValues, Expression, TagValues
from assetguard.cost.mapping import lit

# Cost Explorer dimension keys → cost_daily columns.
DIMENSIONS = {
    "SERVICE": "service_name", "LINKED_ACCOUNT": "account_id", "REGION": "region", "RESOURCE_ID": "resource_id",
    "CHARGE_CATEGORY": "charge_category", "RECORD_TYPE": "charge_category", "SERVICE_CATEGORY": "service_category",
}
MATCH_OPTIONS = {"EQUALS", "ABSENT", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "CASE_SENSITIVE", "CASE_INSENSITIVE"}
# Legacy CostFilters keys → dimension keys.
COST_FILTER_KEYS = {"Service": "SERVICE", "LinkedAccount": "LINKED_ACCOUNT", "Region": "REGION",
                    "RecordType": "RECORD_TYPE"}


def budget_filter(budget: Budget) -> str:
    """The DuckDB predicate selecting a budget's rows (``TRUE`` when unfiltered)."""
    parts = []
    if budget.FilterExpression is not None:
        parts.append(compile_filter(budget.FilterExpression))
    if budget.CostFilters:
        parts.append(compile_filter(cost_filters_expression(budget.CostFilters)))
    return " AND ".join(parts) if parts else "TRUE"


def cost_filters_expression(filters: dict[str, list[str]]) -> Expression:
    """Translate legacy ``CostFilters`` (``TagKeyValue: ["user:team$web"]``) into an Expression."""
    exprs: list[Expression] = []
    for key, values in filters.items():
        if key == "TagKeyValue":
            by_key: dict[str, list[str]] = {}
            for item in values:
                tag, _, value = item.partition("$")
                by_key.setdefault(tag.removeprefix("user:"), []).append(value)
            exprs += [Expression(Tags=TagValues(Key=k, Values=v)) for k, v in by_key.items()]
        elif key in COST_FILTER_KEYS:
            exprs.append(Expression(Dimensions=DimensionValues(Key=COST_FILTER_KEYS[key], Values=values)))
        else:
            raise ValidationError(f"unsupported CostFilters key {key!r}; valid: "
                                  f"{', '.join(sorted([*COST_FILTER_KEYS, 'TagKeyValue']))}")
    return exprs[0] if len(exprs) == 1 else Expression(And=exprs)


def compile_filter(expr: Expression) -> str:
    if expr.And is not None:
        return "(" + " AND ".join(compile_filter(e) for e in expr.And) + ")" if expr.And else "TRUE"
    if expr.Or is not None:
        return "(" + " OR ".join(compile_filter(e) for e in expr.Or) + ")" if expr.Or else "FALSE"
    if expr.Not is not None:
        return f"(NOT {compile_filter(expr.Not)})"
    if expr.Dimensions is not None:
        dim = expr.Dimensions
        if dim.Key not in DIMENSIONS:
            raise ValidationError(f"unsupported dimension {dim.Key!r}; valid: {', '.join(sorted(DIMENSIONS))}")
        return _match(DIMENSIONS[dim.Key], dim.Values, dim.MatchOptions)
    assert expr.Tags is not None
    return _tag(expr.Tags)


def _tag(tags: TagValues) -> str:
    if not tags.Key:
        raise ValidationError("a Tags filter needs a Key")
    key = tags.Key.removeprefix("user:")
    value = f"json_extract_string(tags, {lit(chr(36) + '.' + chr(34) + key.replace(chr(34), '') + chr(34))})"
    options = set(tags.MatchOptions or ["EQUALS"])
    absent = f"coalesce({value}, '') = ''"
    if "ABSENT" in options:
        rest = [v for v in tags.Values if v]
        return f"({absent} OR {_match(value, rest, list(options - {'ABSENT'}))})" if rest else f"({absent})"
    values = [v for v in tags.Values if v]
    wants_absent = len(values) != len(tags.Values)
    present = _match(value, values, tags.MatchOptions) if values else "FALSE"
    return f"({absent} OR {present})" if wants_absent else present


def _match(column: str, values: list[str], options: list[str] | None) -> str:
    opts = set(options or ["EQUALS"])
    unknown = opts - MATCH_OPTIONS
    if unknown:
        raise ValidationError(f"unsupported MatchOptions {', '.join(sorted(unknown))}; valid: "
                              f"{', '.join(sorted(MATCH_OPTIONS))}")
    if not values:
        return "FALSE"
    folded = "CASE_INSENSITIVE" in opts
    col = f"lower({column})" if folded else column
    vals = [v.lower() for v in values] if folded else values
    if "STARTS_WITH" in opts:
        return "(" + " OR ".join(f"starts_with({col}, {lit(v)})" for v in vals) + ")"
    if "ENDS_WITH" in opts:
        return "(" + " OR ".join(f"ends_with({col}, {lit(v)})" for v in vals) + ")"
    if "CONTAINS" in opts:
        return "(" + " OR ".join(f"contains({col}, {lit(v)})" for v in vals) + ")"
    return f"({col} IN ({', '.join(lit(v) for v in vals)}))"
