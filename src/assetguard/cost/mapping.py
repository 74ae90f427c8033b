"""How a billing export's columns become assetguard's daily cost columns (DuckDB SQL).

A :class:`SourceMapping` turns the columns a file actually has into SQL expressions for the canonical
fields and one ``problem`` expression naming the first bad column of a row (``NULL`` when the row is
valid). Validation and aggregation then run in a single DuckDB pass; no row reaches Python.

>>> m = FOCUS.compile({"BilledCost": "VARCHAR", ...})      # doctest: +SKIP
>>> m.fields["billed_cost"]                                  # doctest: +SKIP
'TRY_CAST("BilledCost" AS DOUBLE)'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# FOCUS columns whose feature level is Mandatory in every version 1.0, 1.1 and 1.2 (FOCUS_Spec
# specification/columns/*.md, "Feature level: Mandatory").
FOCUS_MANDATORY = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost", "ProviderName",
    "PublisherName", "ServiceCategory", "ServiceName",
)
CHARGE_CATEGORIES = ("Usage", "Purchase", "Tax", "Credit", "Adjustment")

# CUR 2.0 columns assetguard cannot do without.
CUR_REQUIRED = (
    "bill_payer_account_id", "bill_billing_period_start_date", "line_item_usage_start_date",
    "line_item_line_item_type", "line_item_unblended_cost", "line_item_currency_code", "line_item_product_code",
)

CANONICAL = ("provider", "billing_account_id", "billing_period_start", "day", "account_id", "service_name",
             "service_category", "region", "resource_id", "charge_category", "tags", "currency", "billed_cost",
             "effective_cost")
GROUP_KEYS = CANONICAL[:12]


def q(name: str) -> str:
    """A quoted DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class CompiledMapping:
    """SQL for one file: ``inner`` typed columns (computed once per row), then ``fields`` and ``problem``
    over them (and over the raw columns)."""

    fields: dict[str, str]
    problem: str
    currency: str
    inner: dict[str, str] = field(default_factory=dict)

    def select(self, source: str) -> str:
        """``SELECT <fields>, <problem> AS problem FROM (SELECT *, <inner> FROM source)``."""
        inner = "".join(f", {expr} AS {name}" for name, expr in self.inner.items())
        fields = ", ".join(f"{expr} AS {name}" for name, expr in self.fields.items())
        return f"SELECT {fields}, {self.problem} AS problem FROM (SELECT *{inner} FROM {source})"


@dataclass(frozen=True)
class SourceMapping:
    name: str
    required: tuple[str, ...]
    build: Callable[[Mapping[str, str]], CompiledMapping]

    def missing(self, columns: Mapping[str, str]) -> list[str]:
        return [c for c in self.required if c not in columns]

    def compile(self, columns: Mapping[str, str]) -> CompiledMapping:
        return self.build(columns)


class _Cols:
    """Column access that tolerates optional columns a file does not have."""

    def __init__(self, columns: Mapping[str, str]) -> None:
        self.columns = columns

    def has(self, name: str) -> bool:
        return name in self.columns

    def ref(self, name: str, default: str = "NULL") -> str:
        return q(name) if name in self.columns else default

    def text(self, name: str, default: str = "NULL") -> str:
        return f"CAST({q(name)} AS VARCHAR)" if name in self.columns else default

    def is_text(self, name: str) -> bool:
        return self.columns.get(name, "VARCHAR").upper() == "VARCHAR"


def _num(ref: str) -> str:
    return f"TRY_CAST({ref} AS DOUBLE)"


def _ts(ref: str) -> str:
    return f"TRY_CAST({ref} AS TIMESTAMPTZ)"


def _checks(cases: list[tuple[str, str, str]]) -> str:
    """``CASE WHEN bad THEN 'Column: message ...' END`` from (column, bad-condition, message) triples."""
    whens = " ".join(
        f"WHEN {cond} THEN {lit(col + ': ' + msg)} || coalesce(' (got ' || {lit(chr(39))} || CAST({q(col)} AS VARCHAR)"
        f" || {lit(chr(39))} || ')', ' (got an empty value)')"
        for col, cond, msg in cases
    )
    return f"CASE {whens} ELSE NULL END"


def _number_check(c: _Cols, col: str) -> list[tuple[str, str, str]]:
    return [(col, f"{q(col)} IS NULL", "a value is required"),
            (col, f"{_num(q(col))} IS NULL", "expected a decimal number")]


def _time_check(c: _Cols, col: str) -> list[tuple[str, str, str]]:
    return [(col, f"{q(col)} IS NULL", "a value is required"),
            (col, f"{_ts(q(col))} IS NULL", "expected a date-time such as 2024-09-01T00:00:00Z")]


