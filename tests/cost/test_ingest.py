from __future__ import annotations

import gzip
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import func, select

from assetguard.core.errors import ValidationError
from assetguard.cost.ingest import CostIngestor
from assetguard.cost.tables import cost_daily, cost_ingestion
from assetguard.runtime.platform import Platform
from tests.cost.conftest import FOCUS_SAMPLE
from tests.cost.factory import daily_rows, focus_row, write_focus_csv


def stored(platform: Platform) -> tuple[int, float, float]:
    with platform.db.connect() as conn:
        n, billed, eff = conn.execute(select(func.count(), func.sum(cost_daily.c.billed_cost),
                                             func.sum(cost_daily.c.effective_cost))).one()
    return int(n), round(float(billed or 0), 6), round(float(eff or 0), 6)


def test_focus_sample_ingests(platform: Platform) -> None:
    summary = CostIngestor(platform).ingest(FOCUS_SAMPLE, evaluate=False)
    expected = duckdb.sql(f"SELECT count(*), sum(TRY_CAST(BilledCost AS DOUBLE)) FROM read_csv('{FOCUS_SAMPLE}', "
                          "all_varchar=true, nullstr=['NULL', ''])").fetchall()[0]
    assert expected is not None
    assert summary.format == "focus"
    assert summary.rows_read == expected[0] == 1000
    n, billed, _ = stored(platform)
    assert n == summary.rows_stored
    assert billed == pytest.approx(expected[1], abs=1e-6)
    providers = {p["provider"] for p in summary.periods}
    assert providers == {"AWS", "Microsoft", "Oracle"}
    # Tags arrive as canonical JSON objects; untagged rows as {}.
    with platform.db.connect() as conn:
        tags = {r[0] for r in conn.execute(select(cost_daily.c.tags).distinct())}
    assert "{}" in tags and any('"environment"' in t for t in tags)


def test_reingest_is_idempotent_and_replaces_the_period(platform: Platform, tmp_path: Path) -> None:
    rows = daily_rows(date(2026, 9, 1), date(2026, 9, 11), lambda d: 10.0)
    path = write_focus_csv(tmp_path / "sept.csv", rows)
    ingestor = CostIngestor(platform)
    ingestor.ingest(path, evaluate=False)
    first = stored(platform)
    ingestor.ingest(path, evaluate=False)
    assert stored(platform) == first
    assert first[1] == pytest.approx(100.0)
    # A restated export (more days, different amounts) replaces the period instead of adding to it.
    restated = daily_rows(date(2026, 9, 1), date(2026, 9, 16), lambda d: 20.0)
    ingestor.ingest(write_focus_csv(tmp_path / "sept2.csv", restated), evaluate=False)
    assert stored(platform)[1] == pytest.approx(300.0)
    with platform.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cost_ingestion)).scalar() == 1
    # Another billing period is independent.
    ingestor.ingest(write_focus_csv(tmp_path / "oct.csv", daily_rows(date(2026, 10, 1), date(2026, 10, 3),
                                                                     lambda d: 5.0)), evaluate=False)
    assert stored(platform)[1] == pytest.approx(310.0)
    actions = [r["action"] for r in platform.audit.query(action="cost.ingest")]
    assert len(actions) == 4


def _baseline(platform: Platform, tmp_path: Path) -> tuple[int, float, float]:
    CostIngestor(platform).ingest(write_focus_csv(tmp_path / "good.csv", daily_rows(
        date(2026, 9, 1), date(2026, 9, 6), lambda d: 10.0)), evaluate=False)
    return stored(platform)


def _rows_with(index: int, **changes: str) -> list[dict[str, str]]:
    rows = daily_rows(date(2026, 9, 1), date(2026, 9, 6), lambda d: 99.0)
    rows[index] = {**rows[index], **changes}
    return rows


