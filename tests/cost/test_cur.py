"""AWS CUR 2.0 → FOCUS mapping (CSV and Parquet)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select

from assetguard.core.errors import ValidationError
from assetguard.cost.ingest import CostIngestor
from assetguard.cost.tables import cost_daily
from assetguard.runtime.platform import Platform

CUR_COLUMNS = [
    "bill_payer_account_id", "bill_billing_period_start_date", "line_item_usage_account_id",
    "line_item_usage_start_date", "line_item_line_item_type", "line_item_product_code", "product_product_family",
    "product_region_code", "line_item_resource_id", "line_item_unblended_cost", "line_item_net_unblended_cost",
    "line_item_currency_code", "savings_plan_savings_plan_effective_cost", "savings_plan_total_commitment_to_date",
    "savings_plan_used_commitment", "reservation_effective_cost", "reservation_reservation_a_r_n",
    "reservation_unused_amortized_upfront_fee_for_billing_period", "reservation_unused_recurring_fee",
    "resource_tags",
]

# (type, unblended, net unblended, sp effective, sp commitment, sp used, ri effective, ri arn, ri unused upfront,
#  ri unused recurring, tags) → expected (billed, effective, charge category)
LINES = [
    ("Usage", "10", "9", "", "", "", "", "", "", "", '{"user_team": "web"}', 9.0, 9.0, "Usage"),
    ("Usage", "5", "", "", "", "", "", "", "", "", "", 5.0, 5.0, "Usage"),
    ("SavingsPlanCoveredUsage", "8", "8", "3", "", "", "", "", "", "", "", 8.0, 3.0, "Usage"),
    ("SavingsPlanNegation", "-8", "-8", "", "", "", "", "", "", "", "", -8.0, 0.0, "Usage"),
    ("SavingsPlanRecurringFee", "4", "4", "", "4", "3", "", "", "", "", "", 4.0, 1.0, "Purchase"),
    ("DiscountedUsage", "0", "0", "", "", "", "2.5", "arn:ri", "", "", "", 0.0, 2.5, "Usage"),
    ("RIFee", "6", "6", "", "", "", "", "arn:ri", "0.5", "0.25", "", 6.0, 0.75, "Purchase"),
    ("Fee", "120", "120", "", "", "", "", "arn:ri", "", "", "", 120.0, 0.0, "Purchase"),
    ("Tax", "1.5", "1.5", "", "", "", "", "", "", "", "", 1.5, 1.5, "Tax"),
    ("Credit", "-2", "-2", "", "", "", "", "", "", "", "", -2.0, -2.0, "Credit"),
]


def write_cur(path: Path, lines: list[tuple[object, ...]], *, currency: str = "USD") -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CUR_COLUMNS)
        for i, line in enumerate(lines):
            (kind, unblended, net, sp_eff, sp_commit, sp_used, ri_eff, ri_arn, ri_upfront, ri_recurring,
             tags) = line[:11]
            w.writerow(["999", "2026-09-01T00:00:00Z", "111", f"2026-09-{1 + i % 3:02d}T05:00:00Z", kind,
                        "AmazonEC2", "Compute Instance", "eu-west-1", f"i-{i}", unblended, net, currency, sp_eff,
                        sp_commit, sp_used, ri_eff, ri_arn, ri_upfront, ri_recurring, tags])
    return path


def test_cur_csv_maps_billed_effective_and_categories(platform: Platform, tmp_path: Path) -> None:
    summary = CostIngestor(platform).ingest(write_cur(tmp_path / "cur.csv", LINES), evaluate=False)
    assert summary.format == "cur"
    with platform.db.connect() as conn:
        rows = {r.resource_id: r for r in conn.execute(select(cost_daily))}
    for i, line in enumerate(LINES):
        row = rows[f"i-{i}"]
        assert (row.billed_cost, row.effective_cost, row.charge_category) == pytest.approx(line[11:]), line[0]
        assert row.provider == "AWS" and row.account_id == "111" and row.billing_account_id == "999"
        assert row.region == "eu-west-1" and row.service_name == "AmazonEC2"
        assert row.day == date(2026, 9, 1 + i % 3)
    assert rows["i-0"].tags == '{"team":"web"}'
    assert rows["i-1"].tags == "{}"


def test_cur_parquet_with_map_tags(platform: Platform, tmp_path: Path) -> None:
    csv_path = write_cur(tmp_path / "cur.csv", LINES[:2])
    pq = tmp_path / "cur.parquet"
    duckdb.sql(f"COPY (SELECT * REPLACE (CAST(line_item_unblended_cost AS DOUBLE) AS line_item_unblended_cost, "
               f"CAST(line_item_usage_start_date AS TIMESTAMP) AS line_item_usage_start_date, "
               f"CASE WHEN resource_tags IS NULL THEN MAP {{}}::MAP(VARCHAR, VARCHAR) "
               f"ELSE MAP {{'user_team': 'web', 'aws_createdBy': 'x'}} END AS resource_tags) "
               f"FROM read_csv('{csv_path}', all_varchar=true)) TO '{pq}' (FORMAT parquet)")
    CostIngestor(platform).ingest(pq, evaluate=False)
    with platform.db.connect() as conn:
        tags = dict(conn.execute(select(cost_daily.c.resource_id, cost_daily.c.tags)).all())
    assert tags == {"i-0": '{"team":"web","aws_createdBy":"x"}', "i-1": "{}"}


def test_cur_errors_name_column_and_line(platform: Platform, tmp_path: Path) -> None:
    bad = [*LINES[:3], ("Usage", "abc", "", "", "", "", "", "", "", "", "")]
    path = write_cur(tmp_path / "bad.csv", bad)
    with pytest.raises(ValidationError) as info:
        CostIngestor(platform).ingest(path, evaluate=False)
    assert info.value.where == f"{path}:5"
    assert info.value.message.startswith("line_item_unblended_cost:")
    path = tmp_path / "cols.csv"
    path.write_text("bill_payer_account_id,line_item_unblended_cost\n1,2\n")
    with pytest.raises(ValidationError, match="missing CUR 2.0 required column"):
        CostIngestor(platform).ingest(path, fmt="cur", evaluate=False)