def _tags_json(c: _Cols, col: str) -> tuple[str, list[tuple[str, str, str]]]:
    if not c.has(col):
        return "'{}'", []
    if not c.is_text(col):
        # Parquet exports may carry tags as MAP or STRUCT; DuckDB renders those as a JSON object.
        return f"coalesce(CAST(to_json({q(col)}) AS VARCHAR), '{{}}')", []
    raw = q(col)
    # CASE, not AND: DuckDB evaluates both sides of AND, and json_type() raises on invalid JSON.
    valid = f"CASE WHEN json_valid({raw}) THEN json_type({raw}) = 'OBJECT' ELSE false END"
    expr = (f"CASE WHEN {raw} IS NULL OR trim({raw}) IN ('', '{{}}') THEN '{{}}' "
            f"WHEN {valid} THEN CAST(json({raw}) AS VARCHAR) END")
    check = [(col, f"{raw} IS NOT NULL AND trim({raw}) <> '' AND NOT ({valid})", "expected a JSON object of tags")]
    return expr, check


def _focus(columns: Mapping[str, str]) -> CompiledMapping:
    c = _Cols(columns)
    tags_expr, _ = _tags_json(c, "Tags")
    inner = {"_billed": _num(q("BilledCost")), "_effective": _num(q("EffectiveCost")),
             "_cps": _ts(q("ChargePeriodStart")), "_cpe": _ts(q("ChargePeriodEnd")),
             "_bps": _ts(q("BillingPeriodStart")), "_bpe": _ts(q("BillingPeriodEnd")), "_tags": tags_expr}
    typed = {"BilledCost": "_billed", "EffectiveCost": "_effective", "ChargePeriodStart": "_cps",
             "ChargePeriodEnd": "_cpe", "BillingPeriodStart": "_bps", "BillingPeriodEnd": "_bpe"}
    tag_checks = ([("Tags", f"{q('Tags')} IS NOT NULL AND trim({q('Tags')}) <> '' AND _tags IS NULL",
                    "expected a JSON object of tags")] if c.has("Tags") and c.is_text("Tags") else [])
    # FOCUS 1.0 names the region RegionId (1.0-preview: Region).
    region = f"coalesce({c.text('RegionId')}, {c.text('Region')}, '')"
    fields = {
        "provider": f"coalesce({c.text('ProviderName')}, '')",
        "billing_account_id": f"coalesce({c.text('BillingAccountId')}, '')",
        "billing_period_start": "CAST(_bps AS DATE)",
        "day": "CAST(_cps AS DATE)",
        "account_id": f"coalesce({c.text('SubAccountId')}, {c.text('BillingAccountId')}, '')",
        "service_name": f"coalesce({c.text('ServiceName')}, '')",
        "service_category": f"coalesce({c.text('ServiceCategory')}, '')",
        "region": region,
        "resource_id": f"coalesce({c.text('ResourceId')}, '')",
        "charge_category": f"coalesce({c.text('ChargeCategory')}, '')",
        "tags": "_tags",
        "currency": f"coalesce({c.text('BillingCurrency')}, '')",
        "billed_cost": "_billed",
        "effective_cost": "_effective",
    }
    cases: list[tuple[str, str, str]] = []
    for col in ("BilledCost", "EffectiveCost"):
        cases += [(col, f"{q(col)} IS NULL", "a value is required"),
                  (col, f"{typed[col]} IS NULL", "expected a decimal number")]
    # Real exports (the FOCUS sample data included) leave these empty on some rows: type-check only.
    for col in ("ListCost", "ContractedCost"):
        cases.append((col, f"{q(col)} IS NOT NULL AND {_num(q(col))} IS NULL", "expected a decimal number"))
    for col in ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd"):
        cases += [(col, f"{q(col)} IS NULL", "a value is required"),
                  (col, f"{typed[col]} IS NULL", "expected a date-time such as 2024-09-01T00:00:00Z")]
    cases += [
        ("BillingCurrency", f"{q('BillingCurrency')} IS NULL OR length(trim(CAST({q('BillingCurrency')} AS VARCHAR))) <> 3",
         "expected an ISO 4217 currency code"),
        ("ChargeCategory", f"{q('ChargeCategory')} IS NULL OR CAST({q('ChargeCategory')} AS VARCHAR) NOT IN "
                           f"({', '.join(lit(v) for v in CHARGE_CATEGORIES)})",
         "expected one of " + ", ".join(CHARGE_CATEGORIES)),
        ("BillingAccountId", f"{q('BillingAccountId')} IS NULL", "a value is required"),
        ("ServiceName", f"{q('ServiceName')} IS NULL", "a value is required"),
    ]
    cases += tag_checks
    return CompiledMapping(fields, _checks(cases), fields["currency"], inner)


# CUR line item types → FOCUS ChargeCategory.
CUR_PURCHASE = ("Fee", "RIFee", "SavingsPlanRecurringFee", "SavingsPlanUpfrontFee")
CUR_CREDIT = ("Credit", "Refund", "BundledDiscount", "EdpDiscount", "PrivateRateDiscount", "DistributorDiscount",
              "Discount")