@pytest.mark.parametrize(("changes", "index", "column"), [
    ({"BilledCost": "12,5"}, 6, "BilledCost"),
    ({"EffectiveCost": ""}, 3, "EffectiveCost"),
    ({"ChargePeriodStart": "yesterday"}, 0, "ChargePeriodStart"),
    ({"ChargeCategory": "Usagee"}, 8, "ChargeCategory"),
    ({"Tags": "{not json"}, 2, "Tags"),
    ({"BillingCurrency": "EURO"}, 5, "BillingCurrency"),
])
def test_bad_values_are_rejected_naming_column_and_line(platform: Platform, tmp_path: Path,
                                                        changes: dict[str, str], index: int, column: str) -> None:
    before = _baseline(platform, tmp_path)
    path = write_focus_csv(tmp_path / "bad.csv", _rows_with(index, **changes))
    with pytest.raises(ValidationError) as info:
        CostIngestor(platform).ingest(path, evaluate=False)
    # Line = data row index + 2 (1-based, after the header line).
    assert info.value.where == f"{path}:{index + 2}"
    assert info.value.message.startswith(f"{column}:")
    assert stored(platform) == before


def test_mixed_currencies_are_rejected(platform: Platform, tmp_path: Path) -> None:
    before = _baseline(platform, tmp_path)
    path = write_focus_csv(tmp_path / "mixed.csv", _rows_with(7, BillingCurrency="EUR"))
    with pytest.raises(ValidationError) as info:
        CostIngestor(platform).ingest(path, evaluate=False)
    assert info.value.where == f"{path}:9"
    assert "BillingCurrency" in info.value.message and "EUR" in info.value.message
    assert stored(platform) == before


def test_missing_mandatory_column_is_rejected(platform: Platform, tmp_path: Path) -> None:
    before = _baseline(platform, tmp_path)
    from tests.cost.factory import FOCUS_COLUMNS

    cols = [c for c in FOCUS_COLUMNS if c not in ("EffectiveCost", "ChargeCategory")]
    path = write_focus_csv(tmp_path / "cols.csv", daily_rows(date(2026, 9, 1), date(2026, 9, 3), lambda d: 1.0), cols)
    with pytest.raises(ValidationError) as info:
        CostIngestor(platform).ingest(path, evaluate=False)
    assert "ChargeCategory" in info.value.message and "EffectiveCost" in info.value.message
    assert info.value.where == f"{path}:1"
    assert stored(platform) == before


def test_unreadable_and_unknown_files(platform: Platform, tmp_path: Path) -> None:
    odd = tmp_path / "x.csv"
    odd.write_text("a,b\n1,2\n")
    with pytest.raises(ValidationError, match="neither a FOCUS nor a CUR"):
        CostIngestor(platform).ingest(odd, evaluate=False)
    sheet = tmp_path / "x.xlsx"
    sheet.write_text("")
    with pytest.raises(ValidationError, match="unsupported file type"):
        CostIngestor(platform).ingest(sheet, evaluate=False)
    with pytest.raises(ValidationError, match="does not exist"):
        CostIngestor(platform).ingest(tmp_path / "missing.csv", evaluate=False)


def test_parquet_and_gzip(platform: Platform, tmp_path: Path) -> None:
    rows = daily_rows(date(2026, 9, 1), date(2026, 9, 11), lambda d: 10.0)
    rows.append(focus_row(date(2026, 9, 3), 7.0, effective=3.0))
    csv_path = write_focus_csv(tmp_path / "f.csv", rows)
    gz = tmp_path / "f.csv.gz"
    with csv_path.open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    CostIngestor(platform).ingest(gz, evaluate=False)
    from_gz = stored(platform)
    assert from_gz[1:] == (pytest.approx(107.0), pytest.approx(103.0))
    pq = tmp_path / "f.parquet"
    duckdb.sql(f"COPY (SELECT * REPLACE (CAST(BilledCost AS DOUBLE) AS BilledCost, "
               f"CAST(ChargePeriodStart AS TIMESTAMP) AS ChargePeriodStart) FROM read_csv('{csv_path}', "
               f"all_varchar=true)) TO '{pq}' (FORMAT parquet)")
    CostIngestor(platform).ingest(pq, evaluate=False)
    assert stored(platform) == from_gz


def test_parquet_bad_value_names_row(platform: Platform, tmp_path: Path) -> None:
    rows = daily_rows(date(2026, 9, 1), date(2026, 9, 4), lambda d: 10.0)
    rows[4]["BilledCost"] = "ten"
    csv_path = write_focus_csv(tmp_path / "f.csv", rows)
    pq = tmp_path / "f.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv_path}', all_varchar=true)) TO '{pq}' (FORMAT parquet)")
    with pytest.raises(ValidationError) as info:
        CostIngestor(platform).ingest(pq, evaluate=False)
    assert info.value.where == f"{pq} row 5"
    assert info.value.message.startswith("BilledCost:")