def _cur(columns: Mapping[str, str]) -> CompiledMapping:
    c = _Cols(columns)
    item_type = f"CAST({q('line_item_line_item_type')} AS VARCHAR)"
    unblended = _num(q("line_item_unblended_cost"))
    billed = (f"coalesce({_num(q('line_item_net_unblended_cost'))}, {unblended})"
              if c.has("line_item_net_unblended_cost") else unblended)

    def num0(name: str) -> str:
        return f"coalesce({_num(q(name))}, 0)" if c.has(name) else "0"

    reservation_arn = c.text("reservation_reservation_a_r_n", "''")
    # Amortised view, as AWS's own FOCUS export defines EffectiveCost per line item type.
    effective = (
        f"CASE {item_type} "
        f"WHEN 'SavingsPlanCoveredUsage' THEN {num0('savings_plan_savings_plan_effective_cost')} "
        f"WHEN 'DiscountedUsage' THEN {num0('reservation_effective_cost')} "
        f"WHEN 'SavingsPlanRecurringFee' THEN {num0('savings_plan_total_commitment_to_date')} "
        f"- {num0('savings_plan_used_commitment')} "
        f"WHEN 'SavingsPlanNegation' THEN 0 WHEN 'SavingsPlanUpfrontFee' THEN 0 "
        f"WHEN 'RIFee' THEN {num0('reservation_unused_amortized_upfront_fee_for_billing_period')} "
        f"+ {num0('reservation_unused_recurring_fee')} "
        f"ELSE CASE WHEN {item_type} = 'Fee' AND coalesce({reservation_arn}, '') <> '' THEN 0 ELSE {billed} END END"
    )
    category = (f"CASE WHEN {item_type} = 'Tax' THEN 'Tax' "
                f"WHEN {item_type} IN ({', '.join(lit(v) for v in CUR_CREDIT)}) THEN 'Credit' "
                f"WHEN {item_type} IN ({', '.join(lit(v) for v in CUR_PURCHASE)}) THEN 'Purchase' ELSE 'Usage' END")
    if c.has("resource_tags") and not c.is_text("resource_tags"):
        # CUR 2.0 Parquet: MAP(VARCHAR, VARCHAR) with user-defined keys prefixed "user_".
        tags = ("coalesce(CAST(to_json(map_from_entries(list_transform(map_entries(\"resource_tags\"), "
                "lambda e: struct_pack(k := regexp_replace(e.key, '^user_', ''), v := e.value)))) AS VARCHAR), '{}')")
        tag_checks: list[tuple[str, str, str]] = []
    else:
        tags, tag_checks = _tags_json(c, "resource_tags")
        if c.has("resource_tags"):
            tags = f"regexp_replace({tags}, '\"user_([^\"]*)\":', '\"\\1\":', 'g')"
    service = f"coalesce({c.text('product_product_name')}, {c.text('product_servicecode')}, " \
              f"{c.text('line_item_product_code')}, '')"
    fields = {
        "provider": "'AWS'",
        "billing_account_id": f"coalesce({c.text('bill_payer_account_id')}, '')",
        "billing_period_start": f"CAST({_ts(q('bill_billing_period_start_date'))} AS DATE)",
        "day": f"CAST({_ts(q('line_item_usage_start_date'))} AS DATE)",
        "account_id": f"coalesce({c.text('line_item_usage_account_id')}, {c.text('bill_payer_account_id')}, '')",
        "service_name": service,
        "service_category": f"coalesce({c.text('product_product_family')}, '')",
        "region": f"coalesce({c.text('product_region_code')}, {c.text('product_region')}, '')",
        "resource_id": f"coalesce({c.text('line_item_resource_id')}, '')",
        "charge_category": category,
        "tags": tags,
        "currency": f"coalesce({c.text('line_item_currency_code')}, '')",
        "billed_cost": billed,
        "effective_cost": effective,
    }
    cases = _number_check(c, "line_item_unblended_cost")
    cases += _time_check(c, "line_item_usage_start_date") + _time_check(c, "bill_billing_period_start_date")
    cases += [("line_item_currency_code", f"{q('line_item_currency_code')} IS NULL OR "
                                          f"length(trim(CAST({q('line_item_currency_code')} AS VARCHAR))) <> 3",
               "expected an ISO 4217 currency code"),
              ("bill_payer_account_id", f"{q('bill_payer_account_id')} IS NULL", "a value is required")]
    if c.has("line_item_net_unblended_cost"):
        cases.append(("line_item_net_unblended_cost", f"{q('line_item_net_unblended_cost')} IS NOT NULL AND "
                      f"{_num(q('line_item_net_unblended_cost'))} IS NULL", "expected a decimal number"))
    cases += tag_checks
    return CompiledMapping(fields, _checks(cases), fields["currency"])


FOCUS = SourceMapping("focus", FOCUS_MANDATORY, _focus)
CUR = SourceMapping("cur", CUR_REQUIRED, _cur)
MAPPINGS = {"focus": FOCUS, "cur": CUR}
CURRENCY_COLUMN = {"focus": "BillingCurrency", "cur": "line_item_currency_code"}
